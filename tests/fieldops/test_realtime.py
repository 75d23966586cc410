"""The ASGI app's sockets: session auth, origin check, per-organisation groups, after-commit."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from fieldops.asgi import application
from fieldops.events import publish_event

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://testserver")


def session_cookie(membership) -> bytes:
    client = Client()
    client.force_login(membership.user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(membership=None, origin=ORIGIN) -> tuple[WebsocketCommunicator, bool, int]:
    headers = [origin] if origin else []
    if membership is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(membership)))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


def publish(organization, event_type="system.ping", technician_ids=()):
    return publish_event(
        event_type, organization_id=organization.pk, data={"n": 1}, technician_ids=technician_ids
    )


async def test_anonymous_socket_is_refused():
    _communicator, connected, code = await connect()
    assert not connected
    assert code == 4401


async def test_foreign_origin_is_refused(dispatcher):
    _communicator, connected, _ = await connect(dispatcher, origin=(b"origin", b"http://evil.test"))
    assert not connected


async def test_dispatcher_receives_events_of_own_organisation_only(dispatcher, other_org_user):
    own, connected, _ = await connect(dispatcher)
    assert connected
    assert (await own.receive_json_from())["type"] == "hello"
    other, connected, _ = await connect(other_org_user)
    assert connected
    await other.receive_json_from()

    event = await sync_to_async(publish)(dispatcher.organization)
    received = await own.receive_json_from(timeout=3)
    assert received["event"]["id"] == event.id
    assert received["event"]["organization_id"] == dispatcher.organization_id
    assert await other.receive_nothing(timeout=0.3)
    await own.disconnect()
    await other.disconnect()


async def test_technician_gets_only_events_addressed_to_them(technician, organization):
    from tests.factories import MembershipFactory

    colleague = await sync_to_async(MembershipFactory)(organization=organization)
    mine, _, _ = await connect(technician)
    await mine.receive_json_from()
    theirs, _, _ = await connect(colleague)
    await theirs.receive_json_from()

    await sync_to_async(publish)(organization, technician_ids=[technician.pk])
    assert (await mine.receive_json_from(timeout=3))["type"] == "event"
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


async def test_event_of_a_rolled_back_transaction_is_never_sent(dispatcher):
    communicator, _, _ = await connect(dispatcher)
    await communicator.receive_json_from()

    def publish_then_fail():
        try:
            with transaction.atomic():
                publish(dispatcher.organization)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    await sync_to_async(publish_then_fail)()
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


def test_unknown_event_type_is_refused(organization):
    with pytest.raises(ValueError, match="catalogue"):
        publish_event("workorder.exploded", organization_id=organization.pk, data={})


async def test_sync_publisher_inside_a_running_loop_still_delivers(dispatcher, monkeypatch):
    """Sync code called from an event-loop thread (as a Playwright-driven test does, with
    DJANGO_ALLOW_ASYNC_UNSAFE) cannot block on that loop; the notice must go out all the same."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    communicator, _, _ = await connect(dispatcher)
    await communicator.receive_json_from()
    event = publish(dispatcher.organization)  # plain sync call, on this loop's thread
    received = await communicator.receive_json_from(timeout=3)
    assert received["event"]["id"] == event.id
    await communicator.disconnect()


async def test_forwarding_a_notice_makes_no_database_thread_hop(dispatcher, monkeypatch):
    """Channels closes old DB connections in a worker thread before every handler; for a notice
    to a 500-socket group that was most of Daphne's CPU. The notice path touches no database."""
    import channels.consumer

    hops = []
    original = channels.consumer.aclose_old_connections

    async def counting():
        hops.append(1)
        await original()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counting)
    communicator, _, _ = await connect(dispatcher)
    await communicator.receive_json_from()
    hops_after_connect = len(hops)
    for _ in range(3):
        await sync_to_async(publish)(dispatcher.organization)
        assert (await communicator.receive_json_from(timeout=3))["type"] == "event"
    assert len(hops) == hops_after_connect
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=3))["type"] == "pong"
    assert len(hops) == hops_after_connect + 1  # everything else still goes through Channels
    await communicator.disconnect()


async def test_pubsub_layer_lost_closes_live_sockets_and_they_work_again_after(
    dispatcher, settings, tmp_path
):
    """The Redis pub/sub layer would keep a socket open through an outage while its notices are
    lost; the watchdog closes it (4011) so the page reconnects and catches up, as on the core
    layer. A private redis-server, so this runs the same with or without REDIS_URL."""
    from tests.processes import redis_server

    with redis_server(tmp_path) as redis:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [redis.url]},
            }
        }
        communicator, connected, _ = await connect(dispatcher)
        assert connected
        await communicator.receive_json_from()
        event = await sync_to_async(publish)(dispatcher.organization)
        assert (await communicator.receive_json_from(timeout=3))["event"]["id"] == event.id

        redis.stop()
        closed = await communicator.receive_output(timeout=10)
        assert closed == {"type": "websocket.close", "code": 4011}
        await communicator.wait(timeout=5)

        redis.start()
        again, connected, _ = await connect(dispatcher)
        assert connected
        await again.receive_json_from()
        # The first notice after the restart arrives: its first PUBLISH, on a pooled connection
        # that Redis closed, fails, and broadcast_event sends it again on a new one.
        event = await sync_to_async(publish)(dispatcher.organization)
        assert (await again.receive_json_from(timeout=3))["event"]["id"] == event.id
        await again.disconnect()


def test_a_notice_stuck_in_the_layer_does_not_hold_the_caller_past_its_timeout():
    """Sync code on an event loop's thread sends from a helper thread; a layer that hangs must
    cost the caller its timeout, not the hang."""
    import asyncio
    import time as clock

    from fieldops.realtime.broadcast import run_until_sent

    async def hangs() -> None:
        await asyncio.sleep(3)

    async def caller() -> float:
        started = clock.perf_counter()
        with pytest.raises(TimeoutError):
            run_until_sent(hangs, timeout=0.2)
        return clock.perf_counter() - started

    assert asyncio.run(caller()) < 1.5
