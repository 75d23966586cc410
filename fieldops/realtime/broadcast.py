"""Send small "changed" notices to the sockets that show an event; clients re-fetch fragments."""

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

from fieldops.events import Event
from fieldops.realtime.groups import dispatch_group, supervisors_group, technician_group

logger = logging.getLogger("fieldops.realtime")


def groups_for_event(event: Event) -> list[str]:
    groups = [dispatch_group(event.organization_id), supervisors_group(event.organization_id)]
    groups += [technician_group(membership_id) for membership_id in event.technician_ids]
    return groups


def notice_for(event: Event) -> dict[str, Any]:
    """The channel-layer message for an event, serialised once here rather than once per socket:
    a notice to a 500-socket group is one encode."""
    payload = event.payload()
    text = json.dumps({"type": "event", "event": payload}, cls=DjangoJSONEncoder)
    return {"type": "event.notice", "event": payload, "text": text}


async def send_retrying_once(layer: Any, group: str, message: dict[str, Any]) -> None:
    try:
        await layer.group_send(group, message)
    except Exception:
        # After Redis restarts, the first command on a pooled connection fails once and the next
        # one reconnects; a second failure is the bus's to log. (A duplicate notice is harmless:
        # it only makes screens fetch again.)
        logger.info("Retrying a notice to %s once", group, exc_info=True)
        await layer.group_send(group, message)


def run_until_sent(send: Callable[[], Awaitable[None]], *, timeout: float) -> None:
    """Run ``send`` to completion from sync code, before returning."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(send)()
        return
    # Sync code called from a thread that runs an event loop cannot block on it; send from a
    # helper thread and wait, so the notice still goes out before we return.
    # A daemon thread: a send stuck past the timeout must hold neither the caller nor, later,
    # the process's exit (an executor's threads are joined at exit).
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            async_to_sync(send)()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    thread = threading.Thread(target=run, name="notice-send", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"a notice was not sent within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]


def broadcast_event(event: Event) -> None:
    """Called after commit by the event bus, in the web process or a worker alike."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = notice_for(event)

    async def send_all() -> None:
        for group in groups_for_event(event):
            await send_retrying_once(layer, group, message)

    run_until_sent(send_all, timeout=10)
