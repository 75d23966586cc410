"""bench/load.py, bounded for CI: a dozen users of every role for a few seconds against a real
Daphne and Celery worker on PostgreSQL + Redis. Every request must succeed; the latency
figures are printed, not judged (CI machines are shared). The full run is

    .venv/bin/python bench/load.py            # 200 users, 60 s, 2 Daphne processes
"""

import json
import subprocess
import sys

import pytest

from tests.processes import ROOT, postgres_admin_url

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        postgres_admin_url() is None,
        reason="bench/load.py runs on PostgreSQL: set DATABASE_URL (CI does)",
    ),
]


def test_a_short_mixed_load_runs_without_a_single_error(stack, tmp_path):
    out = tmp_path / "load.json"
    result = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            "--database-url",
            stack.database_url,
            "--users",
            "12",
            "--duration",
            "5",
            "--work-orders",
            "300",
            "--web",
            "1",
            "--think-scale",
            "0.2",
            "--ramp",
            "1",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    print(result.stdout[-4000:])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(out.read_text())
    assert summary["total"]["errors"] == 0, summary["examples"]
    assert summary["total"]["requests"] >= 30
    exercised = set(summary["endpoints"])
    for endpoint in (
        "GET /my-work/",
        "GET /board/",
        "GET /dashboard/",
        "GET /api/v1/work-orders?updated_since",
    ):
        assert endpoint in exercised, exercised
