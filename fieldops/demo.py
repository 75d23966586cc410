"""Demo data: each app contributes a ``demo.py`` with ``seed(context)``; ``seed_demo`` runs them
in app order (core first), so the core needs no import of the apps above it."""

import importlib
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from fieldops.accounts.models import Membership, Organization, Role
from fieldops.accounts.services import member_add

DEMO_PASSWORD = "fieldops-demo"  # noqa: S105 - printed for the demo on purpose
DEMO_PEOPLE = [
    ("admin", Role.ADMIN, "Alex", "Admin"),
    ("dispatcher", Role.DISPATCHER, "Dana", "Dispatch"),
    ("supervisor", Role.SUPERVISOR, "Sam", "Supervisor"),
    ("tech1", Role.TECHNICIAN, "Toni", "Alvarez"),
    ("tech2", Role.TECHNICIAN, "Priya", "Natarajan"),
    ("tech3", Role.TECHNICIAN, "Jonas", "Berg"),
    ("tech4", Role.TECHNICIAN, "Mei", "Chen"),
]


@dataclass
class DemoContext:
    organization: Organization
    members: dict[str, Membership] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, created: bool) -> None:
        if created:
            self.created[what] = self.created.get(what, 0) + 1


def seed_core() -> DemoContext:
    org, created = Organization.objects.get_or_create(
        slug="northwind", defaults={"name": "Northwind Facilities", "time_zone": "Europe/Berlin"}
    )
    context = DemoContext(organization=org)
    context.count("organizations", created)
    for username, role, first, last in DEMO_PEOPLE:
        existed = Membership.objects.filter(user__username=username, organization=org).exists()
        context.members[username] = member_add(
            organization=org,
            username=username,
            role=role,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@northwind.example",
        )
        context.count("people", not existed)
    return context


def seed_all() -> DemoContext:
    with transaction.atomic():
        context = seed_core()
        for config in apps.get_app_configs():
            if config.name.startswith("django.") or not module_has_submodule(config.module, "demo"):
                continue
            module = importlib.import_module(f"{config.name}.demo")
            module.seed(context)
    return context
