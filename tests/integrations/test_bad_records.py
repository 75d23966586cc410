"""One bad record never stops a run, in every connector: it is set aside with its reason, the
rest of its page (and the pages after it) are written, and the run ends completed with errors.
Retries of a run are capped: the stale sweep gives up after the cap, with an alert."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.connectors.factory import connector_for
from integrations.models import ConnectionStatus, ExternalReference, SyncRun
from integrations.services.sync import MAX_ATTEMPTS, sync_run_execute, sync_runs_resume_stale
from integrations.webhooks.models import WebhookAlert
from tests.integrations import spoil
from tests.integrations.kit import SYSTEMS, erp, sync  # noqa: F401  (erp is a fixture)


def run_spoiled(kit, connection):
    if kit.simulator is not None:
        sim = kit.simulator()
        bad = spoil.SIMULATED[kit.system](sim)
        return sync(connection, kit.entity, sim=sim), bad
    transport = spoil.TrytonSpoiler()
    connector = connector_for(connection, transport=transport, sleep=lambda s: None)
    run = SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity=kit.entity
    )
    run = sync_run_execute(run_id=run.pk, connector=connector)
    return run, transport.spoiled


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_bad_record_is_set_aside_and_the_run_completes_with_errors(
    system,
    organization,
    erp,  # noqa: F811
):
    kit = SYSTEMS[system]
    connection = kit.connection(organization, erp, page_size=2)
    run, bad = run_spoiled(kit, connection)
    assert bad
    assert (run.status, run.created, run.failed) == (
        "completed_with_errors",
        kit.records - 1,
        1,
    )
    assert [error["remote_id"] for error in run.errors] == [bad]
    assert run.errors[0]["error"]  # the reason, e.g. "InvalidOperation: ..."
    kept = set(ExternalReference.objects.filter(connection=connection).values_list("remote_id"))
    assert len(kept) == kit.records - 1
    assert (bad,) not in kept
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ONLINE


def stale_run(organization, attempts):
    connection = SYSTEMS["sap_s4hana"].connection(organization)
    run = SyncRun.objects.create(
        organization=organization,
        connection=connection,
        entity="assets",
        status="running",
        attempts=attempts,
    )
    SyncRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(hours=3))
    return run


def test_the_stale_sweep_resumes_a_run_with_attempts_left(
    organization, django_capture_on_commit_callbacks
):
    run = stale_run(organization, attempts=MAX_ATTEMPTS - 1)
    with django_capture_on_commit_callbacks(execute=False):
        assert sync_runs_resume_stale() == [run.pk]
    run.refresh_from_db()
    assert run.status == "running"
    assert not WebhookAlert.objects.exists()


def test_the_stale_sweep_gives_up_after_the_cap_with_an_alert(
    organization, django_capture_on_commit_callbacks
):
    run = stale_run(organization, attempts=MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sync_runs_resume_stale() == []
    run.refresh_from_db()
    assert (run.status, run.error_code) == ("failed", "RETRIES_EXHAUSTED")
    assert "5 attempts" in run.error_message
    alert = WebhookAlert.objects.get()
    assert (alert.kind, alert.connection_id) == ("sync_gave_up", run.connection_id)
    assert "gave up" in alert.message
    assert len(callbacks) >= 1  # sync.failed and system.error, once committed
    # A run that keeps dying is not the ERP's fault: the connection keeps its status.
    run.connection.refresh_from_db()
    assert run.connection.status == "offline"


def test_a_run_redelivered_after_its_last_attempt_fails_instead_of_running(organization):
    run = stale_run(organization, attempts=MAX_ATTEMPTS)
    run = sync_run_execute(run_id=run.pk)
    assert (run.status, run.error_code) == ("failed", "RETRIES_EXHAUSTED")
    assert WebhookAlert.objects.filter(kind="sync_gave_up").count() == 1
