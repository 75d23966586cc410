"""The phone's sync: push queued changes, pull the jobs it keeps."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja import Router

from fieldops.errors import ValidationFailed
from workorders.offline.schemas import PullOut, PushIn, PushOut
from workorders.offline.selectors import device_work_orders
from workorders.offline.services import sync_push

router = Router(tags=["offline sync"])


@router.post("/push", response=PushOut, summary="Apply queued changes in order, each exactly once")
def push(request: HttpRequest, payload: PushIn) -> dict:
    results = sync_push(
        membership=request.auth,
        device_id=payload.device_id,
        device_now=payload.device_now,
        mutations=payload.mutations,
        pending=payload.pending,
    )
    return {"results": results, "server_time": timezone.now()}


@router.get(
    "/pull", response=PullOut, summary="The jobs this device keeps, changed since the cursor"
)
def pull(request: HttpRequest, cursor: str | None = None) -> dict:
    since = None
    if cursor:
        since = parse_datetime(cursor)
        if since is None:
            raise ValidationFailed(details={"cursor": "Use the cursor the last pull returned."})
    return device_work_orders(request.auth, since=since)
