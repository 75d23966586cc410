"""Both modes are configured from the environment alone (checked in fresh interpreters)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "databases": sorted(settings.DATABASES),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL.split(":")[0],
    "visibility": settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout"),
    "cache": settings.CACHES["default"]["BACKEND"],
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "cookies": [settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME],
    "embedded": settings.EMBEDDED,
}))
"""


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SECURE_COOKIES",
            "SECURE_HSTS_SECONDS",
            "DATABASE_POOL_SIZE",
        }
    }
    env.update(DJANGO_SETTINGS_MODULE="fieldops.settings", FIELDOPS_DATA_DIR=str(tmp_path))
    env.update(extra)
    return env


def probe(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_embedded_default_needs_no_server(tmp_path):
    result = probe(clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["databases"] == ["channels", "default"]
    assert config["layer"] == "channels_lite.layers.core.SQLiteChannelLayer"
    assert config["broker"] == "filesystem"
    assert config["embedded"] is True
    assert (tmp_path / "secret_key").exists()


def test_production_uses_postgres_and_redis(tmp_path):
    env = clean_env(
        tmp_path,
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/fieldops",
        REDIS_URL="redis://127.0.0.1:6379/0",
        SECRET_KEY="x" * 60,
    )
    config = json.loads(probe(env).stdout)
    assert config["engine"] == "django.db.backends.postgresql"
    assert config["databases"] == ["default"]
    assert config["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert config["broker"] == "redis"
    assert config["visibility"] > 10 * 3600
    assert config["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert config["ssl_redirect"] is True
    assert config["cookies"] == ["__Host-sessionid", "__Host-csrftoken"]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = probe(clean_env(tmp_path, DATABASE_URL="postgres://u:p@127.0.0.1/x"))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(("name", "value"), [("DEBUG", "maybe"), ("API_RATE_PER_MINUTE", "lots")])
def test_bad_values_fail_loudly(tmp_path, name, value):
    result = probe(clean_env(tmp_path, **{name: value}))
    assert result.returncode != 0
    assert f"{name} must be" in result.stderr


def test_check_deploy_passes_with_production_variables(tmp_path):
    env = clean_env(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        REDIS_URL="redis://127.0.0.1:6379/0",
        SECRET_KEY="k8s-" + "Zq7!pL2#wX9$" * 5,
        ALLOWED_HOSTS="fieldops.example.com",
        SECURE_PROXY_SSL="1",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


POOL_PROBE = """
import json, os
{prelude}
from django.conf import settings
import django
django.setup()
default = settings.DATABASES["default"]
pool = default.get("OPTIONS", {{}}).get("pool") or {{}}
from django.db import connection
opened = connection.pool.get_stats().get("pool_available") if pool else None
print(json.dumps({{
    "min": pool.get("min_size"),
    "opened": opened,
    "pool": (default.get("OPTIONS", {{}}).get("pool") or {{}}).get("max_size"),
    "resets": callable((default.get("OPTIONS", {{}}).get("pool") or {{}}).get("reset")),
    "conn_max_age": default["CONN_MAX_AGE"],
    "env_left": os.environ.get("DATABASE_POOL_SIZE"),
}}))
"""


@pytest.mark.parametrize(
    ("prelude", "extra", "expected_pool", "expected_age", "env_left"),
    [
        # A Celery worker or management command: one persistent connection per process.
        ("", {}, None, 60, None),
        # The web process: fieldops.asgi gives it a pool of 10, and does not leave that default
        # in the environment for the processes it starts.
        ("import fieldops.asgi", {}, 10, 0, None),
        # An operator's own size wins, for the web process and anything else that is given it.
        ("import fieldops.asgi", {"DATABASE_POOL_SIZE": "4"}, 4, 0, "4"),
    ],
)
def test_web_processes_borrow_postgres_connections_from_a_pool(
    tmp_path, prelude, extra, expected_pool, expected_age, env_left
):
    env = clean_env(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        SECRET_KEY="x" * 50,
        **extra,
    )
    result = subprocess.run(
        [sys.executable, "-c", POOL_PROBE.format(prelude=prelude)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["pool"] == expected_pool
    # The pool is open, with its first connection, before the process serves; it grows
    # under load and shrinks back to one (a pool of dead connections after a failover is
    # checked one by one with a growing back-off).
    assert config["min"] == (1 if expected_pool else None)
    assert config["opened"] == (1 if expected_pool else None)
    assert config["resets"] == (expected_pool is not None)
    assert config["conn_max_age"] == expected_age
    assert config["env_left"] == env_left
