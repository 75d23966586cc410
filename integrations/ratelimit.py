"""Per-connection limits shared by every worker: a request rate, a concurrency cap and a breaker.

The backend is Redis (through Django's cache: ``add`` is SETNX and ``incr`` is INCR, both atomic)
when REDIS_URL is configured, else the database (the embedded default's file cache is not atomic
across processes). The rate is a fixed one-minute window; a concurrency slot is a lease with a TTL
so a killed worker's slot frees itself. The breaker lives on the Connection row and counts data
calls only: after ``BREAKER_THRESHOLD`` consecutive data calls that found the ERP down (5xx,
unreachable, timed out) calls pause for the cooldown; then it is half-open: the first data call
claims the probe (compare-and-set, so exactly one) while the others still wait, and the probe's
answer closes the breaker, or its failure opens it again. An answer that is the caller's fault
(4xx, a refused credential) shows the ERP is up; a rate limit says nothing either way.
Auxiliary calls (token requests, CSRF fetches, logins) wait while the breaker is open but
neither probe, open nor reset it.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.connectors.errors import (
    CircuitOpen,
    ConnectorError,
    RateLimited,
    Timeout,
    Unavailable,
)
from integrations.models import ConcurrencyLease, Connection, RateLimitWindow

BREAKER_THRESHOLD = 5
BREAKER_COOLDOWN = timedelta(seconds=60)
LEASE_TTL = timedelta(seconds=300)
SLOT_POLL_SECONDS = 0.05
# How long a caller waits in-process for a rate window or a slot before giving up with
# RateLimited (a sync task then comes back later; an API request answers 429).
MAX_LOCAL_WAIT = 5.0

sleep = time.sleep  # tests replace it


def backend_name() -> str:
    configured = getattr(settings, "INTEGRATIONS_LIMITER_BACKEND", "")
    return configured or ("cache" if getattr(settings, "REDIS_URL", "") else "db")


def breaker_state(connection: Connection, *, now: datetime | None = None) -> dict[str, Any]:
    """The breaker as the API and the pages show it: ``closed`` (failures below the threshold
    are counted), ``open`` until ``open_until`` (which, once a half-open probe is out, is when
    the probe's time is up), or ``half_open``: the next data call is the probe."""
    now = now or timezone.now()
    open_until = connection.circuit_open_until
    if open_until is None:
        state = "closed"
    elif open_until > now:
        state = "open"
    else:
        state = "half_open"
    return {
        "state": state,
        "consecutive_failures": connection.consecutive_failures,
        "threshold": BREAKER_THRESHOLD,
        "open_until": open_until if state == "open" else None,
    }


def _window(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


class _DbBackend:
    def hit(self, connection_id: int, now: datetime) -> int:
        window = _window(now)
        with transaction.atomic():
            updated = RateLimitWindow.objects.filter(
                connection_id=connection_id, window_start=window
            ).update(count=F("count") + 1)
            if not updated:
                try:
                    with transaction.atomic():
                        RateLimitWindow.objects.create(
                            connection_id=connection_id, window_start=window, count=1
                        )
                except IntegrityError:
                    RateLimitWindow.objects.filter(
                        connection_id=connection_id, window_start=window
                    ).update(count=F("count") + 1)
            # Old windows are useless; keep the table tiny.
            RateLimitWindow.objects.filter(
                connection_id=connection_id, window_start__lt=window - timedelta(minutes=2)
            ).delete()
            return RateLimitWindow.objects.get(
                connection_id=connection_id, window_start=window
            ).count

    def take_slot(self, connection_id: int, cap: int, holder: str, now: datetime) -> bool:
        existing = set(
            ConcurrencyLease.objects.filter(connection_id=connection_id).values_list(
                "slot", flat=True
            )
        )
        missing = [s for s in range(cap) if s not in existing]
        if missing:
            ConcurrencyLease.objects.bulk_create(
                [
                    ConcurrencyLease(connection_id=connection_id, slot=s, expires_at=now)
                    for s in missing
                ],
                ignore_conflicts=True,
            )
        for slot in range(cap):
            # Compare-and-set: only a free (expired) slot is taken, by exactly one caller.
            taken = ConcurrencyLease.objects.filter(
                Q(expires_at__lte=now) | Q(holder=""),
                connection_id=connection_id,
                slot=slot,
            ).update(holder=holder, expires_at=now + LEASE_TTL)
            if taken:
                return True
        return False

    def release_slot(self, connection_id: int, holder: str) -> None:
        ConcurrencyLease.objects.filter(connection_id=connection_id, holder=holder).update(
            holder="", expires_at=timezone.now()
        )


class _CacheBackend:
    def hit(self, connection_id: int, now: datetime) -> int:
        key = f"erp-rate:{connection_id}:{_window(now):%Y%m%d%H%M}"
        cache.add(key, 0, timeout=120)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=120)
            return 1

    def take_slot(self, connection_id: int, cap: int, holder: str, now: datetime) -> bool:
        for slot in range(cap):
            if cache.add(
                f"erp-slot:{connection_id}:{slot}", holder, timeout=LEASE_TTL.total_seconds()
            ):
                return True
        return False

    def release_slot(self, connection_id: int, holder: str) -> None:
        for slot in range(256):
            key = f"erp-slot:{connection_id}:{slot}"
            value = cache.get(key)
            if value == holder:
                cache.delete(key)
                return


def _backend() -> _DbBackend | _CacheBackend:
    return _CacheBackend() if backend_name() == "cache" else _DbBackend()


class ConnectionGuard:
    """The Guard of integrations.connectors.http for one connection."""

    def __init__(self, connection: Connection, *, max_local_wait: float = MAX_LOCAL_WAIT):
        self.connection_id = connection.pk
        self.rate = connection.rate_limit_per_minute
        self.cap = connection.max_concurrency
        self.max_local_wait = max_local_wait
        self.backend = _backend()

    @contextlib.contextmanager
    def slot(self, *, auxiliary: bool = False) -> Iterator[None]:
        self._check_breaker(probe=not auxiliary)
        self._wait_for_rate()
        holder = uuid.uuid4().hex
        self._wait_for_slot(holder)
        try:
            yield
        finally:
            self.backend.release_slot(self.connection_id, holder)

    def _check_breaker(self, *, probe: bool) -> None:
        open_until = (
            Connection.objects.filter(pk=self.connection_id)
            .values_list("circuit_open_until", flat=True)
            .first()
        )
        if open_until is None:
            return  # closed: the common case reads one column and writes nothing
        now = timezone.now()
        if open_until <= now:
            if not probe:
                return
            # Half-open: one data call takes the probe by moving the reopening time on; a
            # caller that loses the race waits like the breaker was still open.
            claimed = Connection.objects.filter(
                pk=self.connection_id, circuit_open_until=open_until
            ).update(circuit_open_until=now + BREAKER_COOLDOWN)
            if claimed:
                return
            open_until = now + BREAKER_COOLDOWN
        raise CircuitOpen(
            "Calls to this connection are paused after repeated failures.",
            retry_after=max(0.0, (open_until - now).total_seconds()),
        )

    def _wait_for_rate(self) -> None:
        waited = 0.0
        while True:
            now = timezone.now()
            if self.backend.hit(self.connection_id, now) <= self.rate:
                return
            until_next = 60 - now.second - now.microsecond / 1e6 + 0.01
            if waited + until_next > self.max_local_wait:
                raise RateLimited(
                    f"Connection limit of {self.rate} requests per minute reached.",
                    retry_after=until_next,
                )
            sleep(until_next)
            waited += until_next

    def _wait_for_slot(self, holder: str) -> None:
        waited = 0.0
        while not self.backend.take_slot(self.connection_id, self.cap, holder, timezone.now()):
            if waited >= self.max_local_wait:
                raise RateLimited(
                    f"All {self.cap} concurrent calls of this connection are busy.",
                    retry_after=1,
                )
            sleep(SLOT_POLL_SECONDS)
            waited += SLOT_POLL_SECONDS

    def record_success(self) -> None:
        # Filtered so the common case (breaker closed) writes nothing.
        Connection.objects.filter(pk=self.connection_id, consecutive_failures__gt=0).update(
            consecutive_failures=0, circuit_open_until=None
        )

    def record_failure(self, error: ConnectorError) -> None:
        if isinstance(error, CircuitOpen | RateLimited):
            return  # we never called it, or it asked us to slow down: says nothing
        if not isinstance(error, Unavailable | Timeout):
            self.record_success()  # a 4xx is an answer: the ERP is up
            return
        Connection.objects.filter(pk=self.connection_id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        Connection.objects.filter(
            pk=self.connection_id, consecutive_failures__gte=BREAKER_THRESHOLD
        ).update(circuit_open_until=timezone.now() + BREAKER_COOLDOWN)
