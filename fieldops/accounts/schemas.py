from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from fieldops.inputs import Moment


class OrganizationOut(Schema):
    id: UUID
    name: str
    slug: str
    time_zone: str


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    organization: OrganizationOut


class ApiTokenIn(Schema):
    name: str
    expires_at: Moment | None = Field(
        None, description="Without an offset: in the organisation's zone"
    )


class ApiTokenOut(Schema):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str
