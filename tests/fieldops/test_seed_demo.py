import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label not in ("sessions", "admin", "contenttypes", "auth")
        or model._meta.model_name == "user"
    }


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    first = row_counts()
    out = capsys.readouterr().out
    assert "dispatcher" in out
    assert "fieldops-demo" in out
    assert first["accounts.Membership"] >= 4
    call_command("seed_demo")
    assert row_counts() == first
    assert "nothing (already seeded)" in capsys.readouterr().out


def test_seed_demo_gives_every_role_a_login():
    from fieldops.accounts.models import Membership

    call_command("seed_demo")
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"technician", "dispatcher", "supervisor", "admin"}
