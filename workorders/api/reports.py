"""The customer's signature and the service report it fixes."""

from django.http import HttpRequest
from ninja import File, Form, Status
from ninja.files import UploadedFile

from fieldops.uploads import check_upload
from workorders import services
from workorders.api._common import created_or_found, router, source_of
from workorders.schemas import ReportOut, SignatureIn, SignatureOut
from workorders.selectors import work_order_get_for_member
from workorders.services.reports import report_content, report_sha256


@router.post(
    "/work-orders/{ref}/signature",
    response={201: SignatureOut, 200: SignatureOut},
    summary="The customer's signature (PNG); fixes the report's SHA-256",
)
def signature_add(
    request: HttpRequest,
    ref: str,
    image: File[UploadedFile],
    details: Form[SignatureIn],
) -> Status:
    work_order = work_order_get_for_member(request.auth, ref)
    signature, created = services.signature_add(
        membership=request.auth,
        work_order=work_order,
        signer_name=details.signer_name,
        reviewed_sha256=details.reviewed_sha256,
        image=check_upload(image, field="image", images_only=True),
        client_id=details.id,
        device_time=details.occurred_at,
        source=source_of(request),
    )
    return created_or_found(
        {
            "id": signature.public_id,
            "signer_name": signature.signer_name,
            "occurred_at": signature.occurred_at,
            "report_sha256": signature.report_sha256,
        },
        created,
    )


@router.get(
    "/work-orders/{ref}/report",
    response=ReportOut,
    summary="The service report, and whether it still matches what was signed",
)
def report(request: HttpRequest, ref: str) -> dict:
    work_order = work_order_get_for_member(request.auth, ref)
    signature = work_order.signatures.order_by("-occurred_at", "-id").first()
    current = report_sha256(work_order)
    return {
        "number": work_order.reference,
        "signed": signature is not None,
        "intact": None if signature is None else signature.report_sha256 == current,
        "signed_sha256": signature.report_sha256 if signature else None,
        "current_sha256": current,
        "content": report_content(work_order),
    }
