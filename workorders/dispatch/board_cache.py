"""One rendering of the board's live part serves every dispatcher looking at the same board, and
a busy organisation re-renders it at a bounded rate.

Forty dispatchers refreshing one organisation's board used to render it forty times (it is the
heaviest page: every queue card, every lane, the map). A rendering is stored per *view* (the
organisation, filters, day and whether the viewer plans) together with the *stamp* it was made
at: the organisation's board generation (bumped after every committed change a board shows), the
newest ``updated_at`` of work orders, technicians, phones and requests (for a change written
without an event, such as an ERP sync), and the minute (SLA badges and "synced 3 min ago" move
with the clock). The fragment holds nothing personal: no CSRF token, no user; what changed for
one viewer travels in a header.

When work changes several times a second, every request would find the stamp moved and render
again. So a stale rendering younger than a few times its own rendering cost is served as it is,
with ``refresh_after``: the client shows it (its ``as_of`` is honest, so the next ``since`` finds
the change again) and asks once more after that delay. One process renders a view at a time; the
others serve the previous rendering meanwhile, or, with none yet, wait for it. Rendering therefore
takes at most about a fifth of one process's time per view, however busy the organisation, and a
change that publishes an event reaches every screen within about a second on a quiet board and a
few seconds on a saturated one (one written without an event: within the minute)."""

import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Max
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from fieldops.generations import Generation
from fieldops.single_flight import acquire, release, wait_for_cached
from workorders.dispatch.models import DeviceState, TechnicianProfile
from workorders.models import Request, WorkOrder

logger = logging.getLogger("fieldops.dispatch")
TTL_SECONDS = 120
# Bumped after every committed change a board shows.
BOARD_GENERATION = Generation("dispatch:board-generation:{}")
# A stale rendering is served while it is younger than this many times what it cost, within
# these bounds (seconds).
RERENDER_COST_FACTOR = 4.0
RERENDER_MIN_SECONDS = 0.25
RERENDER_MAX_SECONDS = 8.0
# At most one process renders a view at a time; a lock older than this is a crashed renderer's.
RENDER_LOCK_SECONDS = 30
# With nothing to serve yet, how long to wait for the process already rendering the view.
COLD_WAIT_SECONDS = 10.0


def _stamp(organization_id: int) -> str:
    newest = [
        model.objects.filter(organization_id=organization_id).aggregate(at=Max("updated_at"))["at"]
        for model in (WorkOrder, TechnicianProfile, DeviceState, Request)
    ]
    parts = (
        BOARD_GENERATION.current(organization_id),
        *(at.isoformat() if at else "" for at in newest),
        int(timezone.now().timestamp() // 60),
    )
    return repr(parts)


@dataclass(frozen=True)
class LiveBoard:
    html: str
    as_of: datetime
    # Seconds after which the client should ask again: this rendering is known to be stale.
    refresh_after: float | None = None


class _Lru:
    """A small per-process LRU, safe across request threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: object) -> Any:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: object, value: object) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


# This process's copy of the last few renderings, so serving one does not move hundreds of
# kilobytes out of the shared cache on every request.
_recent_renderings = _Lru(size=32)


def _html(token: str) -> str | None:
    html = _recent_renderings.get(token)
    if html is None:
        html = cache.get(f"dispatch:board-html:{token}")
        if html is not None:
            _recent_renderings.put(token, html)
    return html


def board_live_cached(
    *,
    organization_id: int,
    filters: object,
    day: date,
    can_plan: bool,
    render: Callable[[], tuple[str, datetime]],
) -> LiveBoard:
    """The live fragment for this view: the current rendering, a recent stale one (with when to
    ask again), or a new one."""
    view = repr((organization_id, repr(filters), day.isoformat(), can_plan))
    key = "dispatch:board-live:" + hashlib.sha256(view.encode()).hexdigest()
    stamp = _stamp(organization_id)
    meta = cache.get(key)
    html = _html(meta["token"]) if meta else None
    lock = key + ":rendering"
    if meta is None or html is None:
        token = acquire(lock, RENDER_LOCK_SECONDS)
        if token is None:
            # Nothing to serve yet and another process is rendering this view: wait for its
            # rendering (a new one, whose HTML is there).
            previous = meta["token"] if meta else None
            meta = wait_for_cached(
                key,
                timeout=COLD_WAIT_SECONDS,
                ready=lambda found: (
                    found["token"] != previous and _html(found["token"]) is not None
                ),
            )
            html = _html(meta["token"]) if meta is not None else None
            if meta is not None and html is not None:
                fresh = meta["stamp"] == stamp
                return LiveBoard(html, meta["as_of"], None if fresh else RERENDER_MIN_SECONDS)
            # Still rendering after all that time (or its renderer died): render, under the lock
            # if it is free now.
            token = acquire(lock, RENDER_LOCK_SECONDS)
    else:
        if meta["stamp"] == stamp:
            return LiveBoard(html, meta["as_of"])
        age = time.time() - meta["rendered_at"]
        hold = min(
            RERENDER_MAX_SECONDS, max(RERENDER_MIN_SECONDS, RERENDER_COST_FACTOR * meta["cost"])
        )
        if age < hold:
            return LiveBoard(html, meta["as_of"], refresh_after=hold - age)
        token = acquire(lock, RENDER_LOCK_SECONDS)
        if token is None:
            return LiveBoard(html, meta["as_of"], refresh_after=RERENDER_MIN_SECONDS)
    try:
        return _render(key, stamp, render)
    finally:
        release(lock, token)


def _render(key: str, stamp: str, render: Callable[[], tuple[str, datetime]]) -> LiveBoard:
    started = time.perf_counter()
    html, as_of = render()
    token = uuid.uuid4().hex
    _recent_renderings.put(token, html)
    cache.set(f"dispatch:board-html:{token}", html, TTL_SECONDS)
    meta = {
        "stamp": stamp,
        "token": token,
        "as_of": as_of,
        "rendered_at": time.time(),
        "cost": time.perf_counter() - started,
    }
    cache.set(key, meta, TTL_SECONDS)
    return LiveBoard(html, as_of)


# --- job cards ----------------------------------------------------------------------------------


# Rendered job cards, keyed by everything a card shows: a card is rendered again only when its
# job, its SLA state, its day or the viewer's planning right changed.
_cards = _Lru(size=20_000)


def card_html(wo: WorkOrder, *, can_plan: bool, place: object = None) -> SafeString:
    """The card of ``wo``; with ``place`` (a timeline.Place), positioned on a lane's hours."""
    key = (
        wo.pk,
        place,
        wo.updated_at,
        wo.version,
        wo.sla,
        wo.carried_over,
        can_plan,
        timezone.get_current_timezone_name(),
        wo.asset.code if wo.asset_id else "",
        wo.location.name if wo.location_id else "",
    )
    html = _cards.get(key)
    if html is None:
        html = mark_safe(  # noqa: S308 - our own template's output
            get_template("dispatch/board.html#card").render(
                {"wo": wo, "can_plan": can_plan, "place": place}
            )
        )
        _cards.put(key, html)
    return html
