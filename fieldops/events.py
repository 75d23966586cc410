"""The event bus: one catalogue for real time, outbound webhooks and flows.

``publish_event`` defers delivery to ``transaction.on_commit``: an event of a transaction that rolls
back is never seen. Subscribers (real time here; webhooks and flows in ``integrations``) register
in their ``AppConfig.ready`` — lower layers publish, upper layers subscribe, nothing imports up.

Inside ``events_batched()`` (an offline push applying hundreds of changes) the committed events are
held and delivered together when the block ends: a subscriber with a ``many`` handler gets them in
one call (real time: one event loop for all notices), and ``background`` subscribers (webhooks,
flows, ERP outbox, maintenance) get them from one Celery task instead of inside the request.
"""

import dataclasses
import fnmatch
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from celery import shared_task
from django.db import transaction

logger = logging.getLogger("fieldops.events")

CATALOGUE = frozenset(
    {
        "workorder.created",
        "workorder.updated",
        "workorder.status_changed",
        "workorder.assigned",
        "asset.status_changed",
        "meter.reading_recorded",
        "pm.generated",
        "sync.completed",
        "sync.failed",
        "connection.auth_required",
        "connection.status_changed",
        "system.error",
        # A diagnostic an admin sends to prove the worker -> socket path end to end.
        "system.ping",
    }
)


@dataclass(frozen=True)
class Event:
    type: str
    organization_id: int
    data: dict[str, Any]
    id: str = field(default_factory=lambda: f"evt_{uuid.uuid4().hex}")
    timestamp: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat().replace("+00:00", "Z")
    )
    connection_id: int | None = None
    # Not part of the public payload: technicians (membership ids) whose own screens show it.
    technician_ids: tuple[int, ...] = ()

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "timestamp": self.timestamp,
            "organization_id": self.organization_id,
            "data": self.data,
        }
        if self.connection_id is not None:
            body["connection_id"] = self.connection_id
        return body


Handler = Callable[[Event], None]
ManyHandler = Callable[[list[Event]], None]
_subscribers: list[tuple[str, Handler]] = []
# How a subscriber takes a batch (see events_batched): its own many-events handler, or later in
# a worker. Keyed by handler, so ``_subscribers`` stays plain (pattern, handler) pairs.
_many: dict[Handler, ManyHandler] = {}
_background: set[Handler] = set()


def subscribe(
    pattern: str,
    handler: Handler,
    *,
    many: ManyHandler | None = None,
    background: bool = False,
) -> None:
    """Call ``handler`` for every committed event whose type matches ``pattern`` (glob).

    ``many``: when events come in a batch, call this once with the matching ones instead.
    ``background``: when events come in a batch, the handler may run later in a worker (still
    only for committed events, each one, in order) — for work no screen waits on."""
    if (pattern, handler) not in _subscribers:
        _subscribers.append((pattern, handler))
    if many is not None:
        _many[handler] = many
    if background:
        _background.add(handler)


def publish_event(
    event_type: str,
    *,
    organization_id: int,
    data: dict[str, Any],
    connection_id: int | None = None,
    technician_ids: Iterable[int] = (),
) -> Event:
    if event_type not in CATALOGUE:
        raise ValueError(f"Unknown event type {event_type!r}; add it to the catalogue first.")
    event = Event(
        type=event_type,
        organization_id=organization_id,
        data=data,
        connection_id=connection_id,
        technician_ids=tuple(technician_ids),
    )
    batch = _batch.get()
    if batch is not None:
        # Held, and only once its transaction committed: a rolled-back change adds nothing.
        transaction.on_commit(lambda: batch.append(event))
    else:
        transaction.on_commit(lambda: deliver(event))
    return event


def deliver(event: Event) -> None:
    for pattern, handler in list(_subscribers):
        if fnmatch.fnmatchcase(event.type, pattern):
            _call(handler, event)


def _call(handler: Handler, event: Event) -> None:
    try:
        handler(event)
    except Exception:
        # One broken subscriber must not starve the others (or fail the request).
        logger.exception("Event subscriber %r failed for %s", handler, event.type)


_batch: ContextVar[list[Event] | None] = ContextVar("event_batch", default=None)


@contextmanager
def events_batched() -> Iterator[None]:
    """Deliver the events published inside this block together, once it ends: only those whose
    transaction committed, in the order they were published. Nested blocks join the outer one.
    Entered inside a transaction, delivery still waits for that transaction's commit."""
    if _batch.get() is not None:
        yield
        return
    committed: list[Event] = []
    token = _batch.set(committed)
    try:
        yield
    finally:
        _batch.reset(token)
        # Runs at once outside a transaction; inside one, after it commits (after the appends
        # registered before it), and never if it rolls back.
        transaction.on_commit(lambda: deliver_many(committed))


def deliver_many(events: list[Event]) -> None:
    """Deliver committed events in order: per subscriber, its ``many`` handler once, its plain
    handler per event, and background subscribers in one task for the whole batch."""
    if not events:
        return
    subscribers = list(_subscribers)
    # Screens first: the notices are what people wait on.
    _deliver_now(events, subscribers, background=False)
    if any(
        handler in _background and fnmatch.fnmatchcase(event.type, pattern)
        for pattern, handler in subscribers
        for event in events
    ):
        try:
            events_deliver_task.delay([dataclasses.asdict(event) for event in events])
        except Exception:
            # No broker right now: deliver here rather than lose them.
            logger.exception("Could not queue %d events; delivering them inline", len(events))
            _deliver_now(events, subscribers, background=True)


def _deliver_now(
    events: list[Event], subscribers: list[tuple[str, Handler]], *, background: bool
) -> None:
    for pattern, handler in subscribers:
        if (handler in _background) != background:
            continue
        matching = [event for event in events if fnmatch.fnmatchcase(event.type, pattern)]
        if not matching:
            continue
        many = _many.get(handler)
        if many is not None and not background:
            try:
                many(matching)
            except Exception:
                logger.exception("Event subscriber %r failed for %d events", many, len(matching))
            continue
        for event in matching:
            _call(handler, event)


@shared_task(name="fieldops.events_deliver", ignore_result=True, acks_late=True)
def events_deliver_task(events: list[dict[str, Any]]) -> None:
    """The background subscribers' share of a batch. A task run twice (a worker lost mid-way,
    acks_late) adds no second webhook delivery or outbox message (both unique per event and
    change) and maintenance re-checks state; only a flow logs its run again."""
    batch = [
        Event(**{**fields, "technician_ids": tuple(fields["technician_ids"])}) for fields in events
    ]
    _deliver_now(batch, list(_subscribers), background=True)
