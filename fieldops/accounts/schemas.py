from datetime import datetime
from uuid import UUID

from ninja import Schema


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
    expires_at: datetime | None = None


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
