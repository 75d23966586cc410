"""What the board's live updates rest on: each dispatch write reaches exactly the sockets that
show it (dispatch group, the technicians involved, supervisors), never another organisation's,
never from a rolled-back transaction. In-memory layer locally; Redis when REDIS_URL is set."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from fieldops.accounts.models import Role
from fieldops.asgi import application
from tests.factories import MembershipFactory
from tests.workorders.factories import assign, make_work_order, move
from workorders.services import work_order_assign

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://testserver")


def _cookie(membership) -> bytes:
    client = Client()
    client.force_login(membership.user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def socket_for(membership=None) -> WebsocketCommunicator:
    headers = [ORIGIN]
    if membership is not None:
        headers.append((b"cookie", await sync_to_async(_cookie)(membership)))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect()
    if membership is not None:
        assert connected
        assert (await communicator.receive_json_from(timeout=3))["type"] == "hello"
    return communicator


async def next_event(communicator, event_type: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=3)
        if message["type"] == "event" and message["event"]["type"] == event_type:
            return message["event"]


@pytest.fixture
def people(organization, other_organization):
    def member(role, org=organization):
        return MembershipFactory(organization=org, role=role)

    return {
        "dispatcher": member(Role.DISPATCHER),
        "supervisor": member(Role.SUPERVISOR),
        "assignee": member(Role.TECHNICIAN),
        "colleague": member(Role.TECHNICIAN),
        "rival": member(Role.DISPATCHER, other_organization),
        "rival_tech": member(Role.TECHNICIAN, other_organization),
    }


async def open_all(people) -> dict:
    return {name: await socket_for(m) for name, m in people.items()}


async def close_all(sockets) -> None:
    for socket in sockets.values():
        await socket.disconnect()


async def test_an_assignment_on_the_board_reaches_dispatch_supervisors_and_the_assignee(people):
    work_order = await sync_to_async(make_work_order)(people["dispatcher"], title="Leak")
    sockets = await open_all(people)

    await sync_to_async(work_order_assign)(
        membership=people["dispatcher"],
        work_order=work_order,
        technician_ids=[people["assignee"].public_id],
        expected_version=work_order.version,
    )

    for name in ("dispatcher", "supervisor", "assignee"):
        event = await next_event(sockets[name], "workorder.assigned")
        assert event["data"]["number"] == work_order.reference
        assert event["data"]["technicians"] == [str(people["assignee"].public_id)]
    for name in ("colleague", "rival", "rival_tech"):
        assert await sockets[name].receive_nothing(timeout=0.3), name
    await close_all(sockets)


async def test_the_technician_starting_the_job_reaches_the_board(people):
    def prepare():
        work_order = make_work_order(people["dispatcher"], title="Start me")
        return assign(work_order, people["assignee"], people["dispatcher"])

    work_order = await sync_to_async(prepare)()
    sockets = await open_all(people)

    await sync_to_async(move)(work_order, people["assignee"], "in_progress")

    event = await next_event(sockets["dispatcher"], "workorder.status_changed")
    assert event["data"] == {
        "number": work_order.reference,
        "id": str(work_order.public_id),
        "status": "in_progress",
        "version": work_order.version + 1,
        "previous": "assigned",
    }
    assert (await next_event(sockets["assignee"], "workorder.status_changed"))["id"] == event["id"]
    for name in ("colleague", "rival", "rival_tech"):
        assert await sockets[name].receive_nothing(timeout=0.3), name
    await close_all(sockets)


async def test_reassigning_tells_the_technician_who_lost_the_job(people):
    work_order = await sync_to_async(make_work_order)(people["dispatcher"], title="Swap")
    work_order = await sync_to_async(assign)(work_order, people["colleague"], people["dispatcher"])
    sockets = await open_all(people)

    await sync_to_async(work_order_assign)(
        membership=people["dispatcher"],
        work_order=work_order,
        technician_ids=[people["assignee"].public_id],
        expected_version=None,
    )

    await next_event(sockets["colleague"], "workorder.assigned")  # their My work must drop it
    await next_event(sockets["assignee"], "workorder.assigned")
    await close_all(sockets)


async def test_a_refused_or_rolled_back_assignment_sends_nothing(people):
    from workorders.services import OverrideRequired

    work_order = await sync_to_async(make_work_order)(
        people["dispatcher"], title="Gas", required_skill="f-gas"
    )
    sockets = await open_all(people)

    def refused():
        with pytest.raises(OverrideRequired):
            work_order_assign(
                membership=people["dispatcher"],
                work_order=work_order,
                technician_ids=[people["assignee"].public_id],
                expected_version=None,
            )

    def rolled_back():
        try:
            with transaction.atomic():
                work_order_assign(
                    membership=people["dispatcher"],
                    work_order=work_order,
                    technician_ids=[people["assignee"].public_id],
                    expected_version=None,
                    override=True,
                    override_reason="test",
                )
                raise RuntimeError("the caller's transaction fails after the assignment")
        except RuntimeError:
            pass
        work_order.refresh_from_db()
        assert work_order.status == "new"

    await sync_to_async(refused)()
    await sync_to_async(rolled_back)()
    for name, socket in sockets.items():
        assert await socket.receive_nothing(timeout=0.3), name
    await close_all(sockets)


async def test_an_anonymous_socket_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=[ORIGIN])
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401
