from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate every configured database (and, with --demo, seed the demo organisation)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--demo", action="store_true", help="also run seed_demo")

    def handle(self, *args, demo: bool = False, **options) -> None:
        for alias in settings.DATABASES:
            call_command("migrate", database=alias, interactive=False, verbosity=0)
            self.stdout.write(f"Database '{alias}' is up to date.")
        if demo:
            call_command("seed_demo", stdout=self.stdout)
