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


@pytest.mark.parametrize(
    "backend",
    ["channels_redis.pubsub.RedisPubSubChannelLayer", "channels_redis.core.RedisChannelLayer"],
)
def test_healthz_probes_either_redis_channel_layer(client, settings, tmp_path, backend):
    """The pub/sub layer only delivers to channels subscribed before the send; the probe listens
    first. A private redis-server, so this runs the same with or without REDIS_URL."""
    from tests.processes import redis_server

    with redis_server(tmp_path) as redis:
        settings.CHANNEL_LAYERS = {
            "default": {"BACKEND": backend, "CONFIG": {"hosts": [redis.url]}}
        }
        assert client.get("/healthz").json()["checks"]["channel_layer"]["ok"] is True
        redis.stop()
        check = client.get("/healthz").json()["checks"]["channel_layer"]
        assert check["ok"] is False
