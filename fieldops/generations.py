"""Per-organisation generation tokens: what a shared rendering or shared figures are keyed by, so
that a committed change makes them stale for every process at once.

A generation is a random token, replaced after each change (a counter could come back after a
cache eviction and revive an old value). Bumps run after commit: a cache that is down must not
turn a committed change into an error, so it is logged, and readers that also key on time or on
``updated_at`` stamps still move on."""

import logging
import uuid

from django.core.cache import cache

from fieldops.events import Event

logger = logging.getLogger("fieldops.generations")


class Generation:
    def __init__(self, key_format: str) -> None:
        self.key_format = key_format  # with one "{}" for the organisation

    def key(self, organization_id: int) -> str:
        return self.key_format.format(organization_id)

    def current(self, organization_id: int) -> str:
        return cache.get(self.key(organization_id), "")

    def bump(self, organization_id: int) -> None:
        try:
            cache.set(self.key(organization_id), uuid.uuid4().hex, timeout=None)
        except Exception:
            logger.warning("Could not mark %s stale", self.key(organization_id))

    def bump_for(self, event: Event) -> None:
        """Event subscriber: runs after the change committed."""
        self.bump(event.organization_id)

    def bump_for_many(self, events: list[Event]) -> None:
        """The same for a batch of events (an offline push): once per organisation."""
        for organization_id in {event.organization_id for event in events}:
            self.bump(organization_id)
