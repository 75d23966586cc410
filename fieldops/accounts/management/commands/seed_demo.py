from django.core.management.base import BaseCommand

from fieldops.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_all


class Command(BaseCommand):
    help = "Create (or complete) the demo organisation. Running it again creates nothing new."

    def handle(self, *args, **options) -> None:
        context = seed_all()
        created = ", ".join(f"{n} {what}" for what, n in sorted(context.created.items()))
        self.stdout.write(f"Demo organisation: {context.organization.name}")
        self.stdout.write(f"Created: {created or 'nothing (already seeded)'}")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, *_ in DEMO_PEOPLE:
            self.stdout.write(f"  {username:<11} {role.label}")
