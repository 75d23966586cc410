"""Notices for many events at once (an offline push): one event loop, every group in parallel.

``broadcast_event`` runs ``async_to_sync`` per event, and each run is a new event loop with a new
connection to the channel layer's Redis (the layers keep their connections per loop). For a batch
that is most of the cost, so here all notices go out from one loop; each group still receives its
notices in the order published.
"""

import asyncio
from typing import Any

from channels.layers import get_channel_layer

from fieldops.events import Event
from fieldops.realtime.broadcast import (
    groups_for_event,
    notice_for,
    run_until_sent,
    send_retrying_once,
)


def broadcast_events(events: list[Event]) -> None:
    """Called after commit by the event bus with a batch of committed events, in order."""
    layer = get_channel_layer()
    if layer is None or not events:
        return
    by_group: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        notice = notice_for(event)
        for group in groups_for_event(event):
            by_group.setdefault(group, []).append(notice)

    async def send_group(group: str, notices: list[dict[str, Any]]) -> None:
        for notice in notices:
            await send_retrying_once(layer, group, notice)

    async def send_all() -> None:
        outcomes = await asyncio.gather(
            *(send_group(group, notices) for group, notices in by_group.items()),
            return_exceptions=True,
        )
        # Every group had its chance; then the first failure is the bus's to log.
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    run_until_sent(send_all, timeout=30)
