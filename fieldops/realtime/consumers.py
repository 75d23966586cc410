from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from fieldops.accounts.middleware import SESSION_ORGANIZATION_KEY
from fieldops.accounts.selectors import membership_for_session
from fieldops.realtime import watchdog
from fieldops.realtime.groups import groups_for_member

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NO_MEMBERSHIP = 4403


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """One socket per open page; joins only groups of the user's own organisation."""

    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        session = self.scope.get("session") or {}
        membership = await database_sync_to_async(membership_for_session)(
            user, session.get(SESSION_ORGANIZATION_KEY)
        )
        if membership is None:
            await self.close(code=CLOSE_NO_MEMBERSHIP)
            return
        for group in groups_for_member(
            organization_id=membership.organization_id,
            membership_id=membership.pk,
            role=membership.role,
        ):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        watchdog.watch(self)
        await self.send_json({"type": "hello", "groups": len(self.groups_joined)})

    async def disconnect(self, code: int) -> None:
        watchdog.unwatch(self)
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def dispatch(self, message: dict) -> None:
        # Channels runs close_old_connections() in a worker thread before every handler: for a
        # notice to a 500-socket group that is 500 thread hops in Daphne per event, most of its
        # CPU. Forwarding a notice touches no database, so it skips that; everything else (connect
        # and its membership lookup) goes through Channels' own dispatch.
        if message["type"] == "event.notice":
            await self.event_notice(message)
            return
        await super().dispatch(message)

    async def event_notice(self, message: dict) -> None:
        if "text" in message:  # pre-encoded by broadcast_event for the whole group
            await self.send(text_data=message["text"])
        else:
            await self.send_json({"type": "event", "event": message["event"]})
