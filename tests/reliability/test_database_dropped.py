"""PostgreSQL drops the connection of a request in flight (``pg_terminate_backend`` of the very
backend serving it, as a failover or an administrator would): the client gets a clean 503 in the
error envelope with Retry-After, nothing half-written stays behind, and the retry succeeds and
creates the work order exactly once. Real Daphne, real PostgreSQL."""

import threading
import uuid

import psycopg
import pytest

from tests.processes import postgres_admin_url, wait_for
from tests.reliability.conftest import api_headers

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        postgres_admin_url() is None,
        reason="a PostgreSQL fault: runs when DATABASE_URL is a PostgreSQL URL (as in CI)",
    ),
]

TITLE = "Boiler pressure drop (connection test)"


@pytest.fixture
def web(stack):
    _, base_url = stack.start_daphne()
    return base_url


def work_orders_titled(stack) -> int:
    return stack.scalar("SELECT count(*) FROM workorders_workorder WHERE title = ?", (TITLE,))


def test_connection_killed_mid_request_answers_503_and_the_retry_creates_once(stack, web):
    client = stack.client(web, "dispatcher")
    headers = {**api_headers(client), "Idempotency-Key": f"drop-{uuid.uuid4()}"}
    before = stack.scalar("SELECT count(*) FROM workorders_workorder")
    answers = []
    with psycopg.connect(stack.database_url) as blocker:
        # Hold the numbering lock, so the request's INSERT waits where we can find it.
        blocker.execute("SELECT * FROM workorders_workordersequence FOR UPDATE")
        request = threading.Thread(
            target=lambda: answers.append(
                client.post("/api/v1/work-orders", json={"title": TITLE}, headers=headers)
            )
        )
        request.start()
        waiting = wait_for(
            lambda: stack.query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            ),
            timeout=30,
            what="the request to wait on the lock",
        )
        assert len(waiting) == 1
        stack.query("SELECT pg_terminate_backend(?)", (waiting[0][0],))
        request.join(timeout=30)
        blocker.rollback()

    response = answers[0]
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert response.headers["Retry-After"].isdigit()
    assert "psycopg" not in response.text
    assert "terminat" not in response.text
    assert stack.scalar("SELECT count(*) FROM workorders_workorder") == before

    retried = client.post("/api/v1/work-orders", json={"title": TITLE}, headers=headers)
    assert retried.status_code == 201, retried.text
    again = client.post("/api/v1/work-orders", json={"title": TITLE}, headers=headers)
    assert again.status_code == 201
    assert again.json()["number"] == retried.json()["number"]
    assert work_orders_titled(stack) == 1


def test_idle_connections_dropped_between_requests_are_replaced_without_an_error(stack, web):
    client = stack.client(web, "supervisor")
    assert client.get("/api/v1/work-orders?limit=5").status_code == 200
    # Every server connection to the database goes (a PostgreSQL restart or failover); the web
    # process still holds its persistent ones (CONN_MAX_AGE).
    killed = stack.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    assert killed
    answers = [client.get("/api/v1/work-orders?limit=5").status_code for _ in range(3)]
    assert answers == [200, 200, 200]
