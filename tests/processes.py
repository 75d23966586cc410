"""Start real FieldOps processes (Daphne, Celery worker, beat) for tests that cross processes."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of `make run` with no variables: SQLite, channels-lite, filesystem broker."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "SECRET_KEY",
            "SECURE_SSL_REDIRECT",
            "SECURE_COOKIES",
            "SECURE_HSTS_SECONDS",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="fieldops.settings",
        FIELDOPS_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@contextmanager
def running(env: dict[str, str], *commands: list[str], logs: Path) -> Iterator[None]:
    procs = []
    try:
        for index, command in enumerate(commands):
            log = open(logs / f"proc-{index}.log", "w")  # noqa: SIM115 - closed below
            procs.append(
                (
                    subprocess.Popen(
                        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                    ),
                    log,
                )
            )
        yield
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, log in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def daphne(port: int) -> list[str]:
    return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "fieldops.asgi:application"]


def worker(name: str = "w1") -> list[str]:
    return [
        str(BIN / "celery"),
        "-A",
        "fieldops",
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"{name}@%h",
    ]


def beat(data_dir: Path) -> list[str]:
    return [
        str(BIN / "celery"),
        "-A",
        "fieldops",
        "beat",
        "--loglevel=INFO",
        "-s",
        str(data_dir / "beat-schedule"),
    ]


def wait_healthy(base_url: str, timeout: float = 45) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/healthz", timeout=5)
            if response.status_code == 200:
                return response.json()
            last = response.text
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{base_url}/healthz never answered 200: {last}")


def login(client: httpx.Client, username: str, password: str) -> None:
    client.get("/login/")
    response = client.post(
        "/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
        headers={"Referer": f"{client.base_url}/login/"},
    )
    assert response.status_code == 302, response.text


# --- Production-shaped stacks: PostgreSQL (or SQLite) + a private Redis, processes one by one ---

PRODUCTION_FLAGS = {
    "SECRET_KEY": "process-test-secret-key-0123456789abcdef0123456789",
    # Plain HTTP on loopback: no HTTPS redirect, no Secure cookies, no HSTS.
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
    "WEBHOOKS_ALLOW_LOOPBACK": "1",
}


class RedisServer:
    """A private ``redis-server`` on a free loopback port that a test may stop and restart
    (never the shared one): no persistence, like a cache node that restarts empty."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"redis-server never answered on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL: a crash, not a polite shutdown
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def postgres_admin_url() -> str | None:
    """The server of DATABASE_URL (its ``postgres`` database), or None on the embedded default."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return url.rsplit("/", 1)[0] + "/postgres"


def postgres_execute(sql: str) -> None:
    import psycopg

    admin = postgres_admin_url()
    assert admin, "DATABASE_URL is not a PostgreSQL URL"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


class Proc:
    """One real process in its own session, so a kill takes a Celery worker's pool along."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.alive():
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
