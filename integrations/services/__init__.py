"""Writes with rules for the integrations app: connections, sync runs, the write-back outbox."""
