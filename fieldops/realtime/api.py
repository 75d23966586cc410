import secrets

from django.http import HttpRequest
from ninja import Router, Schema, Status

from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.realtime.tasks import system_ping_task

router = Router(tags=["system"])


class PingOut(Schema):
    nonce: str
    queued: bool


@router.post(
    "/ping",
    response={202: PingOut},
    summary="Send a ping through the worker to your live screens (diagnostic)",
)
def ping(request: HttpRequest) -> Status:
    membership: Membership = request.auth
    require(membership, "system.ping")
    nonce = secrets.token_hex(8)
    system_ping_task.delay_on_commit(
        organization_id=membership.organization_id,
        requested_by=membership.user.get_username(),
        nonce=nonce,
    )
    return Status(202, {"nonce": nonce, "queued": True})
