"""Work-order pages, one module per audience: technician (phone), office (dispatcher and
supervisor), requests (including the no-login QR form), reports, files."""
