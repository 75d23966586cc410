"""Start real FieldOps processes (Daphne, Celery worker, beat) for tests that cross processes."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
