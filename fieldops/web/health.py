"""Readiness of the three things every request or task needs: database, channel layer, broker."""

import asyncio
import time
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from fieldops.celery import app as celery_app


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _layer_roundtrip() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    # A general channel, not new_channel()'s process-local one: those are bound to the first
    # event loop that received on them, and each async_to_sync call runs a fresh loop.
    channel = f"healthz.{uuid.uuid4().hex}"
    # Listen before sending: the Redis pub/sub layer delivers only to channels already subscribed
    # (receive() subscribes), so the ping is repeated until the subscription has caught it.
    received = asyncio.ensure_future(layer.receive(channel))
    try:
        async with asyncio.timeout(3):
            while not received.done():
                await layer.send(channel, {"type": "healthz.ping"})
                await asyncio.wait({received}, timeout=0.25)
        message = received.result()
    finally:
        received.cancel()
    if message.get("type") != "healthz.ping":
        raise RuntimeError("channel layer returned another message")


def check_channel_layer() -> None:
    async_to_sync(_layer_roundtrip)()


def check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
}


def run_checks() -> tuple[bool, dict[str, dict]]:
    results: dict[str, dict] = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"ok": True}
        except Exception as exc:
            healthy = False
            # The kind of failure only: messages may carry connection strings with secrets.
            results[name] = {"ok": False, "error": type(exc).__name__}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return healthy, results
