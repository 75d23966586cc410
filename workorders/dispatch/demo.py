"""Demo workforce: skills (one needing a certificate), crews, shifts, home bases and phones for
tech1..tech4, site positions for the map, and required skills on the demo work."""

from datetime import time, timedelta

from django.utils import timezone

from assets.models import Location
from workorders.dispatch.models import (
    Certification,
    Crew,
    DeviceState,
    Shift,
    Skill,
    TechnicianProfile,
    TechnicianSkill,
)
from workorders.models import WorkOrder

SKILLS = [
    ("mechanical", "Mechanical", False),
    ("electrical", "Electrical", False),
    ("hvac", "HVAC", False),
    ("f-gas", "F-gas handling", True),
    ("boiler", "Boilers", False),
]
SITES = {"BER": (52.5163, 13.3777), "HAM": (53.5461, 9.9661)}
EARLY, LATE = (time(6, 0), time(14, 30)), (time(10, 0), time(18, 30))
# username: crew, home base, shift, {skill: level}, certificate days left (f-gas), phone
PEOPLE = {
    "tech1": ("Berlin crew", (52.5310, 13.3847), EARLY, {"mechanical": 4, "boiler": 3}, None),
    "tech2": ("Berlin crew", (52.4970, 13.4210), LATE, {"hvac": 5, "f-gas": 4}, 200),
    "tech3": ("Hamburg crew", (53.5620, 10.0010), EARLY, {"electrical": 4, "mechanical": 2}, None),
    "tech4": ("Berlin crew", (52.3906, 13.0645), LATE, {"hvac": 3, "f-gas": 3}, -12),
}
# Minutes since the phone last synced, and changes it still holds.
PHONES = {"tech1": (3, 0), "tech2": (1, 0), "tech3": (95, 4), "tech4": (12, 1)}
REQUIRED = {
    "Chiller high-pressure alarm": "f-gas",
    "AHU filter change": "hvac",
    "Boiler burner flame unstable": "boiler",
    "Feed pump A leaking at the seal": "mechanical",
    "Forklift horn not working": "electrical",
    "Generator monthly test run": "electrical",
}


def seed(context) -> None:
    org = context.organization
    for code, (lat, lng) in SITES.items():
        Location.objects.filter(organization=org, code=code, latitude__isnull=True).update(
            latitude=lat, longitude=lng
        )
    skills = {}
    for code, name, certified in SKILLS:
        skills[code], created = Skill.objects.get_or_create(
            organization=org,
            code=code,
            defaults={"name": name, "requires_certification": certified},
        )
        context.count("skills", created)
    today = timezone.localdate()
    now = timezone.now()
    for username, (crew_name, home, shift, levels, cert_days) in PEOPLE.items():
        member = context.members[username]
        crew, _ = Crew.objects.get_or_create(organization=org, name=crew_name)
        profile, created = TechnicianProfile.objects.get_or_create(
            membership=member,
            defaults={
                "organization": org,
                "crew": crew,
                "home_latitude": home[0],
                "home_longitude": home[1],
            },
        )
        context.count("technician profiles", created)
        if not created:
            continue
        for code, level in levels.items():
            TechnicianSkill.objects.create(profile=profile, skill=skills[code], level=level)
        if cert_days is not None:
            Certification.objects.create(
                profile=profile,
                skill=skills["f-gas"],
                name="F-gas category I",
                issued_on=today - timedelta(days=3 * 365),
                expires_on=today + timedelta(days=cert_days),
            )
        # A rota that covers every day, so the demo board means something on a Sunday too.
        for weekday in range(7):
            Shift.objects.create(profile=profile, weekday=weekday, starts=shift[0], ends=shift[1])
        minutes, pending = PHONES[username]
        DeviceState.objects.create(
            organization=org,
            membership=member,
            device_id=f"{username}-phone",
            last_synced_at=now - timedelta(minutes=minutes),
            pending_changes=pending,
        )
    for title, skill in REQUIRED.items():
        WorkOrder.objects.filter(organization=org, title=title, required_skill="").update(
            required_skill=skill
        )
