"""The event bus: one catalogue for real time, outbound webhooks and flows.

``publish_event`` defers delivery to ``transaction.on_commit``: an event of a transaction that rolls
back is never seen. Subscribers (real time here; webhooks and flows in ``integrations``) register
in their ``AppConfig.ready`` — lower layers publish, upper layers subscribe, nothing imports up.
"""

import fnmatch
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
_subscribers: list[tuple[str, Handler]] = []


def subscribe(pattern: str, handler: Handler) -> None:
    """Call ``handler`` for every committed event whose type matches ``pattern`` (glob)."""
    if (pattern, handler) not in _subscribers:
        _subscribers.append((pattern, handler))


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
    transaction.on_commit(lambda: deliver(event))
    return event


def deliver(event: Event) -> None:
    for pattern, handler in list(_subscribers):
        if fnmatch.fnmatchcase(event.type, pattern):
            try:
                handler(event)
            except Exception:
                # One broken subscriber must not starve the others (or fail the request).
                logger.exception("Event subscriber %r failed for %s", handler, event.type)
