"""One rendering of the board's live part serves every dispatcher looking at the same board.

Forty dispatchers refreshing one organisation's board used to render it forty times (it is the
heaviest page: every queue card, every lane, the map). The key holds everything the fragment
depends on: organisation, filters, day, whether the viewer plans, the minute (SLA badges and
"synced 3 min ago" move with the clock), the organisation's board generation, bumped after every
committed change a board shows, and the newest ``updated_at`` of work orders, technicians and
phones (for a change written without an event, such as an ERP sync). The fragment holds nothing
personal: no CSRF token, no user; what changed for one viewer travels in a header."""

import hashlib
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from fieldops.events import Event
from workorders.dispatch.models import DeviceState, TechnicianProfile
from workorders.models import WorkOrder

logger = logging.getLogger("fieldops.dispatch")
TTL_SECONDS = 120
_GENERATION = "dispatch:board-generation:{}"


def board_generation_bump(organization_id: int) -> None:
    """Mark the organisation's boards stale: a new random token, so no value ever comes back (a
    counter would restart after an eviction). Runs after commit; a cache that is down must not
    turn a committed change into an error, and the board's key also carries the newest
    ``updated_at`` stamps, so it still moves on."""
    try:
        cache.set(_GENERATION.format(organization_id), uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("Could not mark organisation %s's boards stale", organization_id)


def board_generation_bump_for(event: Event) -> None:
    """Event subscriber: runs after the change committed."""
    board_generation_bump(event.organization_id)


def board_generation_bump_for_many(events: list[Event]) -> None:
    """The same for a batch of events (an offline push): once per organisation."""
    for organization_id in {event.organization_id for event in events}:
        board_generation_bump(organization_id)


def _stamp(organization_id: int) -> tuple:
    newest = [
        model.objects.filter(organization_id=organization_id).aggregate(at=Max("updated_at"))["at"]
        for model in (WorkOrder, TechnicianProfile, DeviceState)
    ]
    return (
        cache.get(_GENERATION.format(organization_id), ""),
        *(at.isoformat() if at else "" for at in newest),
        int(timezone.now().timestamp() // 60),
    )


def board_live_cached(
    *,
    organization_id: int,
    filters: object,
    day: date,
    can_plan: bool,
    render: Callable[[], tuple[str, datetime]],
) -> tuple[str, datetime]:
    """The live fragment's HTML and the moment it shows, rendered at most once per key."""
    parts = (organization_id, repr(filters), day.isoformat(), can_plan, *_stamp(organization_id))
    key = "dispatch:board-live:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    fresh = render()
    cache.set(key, fresh, TTL_SECONDS)
    return fresh
