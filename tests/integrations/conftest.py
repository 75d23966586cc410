import tempfile
from pathlib import Path

import pytest

from tests.integrations import tryton_server


@pytest.fixture(scope="session")
def tryton():
    """A real trytond on loopback, seeded once per session. Never skipped: a missing trytond
    fails the tests that need it."""
    cache = Path(tempfile.gettempdir()) / "fieldops-test-cache"
    template = tryton_server.build_template(cache)
    with tempfile.TemporaryDirectory(prefix="tryton-") as directory:
        server = tryton_server.start(template, Path(directory))
        try:
            server.seed = tryton_server.seed(server)
            yield server
        finally:
            server.process.terminate()
            server.process.wait(timeout=10)
