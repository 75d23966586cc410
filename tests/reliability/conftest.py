"""Production-shaped stacks for the fault and scale-out tests.

One database is migrated and seeded with the demo organisation once per session (a PostgreSQL
template database when DATABASE_URL is set, as in CI; a SQLite file otherwise); each test gets a
fresh copy of it (``CREATE DATABASE … TEMPLATE`` is a file copy, well under a second) and its own
``redis-server`` on a free loopback port, so it may restart Redis without touching anyone else's.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.processes import (
    PRODUCTION_FLAGS,
    Proc,
    RedisServer,
    daphne,
    embedded_env,
    free_port,
    login,
    manage,
    postgres_admin_url,
    postgres_execute,
    redis_server,
    wait_for,
    wait_healthy,
    worker,
)

PASSWORD = "fieldops-demo"
# Migrations never talk to Redis; the URL only selects the same apps and settings as at run time.
UNUSED_REDIS = "redis://127.0.0.1:1/0"


@dataclass
class Template:
    postgres: str | None  # template database name on the DATABASE_URL server
    sqlite_dir: Path | None  # FIELDOPS_DATA_DIR holding the migrated SQLite file


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Iterator[Template]:
    workdir = tmp_path_factory.mktemp("reliability-template")
    admin = postgres_admin_url()
    if admin is None:
        env = embedded_env(workdir, REDIS_URL=UNUSED_REDIS, **PRODUCTION_FLAGS)
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "seed_demo")
        yield Template(postgres=None, sqlite_dir=workdir)
        return
    name = f"fo_reliability_tpl_{uuid.uuid4().hex[:8]}"
    postgres_execute(f'CREATE DATABASE "{name}"')
    try:
        env = embedded_env(
            workdir,
            DATABASE_URL=f"{admin.rsplit('/', 1)[0]}/{name}",
            REDIS_URL=UNUSED_REDIS,
            **PRODUCTION_FLAGS,
        )
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "seed_demo")
        yield Template(postgres=name, sqlite_dir=None)
    finally:
        postgres_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Stack:
    """Processes started on one database and one Redis; everything is stopped at the end."""

    env: dict[str, str]
    redis: RedisServer
    logs: Path
    database_url: str | None
    sqlite_path: Path | None
    procs: list[Proc] = field(default_factory=list)

    @property
    def postgres(self) -> bool:
        return self.database_url is not None

    def start_daphne(self, name: str = "web1") -> tuple[Proc, str]:
        port = free_port()
        proc = Proc(name, daphne(port), self.env, self.logs)
        self.procs.append(proc)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base_url, timeout=60)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{proc.log()}") from None
        return proc, base_url

    def start_worker(self, name: str = "w1") -> Proc:
        proc = Proc(name, worker(name), self.env, self.logs)
        self.procs.append(proc)
        wait_for(
            lambda: " ready." in proc.log() or not proc.alive(),
            timeout=60,
            what=f"worker {name} to be ready",
        )
        assert proc.alive(), proc.log()
        return proc

    def shell(self, code: str) -> str:
        """Run Python in ``manage.py shell`` against this stack; returns its last output line."""
        lines = manage(self.env, "shell", "-c", code).strip().splitlines()
        return lines[-1] if lines else ""

    def send_task(self, name: str, *args) -> None:
        """Queue a task by name on the stack's broker, as beat does (no Django start-up)."""
        from celery import Celery

        with Celery(broker=self.redis.url, set_as_current=False) as app:
            app.send_task(name, args=list(args), serializer="json")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the stack's database directly (SQL that both PostgreSQL and SQLite accept)."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as conn:
                cursor = conn.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall() if cursor.description else []
        with sqlite3.connect(self.sqlite_path, timeout=20) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def scalar(self, sql: str, params: tuple = ()):
        return self.query(sql, params)[0][0]

    def client(self, base_url: str, username: str) -> httpx.Client:
        client = httpx.Client(base_url=base_url, timeout=30)
        login(client, username, PASSWORD)
        return client

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.kill()  # the database and Redis go with them: no need to be gentle


def api_headers(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"], "Referer": f"{client.base_url}/"}


@contextmanager
def build_stack(workdir: Path, template: Template) -> Iterator[Stack]:
    data_dir = workdir / "data"
    data_dir.mkdir()
    database_url = sqlite_path = None
    scratch = None
    if template.postgres:
        admin = postgres_admin_url()
        scratch = f"fo_reliability_{uuid.uuid4().hex[:10]}"
        postgres_execute(f'CREATE DATABASE "{scratch}" TEMPLATE "{template.postgres}"')
        database_url = f"{admin.rsplit('/', 1)[0]}/{scratch}"
    else:
        for path in template.sqlite_dir.glob("fieldops.sqlite3*"):
            shutil.copy(path, data_dir / path.name)
        sqlite_path = data_dir / "fieldops.sqlite3"
    try:
        with redis_server(workdir) as redis:
            extra = {"REDIS_URL": redis.url, **PRODUCTION_FLAGS}
            if database_url:
                extra["DATABASE_URL"] = database_url
            built = Stack(
                env=embedded_env(data_dir, **extra),
                redis=redis,
                logs=workdir,
                database_url=database_url,
                sqlite_path=sqlite_path,
            )
            try:
                yield built
            finally:
                built.stop_all()
    finally:
        if scratch:
            postgres_execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@pytest.fixture
def stack(tmp_path, migrated_template) -> Iterator[Stack]:
    """A fresh database and Redis for one test; it starts the processes it needs."""
    with build_stack(tmp_path, migrated_template) as built:
        yield built
