"""Workforce builders for dispatch tests."""

from datetime import time

from fieldops.accounts.models import Membership
from workorders.dispatch.models import (
    Certification,
    Shift,
    Skill,
    TechnicianProfile,
    TechnicianSkill,
)

WEEKDAYS = range(7)


def make_skill(organization_id: int, code: str = "hvac", name: str = "HVAC", **fields) -> Skill:
    skill, _ = Skill.objects.get_or_create(
        organization_id=organization_id, code=code, defaults={"name": name, **fields}
    )
    return skill


def make_profile(
    technician: Membership,
    *,
    skills: dict[Skill, int] | None = None,
    home: tuple[float, float] | None = None,
    shifts: list[tuple[int, time, time]] | None = None,
    all_week: tuple[time, time] | None = None,
    **fields,
) -> TechnicianProfile:
    profile, _ = TechnicianProfile.objects.update_or_create(
        membership=technician,
        defaults={
            "organization_id": technician.organization_id,
            "home_latitude": home[0] if home else None,
            "home_longitude": home[1] if home else None,
            **fields,
        },
    )
    for skill, level in (skills or {}).items():
        TechnicianSkill.objects.update_or_create(
            profile=profile, skill=skill, defaults={"level": level}
        )
    if all_week:
        shifts = [(day, *all_week) for day in WEEKDAYS]
    for weekday, starts, ends in shifts or []:
        Shift.objects.create(profile=profile, weekday=weekday, starts=starts, ends=ends)
    return profile


def certify(profile: TechnicianProfile, skill: Skill, *, expires_on=None) -> Certification:
    return Certification.objects.create(
        profile=profile, skill=skill, name=f"{skill.name} certificate", expires_on=expires_on
    )
