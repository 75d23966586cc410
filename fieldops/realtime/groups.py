"""Group names, only from here: ASCII, short, one organisation each."""


def dispatch_group(organization_id: int) -> str:
    return f"org-{organization_id}-dispatch"


def supervisors_group(organization_id: int) -> str:
    return f"org-{organization_id}-supervisors"


def technician_group(membership_id: int) -> str:
    return f"tech-{membership_id}"


def groups_for_member(*, organization_id: int, membership_id: int, role: str) -> list[str]:
    groups = [technician_group(membership_id)] if role == "technician" else []
    if role in ("dispatcher", "admin"):
        groups.append(dispatch_group(organization_id))
    if role in ("supervisor", "admin"):
        groups.append(supervisors_group(organization_id))
    return groups
