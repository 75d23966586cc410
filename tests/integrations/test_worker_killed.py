"""A real Celery worker SIGKILLed in the middle of a sync: nothing lost, nothing twice.

The worker reads a Maximo simulator on loopback whose third page hangs; the test kills the
worker's whole process group there (two pages applied), starts a second worker, and the
stale-run sweep (what beat runs) dispatches the run again. It resumes from the checkpoint. The
broker is Redis when REDIS_URL is set (CI), the filesystem broker otherwise.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from tests.integrations.simulators.base import serve
from tests.integrations.simulators.maximo import MaximoSimulator, work_order
from tests.processes import ROOT, embedded_env, manage, worker

pytestmark = pytest.mark.processes

SETUP = """
from fieldops.accounts.services import organization_create
from integrations.crypto import encrypt_credentials
from integrations.models import Connection
from integrations.services.sync import sync_run_start
org = organization_create(name="Kill test", slug="kill-test")
connection = Connection.objects.create(
    organization=org, system="maximo", name="mx", base_url="{base_url}",
    credentials_encrypted=encrypt_credentials({{"apikey": "mx-key-123"}}),
    settings={{"page_size": 2, "timeout": 120}}, rate_limit_per_minute=10000,
)
print(sync_run_start(connection=connection, entity="work_orders", full=True).pk)
"""
RESUME = """
from datetime import timedelta
from integrations.services.sync import sync_runs_resume_stale
print(sync_runs_resume_stale(older_than=timedelta(0)))
"""
STATE = """
import json
from integrations.models import ExternalReference, SyncRun
from workorders.models import WorkOrder
run = SyncRun.objects.get(pk={run_id})
refs = ExternalReference.objects.filter(entity="work_orders")
print(json.dumps({{
    "status": run.status, "created": run.created, "pages": run.pages, "attempts": run.attempts,
    "refs": refs.count(), "remote_ids": len(set(refs.values_list("remote_id", flat=True))),
    "work_orders": WorkOrder.objects.count(),
    "linked": len(set(refs.values_list("local_id", flat=True))),
}}))
"""


def start_worker(env, name, logs):
    log = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    # Its own session, so the kill takes the prefork child along with the parent.
    process = subprocess.Popen(
        worker(name),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, log


def stop(process, log, sig=signal.SIGTERM):
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    log.close()


def state(env, run_id):
    return json.loads(
        manage(env, "shell", "-c", STATE.format(run_id=run_id)).strip().splitlines()[-1]
    )


def test_a_worker_killed_mid_sync_loses_nothing_and_duplicates_nothing(tmp_path):
    extra = {"REDIS_URL": os.environ["REDIS_URL"]} if os.environ.get("REDIS_URL") else {}
    env = embedded_env(tmp_path, **extra)
    manage(env, "migrate", "--verbosity", "0")
    sim = MaximoSimulator(slow_page=3, slow=60)
    sim.rows["mxapiwodetail"] = [
        work_order(1000 + i, f"WO{1000 + i}", f"2026-11-01T09:{i:02d}:00-05:00") for i in range(10)
    ]
    with serve(sim) as base_url:
        first, first_log = start_worker(env, "w1", tmp_path)
        try:
            run_id = int(manage(env, "shell", "-c", SETUP.format(base_url=base_url)).split()[-1])
            deadline = time.monotonic() + 90
            while not any(r.url.params.get("pageno") == "3" for r in sim.requests):
                assert time.monotonic() < deadline, (tmp_path / "w1.log").read_text()
                time.sleep(0.1)
            before = state(env, run_id)
        finally:
            stop(first, first_log, signal.SIGKILL)
        assert (before["status"], before["pages"], before["refs"]) == ("running", 2, 4)
        sim.slow = 0
        second, second_log = start_worker(env, "w2", tmp_path)
        try:
            manage(env, "shell", "-c", RESUME)
            deadline = time.monotonic() + 90
            while (after := state(env, run_id))["status"] != "completed":
                assert time.monotonic() < deadline, (after, (tmp_path / "w2.log").read_text())
                time.sleep(1)
        finally:
            stop(second, second_log)
    assert after == {
        "status": "completed",
        "created": 10,
        "pages": 5,
        "attempts": 2,
        "refs": 10,
        "remote_ids": 10,
        "work_orders": 10,
        "linked": 10,
    }
