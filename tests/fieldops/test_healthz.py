import pytest

from fieldops.web import health

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_is_503_when_a_dependency_is_down(client, monkeypatch):
    def broker_down():
        raise ConnectionRefusedError("redis://:secret@10.0.0.1:6379")

    monkeypatch.setitem(health.CHECKS, "broker", broker_down)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"] == {
        "ok": False,
        "error": "ConnectionRefusedError",
        "ms": body["checks"]["broker"]["ms"],
    }
    assert "secret" not in response.content.decode()
