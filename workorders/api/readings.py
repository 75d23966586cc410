"""Meter readings taken on a work order: the job's asset's meters, stored by the one reading
service and recorded with the job (the page's form takes the same input, JobReadingIn)."""

from django.http import HttpRequest
from ninja import Status

from assets.api import reading_out
from assets.schemas import ReadingOut
from workorders import services
from workorders.api._common import created_or_found, router
from workorders.schemas import JobReadingIn
from workorders.selectors import job_meter_readings, work_order_get_for_member


@router.get("/work-orders/{ref}/readings", response=list[ReadingOut])
def job_reading_list(request: HttpRequest, ref: str) -> list[dict]:
    work_order = work_order_get_for_member(request.auth, ref)
    return [reading_out(r) for r in job_meter_readings(work_order)]


@router.post(
    "/work-orders/{ref}/readings",
    response={201: ReadingOut, 200: ReadingOut},
    summary="Take a meter reading on the job (a value far from the last one needs "
    "confirm_unusual: VALIDATION_ERROR with details.unusual otherwise)",
)
def job_reading_add(request: HttpRequest, ref: str, payload: JobReadingIn) -> Status:
    work_order = work_order_get_for_member(request.auth, ref)
    reading, created = services.work_order_reading_record(
        membership=request.auth,
        work_order=work_order,
        meter_id=payload.meter_id,
        value=payload.value,
        note=payload.note,
        client_id=payload.id,
        unusual_confirmed=payload.confirm_unusual,
    )
    return created_or_found(reading_out(reading), created)
