from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from fieldops.tenancy import get_for_organization
from workorders.models import Attachment


@login_required
def attachment_file(request: HttpRequest, attachment_id: UUID) -> FileResponse:
    attachment = get_for_organization(
        Attachment.objects.all(),
        organization_id=request.membership.organization_id,
        public_id=attachment_id,
    )
    # FileResponse quotes and encodes the name itself (RFC 6266), so a crafted name cannot
    # inject headers.
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=False,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
