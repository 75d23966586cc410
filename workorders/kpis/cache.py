"""One computation of the supervisors' figures serves every reader of the organisation who asks
for the same filters, for a short time.

Twenty supervisors watching one organisation's dashboard used to run its aggregate queries
twenty times (~160 ms each on 20,000 work orders). A value is kept under a key holding
everything it depends on (organisation, time zone, period, site, team, ...) together with the
moment it was computed (the "as of" the pages and the API show) and the organisation's KPI
generation at that moment. The generation is a
random token replaced after every committed work-order event, asset status change or finished
sync (subscribed in apps.py), so:

- nothing changed: the value is served until it is ``FRESH_SECONDS`` old (clock-driven figures
  such as overdue, and writes that publish no event, are at most that late);
- something changed: the value is recomputed at the next request once it is
  ``COALESCE_SECONDS`` old. Until then it is served marked stale, with the time left
  (``retry_after``) so that the page asks again exactly when it can be redone: a busy
  organisation costs one computation per key per ``COALESCE_SECONDS`` at most, however many
  events arrive, and a quiet one shows a change within about a second.

Single flight: the request that takes the key's lock computes; the others serve the previous
value, marked stale. Without a previous value they wait for the one computing
(``fieldops.single_flight``), and compute themselves only if it takes too long."""

import contextlib
import fnmatch
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.utils import timezone

from fieldops.events import CATALOGUE
from fieldops.generations import Generation
from fieldops.single_flight import acquire, release, wait_for_cached
from workorders.kpis import overview, selectors

logger = logging.getLogger("fieldops.kpis")

FRESH_SECONDS = 30
# After a change, figures this young are still served (stale): the window that coalesces a burst
# of events into one computation. It was 10 s, which made the live dashboard show a change 12 s
# after the board did (#19); the single flight below still keeps it to one computation at a time.
COALESCE_SECONDS = 1.0
KEEP_SECONDS = 300  # how long a value stays to be served stale while another request computes
LOCK_SECONDS = 30  # longer than any computation; a crashed computer frees the key after it
COLD_WAIT_SECONDS = 10.0  # with nothing to serve yet, the wait for the request computing it
# Bumped after every committed change the figures count (subscribed in apps.py).
KPIS_GENERATION = Generation("kpis:generation:{}")
# The events that change the figures: apps.py subscribes the generation to them and the live
# dashboard refreshes on their notices (live_events), so the two cannot disagree.
CHANGED_BY = ("workorder.*", "asset.status_changed", "sync.completed")
# In every value's key: bump it when the cached shapes change, so that a deploy never reads
# the previous release's pickles.
_FORMAT = 1
T = TypeVar("T")


@dataclass(frozen=True)
class Shared(Generic[T]):
    value: T
    as_of: datetime
    version: str  # unique per computation: equal versions mean equal figures
    stale: bool  # a change may have happened since `as_of` that the value does not show yet
    # For a stale value: seconds until asking again can give newer figures.
    retry_after: float | None = None


def live_events() -> list[str]:
    """The catalogue's event types that change the figures, in a stable order."""
    return sorted(t for t in CATALOGUE if any(fnmatch.fnmatchcase(t, p) for p in CHANGED_BY))


def shared(*, organization_id: int, key: str, compute: Callable[[datetime], T]) -> Shared[T]:
    """The value of ``compute(now)`` for ``key`` (which must name everything the value depends
    on except the organisation, added here), computed at most once per key while fresh."""
    entry_key = f"kpis:v{_FORMAT}:{organization_id}:{key}"
    generation_key = KPIS_GENERATION.key(organization_id)
    try:
        found = cache.get_many([entry_key, generation_key])
    except Exception:
        logger.warning("KPI cache unavailable; computing %s", entry_key)
        now = timezone.now()
        return Shared(compute(now), now, uuid.uuid4().hex, stale=False)
    generation = found.get(generation_key, "")
    entry = found.get(entry_key)
    now = timezone.now()
    if entry is not None:
        value, as_of, entry_generation, version = entry
        age = (now - as_of).total_seconds()
        if entry_generation == generation and age < FRESH_SECONDS:
            return Shared(value, as_of, version, stale=False)
        if entry_generation != generation and age < COALESCE_SECONDS:
            return Shared(value, as_of, version, stale=True, retry_after=COALESCE_SECONDS - age)
    lock_key = entry_key + ":lock"
    try:
        token = acquire(lock_key, LOCK_SECONDS)
        if token is None and entry is not None:
            # Another request is computing newer figures: ask again a window later.
            return Shared(value, as_of, version, stale=True, retry_after=COALESCE_SECONDS)
        if token is None:
            # Nothing to serve yet and another request is computing it: wait for that one.
            waited = wait_for_cached(entry_key, timeout=COLD_WAIT_SECONDS)
            if waited is not None:
                value, as_of, entry_generation, version = waited
                stale = entry_generation != generation
                retry = COALESCE_SECONDS if stale else None
                return Shared(value, as_of, version, stale=stale, retry_after=retry)
            token = acquire(lock_key, LOCK_SECONDS)  # still computing, or its computer died
    except Exception:
        logger.warning("KPI cache unavailable; computing %s", entry_key)
        return Shared(compute(now), now, uuid.uuid4().hex, stale=False)
    try:
        fresh = Shared(compute(now), now, uuid.uuid4().hex, stale=False)
        # The generation read before computing: a change committed meanwhile makes it stale.
        _store(entry_key, (fresh.value, now, generation, fresh.version))
    finally:
        with contextlib.suppress(Exception):
            release(lock_key, token)
    return fresh


def _store(key: str, value: Any) -> None:
    try:
        cache.set(key, value, KEEP_SECONDS)
    except Exception:
        logger.warning("KPI cache unavailable; %s not kept", key)


def rendered(shared_value: Shared[Any], *, variant: str, render: Callable[[], str]) -> str:
    """HTML drawn from one computation, rendered once per ``variant`` (what else the HTML
    depends on: the request's query string, ...) and shared like the value."""
    digest = hashlib.sha256(f"{shared_value.version}|{shared_value.stale}|{variant}".encode())
    key = "kpis:html:" + digest.hexdigest()
    try:
        html = cache.get(key)
    except Exception:
        logger.warning("KPI cache unavailable; rendering %s", key)
        return render()
    if html is None:
        html = render()
        _store(key, html)
    return html


def dashboard_shared(scope: selectors.Scope) -> Shared[selectors.Dashboard]:
    """The dashboard of `scope`, shared by every reader asking for the same scope."""
    site = scope.site.pk if scope.site else "-"
    team = scope.team.pk if scope.team else "-"
    key = f"dashboard:{scope.time_zone}:{scope.start}:{scope.end}:{site}:{team}:{scope.ftf_days}"

    def compute(now: datetime) -> tuple:
        # Not the Dashboard: its scope holds model rows, and the caller has its own.
        board = selectors.dashboard(scope, now=now)
        return board.figures, board.tables

    found = shared(organization_id=scope.organization_id, key=key, compute=compute)
    figures, tables = found.value
    board = selectors.Dashboard(scope=scope, now=found.as_of, figures=figures, tables=tables)
    return Shared(board, found.as_of, found.version, found.stale, found.retry_after)


def asset_health_shared(scope: selectors.Scope, *, page: int) -> Shared[overview.AssetPage]:
    """One page of the asset health list over the scope's period and site, shared by the
    organisation's readers. A page past the last is the last, under the last page's key: asking
    for page 10,000 computes nothing new."""
    organization_id = scope.organization_id
    if page > 1:
        page = min(page, overview.asset_pages(organization_id=organization_id, site=scope.site))
    site = scope.site.pk if scope.site else "-"
    return shared(
        organization_id=organization_id,
        key=f"asset-health:{scope.time_zone}:{scope.start}:{scope.end}:{site}:{page}",
        compute=lambda now: overview.asset_health_page(scope=scope, now=now, page=page),
    )
