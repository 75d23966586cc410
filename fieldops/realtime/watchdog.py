"""Close this process's live sockets when the channel layer stops answering.

The Redis pub/sub layer, unlike the core (list-based) one, keeps every consumer's ``receive()``
waiting through a Redis outage and resubscribes afterwards: the socket stays open while its
notices are lost, so the page never learns that it should catch up. One watchdog per process and
event loop sends itself a ping through the layer every second; when that fails it closes the live
sockets (4011: a server may not send 1011 itself, Daphne's autobahn refuses it), as the core
layer's failing ``receive()`` does (1011), and each page reconnects with backoff and re-fetches
what changed. Other layers surface the failure themselves: no watchdog.
"""

import asyncio
import logging
import weakref
from typing import Any

logger = logging.getLogger("fieldops.realtime")

INTERVAL = 1.0  # seconds between pings
TIMEOUT = 2.0  # a ping not back by then counts as a lost layer
CLOSE_LAYER_LOST = 4011  # app.js reconnects on any code but 4401/4403

_sockets: dict[asyncio.AbstractEventLoop, weakref.WeakSet] = {}
_tasks: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


def needs_watchdog(layer: Any) -> bool:
    try:
        from channels_redis.pubsub import RedisPubSubChannelLayer
    except ImportError:  # pragma: no cover - channels-redis is a main dependency
        return False
    return isinstance(layer, RedisPubSubChannelLayer)


def watch(consumer: Any) -> None:
    """Register an accepted socket; starts this loop's watchdog if it isn't running."""
    if not needs_watchdog(consumer.channel_layer):
        return
    loop = asyncio.get_running_loop()
    _sockets.setdefault(loop, weakref.WeakSet()).add(consumer)
    task = _tasks.get(loop)
    if task is None or task.done():
        _tasks[loop] = loop.create_task(_run(consumer.channel_layer))


def unwatch(consumer: Any) -> None:
    sockets = _sockets.get(asyncio.get_running_loop())
    if sockets is not None:
        sockets.discard(consumer)


async def _ping(layer: Any, channel: str | None) -> str:
    async with asyncio.timeout(TIMEOUT):
        if channel is None:
            channel = await layer.new_channel("watchdog.")
        # Listen first, and repeat the ping until heard: a pub/sub subscription may still be on
        # its way to Redis when the first ping is published.
        received = asyncio.ensure_future(layer.receive(channel))
        try:
            while not received.done():
                await layer.send(channel, {"type": "watchdog.ping"})
                await asyncio.wait({received}, timeout=0.25)
        finally:
            received.cancel()  # only when it never arrived; the layer then drops the channel
        received.result()
    return channel


async def _run(layer: Any) -> None:
    loop = asyncio.get_running_loop()
    channel: str | None = None
    failures = 0
    try:
        while _sockets.get(loop):
            await asyncio.sleep(INTERVAL)
            try:
                channel = await _ping(layer, channel)
                failures = 0
                continue
            except Exception as exc:
                channel = None  # a cancelled receive() dropped it; subscribe anew next time
                failures += 1
                error = type(exc).__name__
            # Twice in a row: after Redis restarts, the first command on a pooled connection
            # still fails once although the layer works again.
            if failures < 2:
                continue
            sockets = list(_sockets.pop(loop, ()))
            logger.warning(
                "Channel layer unreachable (%s); closing %d live sockets so they reconnect",
                error,
                len(sockets),
            )
            for consumer in sockets:
                try:
                    await consumer.close(code=CLOSE_LAYER_LOST)
                except Exception:
                    logger.exception("Closing a live socket failed")
    finally:
        if _tasks.get(loop) is asyncio.current_task():
            del _tasks[loop]
