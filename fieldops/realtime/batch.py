"""Notices for many events at once (an offline push): one event loop, every group in parallel.

``broadcast_event`` runs ``async_to_sync`` per event, and each run is a new event loop with a new
connection to the channel layer's Redis (the layers keep their connections per loop). For a batch
that is most of the cost, so here all notices go out from one loop; each group still receives its
notices in the order published.
"""

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

from fieldops.events import Event
from fieldops.realtime.broadcast import groups_for_event

logger = logging.getLogger("fieldops.realtime")


def _notice(event: Event) -> dict[str, Any]:
    # The same message broadcast_event sends (encoded once per event, not per socket).
    payload = event.payload()
    text = json.dumps({"type": "event", "event": payload}, cls=DjangoJSONEncoder)
    return {"type": "event.notice", "event": payload, "text": text}


def broadcast_events(events: list[Event]) -> None:
    """Called after commit by the event bus with a batch of committed events, in order."""
    layer = get_channel_layer()
    if layer is None or not events:
        return
    by_group: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        notice = _notice(event)
        for group in groups_for_event(event):
            by_group.setdefault(group, []).append(notice)

    async def send_group(group: str, notices: list[dict[str, Any]]) -> None:
        for notice in notices:
            try:
                await layer.group_send(group, notice)
            except Exception:
                # As broadcast_event: after a Redis restart the first command on a pooled
                # connection fails once and the next reconnects (a duplicate notice is harmless).
                logger.info("Retrying a notice to %s once", group, exc_info=True)
                await layer.group_send(group, notice)

    async def send_all() -> None:
        outcomes = await asyncio.gather(
            *(send_group(group, notices) for group, notices in by_group.items()),
            return_exceptions=True,
        )
        # Every group had its chance; then the first failure is the bus's to log.
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(send_all)()
        return
    # Called from a thread that runs an event loop: send from a helper thread and wait.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(async_to_sync(send_all)).result(timeout=30)
