from django.db.models import QuerySet

from fieldops.accounts.models import ApiToken, Membership, Role

ROLE_HOME_URL_NAMES = {
    Role.TECHNICIAN: "my-work",
    Role.DISPATCHER: "board",
    Role.SUPERVISOR: "dashboard",
    Role.ADMIN: "dashboard",
}


def memberships_for_user(user) -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("organization")
        .filter(user=user, is_active=True)
        .order_by("organization__name")
    )


def membership_for_session(user, organization_id: int | None) -> Membership | None:
    """The membership a signed-in browser acts as: the chosen organisation, else the first."""
    memberships = memberships_for_user(user)
    chosen = None
    if organization_id is not None:
        chosen = memberships.filter(organization_id=organization_id).first()
    if chosen is None:
        chosen = memberships.first()
    if chosen is not None:
        # The signed-in user is this membership's user: saves reading it again for the names
        # that notes, history and answers show.
        chosen.user = user
    return chosen


def api_tokens_for_user(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("membership__organization").filter(membership__user=user)


def home_url_name(membership: Membership | None) -> str:
    if membership is None:
        return "no-organization"
    return ROLE_HOME_URL_NAMES.get(membership.role, "dashboard")
