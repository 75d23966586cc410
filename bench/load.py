"""Load: 200 concurrent simulated users of mixed roles against Daphne on PostgreSQL + Redis.

    .venv/bin/python bench/load.py [--users 200] [--duration 60] [--web 2] [--work-orders 20000]

Production runs several Daphne processes behind a load balancer (README, "Deploying"), so this
starts ``--web`` of them (default 2, one per core) plus one Celery worker, on a scratch
PostgreSQL database (``fo_bench_load`` on BENCH_PG, recreated unless ``--database-url`` names an
existing migrated one) and a private ``redis-server`` on a free loopback port. It loads the
work-order data set of bench/workorder_data.py (20,000 work orders by default, 2,000 assets,
a second tenant), signs the simulated people in by writing their sessions directly (a PBKDF2
login per user would only measure password hashing), and spreads them round-robin over the web
processes as a balancer would. The users run in a separate process (asyncio + aiohttp, a
third of httpx's CPU a request: the load shares the two cores with what it measures):

- technicians (50 %) list their work, open a job, add notes and pause/resume it;
- dispatchers (20 %) load the board, refresh its live part (``?since=``), list new work and
  assign it;
- supervisors (10 %) load the dashboard, refresh it and read ``GET /api/v1/kpis``;
- API clients (20 %, bearer tokens) page work orders and assets, read one, open new ones
  with an Idempotency-Key.

The users arrive evenly over the first ``--ramp`` seconds of the run (10 by default, 20 users a
second, as locust's spawn rate; ``--ramp think``: each role within its first think time, which
brought the 40 API clients in 2 s and the 40 dispatchers in 3 s), and each first opens their
start page. The ramp is measured with the rest. Each user waits a think time between actions
(technician 8 s, dispatcher 3 s, supervisor 6 s, API client 2 s on average; ``--think-scale 0``
makes it a closed loop). Printed: requests/s,
errors and p50/p95/p99 per endpoint and overall; target zero errors and p95 < 200 ms.
``--json PATH`` also writes the figures (the CI smoke test reads it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "fo_bench_load"
SECRET_KEY = "bench-load-secret-key-" + "0123456789abcdef" * 3
MIX = {"technician": 0.5, "dispatcher": 0.2, "supervisor": 0.1, "api": 0.2}
THINK = {"technician": 8.0, "dispatcher": 3.0, "supervisor": 6.0, "api": 2.0}
TARGET_P95_MS = 200.0
WINDOW_SECONDS = 10
LANDING = {
    "technician": ("GET /my-work/", "/my-work/"),
    "dispatcher": ("GET /board/", "/board/"),
    "supervisor": ("GET /dashboard/", "/dashboard/"),
}


# --- data ---------------------------------------------------------------------------------------


def prepare(database_url: str, *, work_orders: int, users: int) -> dict:
    """Migrate, load the data set and write sessions/tokens; returns the users' plan."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings_test")
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the ERP connectors' client
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from bench import workorder_data
    from fieldops.accounts.middleware import SESSION_ORGANIZATION_KEY
    from fieldops.accounts.models import Organization, Role
    from fieldops.accounts.services import api_token_create, member_add
    from workorders.models import WorkOrder

    call_command("migrate", verbosity=0)
    counts = {role: max(1, round(users * share)) for role, share in MIX.items()}
    counts["technician"] = users - sum(v for k, v in counts.items() if k != "technician")
    if not Organization.objects.filter(slug="bench").exists():
        workorder_data.load(
            n_work_orders=work_orders,
            n_assets=max(200, work_orders // 10),
            n_technicians=max(counts["technician"], 1),
            role=Role.DISPATCHER,
            with_schedule=True,
        )
    org = Organization.objects.get(slug="bench")
    backend = "django.contrib.auth.backends.ModelBackend"

    def session_for(membership) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(membership.user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = membership.user.get_session_auth_hash()
        store[SESSION_ORGANIZATION_KEY] = org.pk
        store.create()
        return store.session_key

    def member(username: str, role: str):
        return member_add(organization=org, username=username, role=role)

    plan: list[dict] = []
    open_statuses = ("assigned", "dispatched", "en_route", "in_progress", "on_hold")
    for i in range(counts["technician"]):
        tech = member(f"tech{i}", Role.TECHNICIAN)
        jobs = [
            w.reference
            for w in WorkOrder.objects.filter(
                assignments__membership=tech, status__in=open_statuses
            ).order_by("-id")[:20]
        ]
        plan.append({"role": "technician", "session": session_for(tech), "jobs": jobs})
    for i in range(counts["dispatcher"]):
        plan.append(
            {
                "role": "dispatcher",
                "session": session_for(member(f"dispatcher{i}", Role.DISPATCHER)),
                "slot": i,
                "slots": counts["dispatcher"],
            }
        )
    for i in range(counts["supervisor"]):
        plan.append(
            {
                "role": "supervisor",
                "session": session_for(member(f"supervisor{i}", Role.SUPERVISOR)),
            }
        )
    sample = list(
        WorkOrder.objects.filter(organization=org)
        .order_by("-id")
        .values_list("number", flat=True)[:500]
    )
    for i in range(counts["api"]):
        issued = api_token_create(
            membership=member(f"integration{i}", Role.DISPATCHER), name="load"
        )
        plan.append({"role": "api", "token": issued.secret, "sample": sample})
    return {"users": plan, "counts": counts}


def ensure_database() -> str:
    from bench.workorder_data import ensure_database as recreate

    recreate(BASE, DB_NAME, reload=True)
    return f"{BASE}/{DB_NAME}"


# --- processes ----------------------------------------------------------------------------------


def start_stack(database_url: str, web: int, workdir: Path, pool: int | None = None):
    from tests.processes import (
        PRODUCTION_FLAGS,
        Proc,
        RedisServer,
        daphne,
        free_port,
        wait_for,
        wait_healthy,
        worker,
    )

    redis = RedisServer(workdir)
    redis.start()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        PRODUCTION_FLAGS,
        SECRET_KEY=SECRET_KEY,
        DJANGO_SETTINGS_MODULE="fieldops.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis.url,
        FIELDOPS_DATA_DIR=str(workdir),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    web_env = dict(env)
    if pool is not None:
        # The web processes' PostgreSQL pool (fieldops.asgi's default is 10; 0 turns it off
        # and gives each request thread its own persistent connection). Not for the worker.
        web_env["DATABASE_POOL_SIZE"] = str(pool)
    procs, urls = [], []
    for n in range(web):
        port = free_port()
        procs.append(Proc(f"web{n + 1}", daphne(port), web_env, workdir))
        urls.append(f"http://127.0.0.1:{port}")
    celery = Proc("worker", worker("load"), env, workdir)
    procs.append(celery)
    for url in urls:
        wait_healthy(url, timeout=90)
    wait_for(lambda: " ready." in celery.log(), timeout=90, what="the worker")
    return redis, procs, urls


# --- the simulated users ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class UserClient:
    """One person's HTTP client over the connection pool their server's users share. (aiohttp
    retries a GET once, silently, when a kept-alive connection turns out to be closed.)"""

    def __init__(self, session, base: str) -> None:
        self.session = session
        self.base = base

    async def request(self, method: str, path: str, *, params=None, json=None, headers=None):
        # A redirect is answered, not followed (as httpx did): a user whose session the server
        # refused gets the login page's 302, which counts as an error, not as a 200.
        async with self.session.request(
            method,
            self.base + path,
            params=params,
            json=json,
            headers=headers,
            allow_redirects=False,
        ) as response:
            return Reply(response.status, await response.read())


class Recorder:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: dict[str, str] = {}
        self.started = time.perf_counter()
        # (seconds into the run when the request was sent, milliseconds it took, endpoint)
        self.timeline: list[tuple[float, float, str]] = []

    async def call(self, client, name: str, method: str, url: str, ok=(200,), **kwargs):
        start = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except Exception as exc:  # a refused or dropped connection is an error like a 500
            self.errors[name] += 1
            self.examples.setdefault(name, repr(exc))  # an aiohttp timeout has no message
            return None
        took = (time.perf_counter() - start) * 1000
        self.samples[name].append(took)
        self.timeline.append((start - self.started, took, name))
        if response.status_code not in ok:
            self.errors[name] += 1
            self.examples.setdefault(name, f"{response.status_code} {response.text[:200]}")
        return response


def _pick(rng: random.Random, weighted: list[tuple[int, object]]):
    return rng.choices([a for _, a in weighted], weights=[w for w, _ in weighted])[0]


async def technician(rec: Recorder, client, user: dict, rng: random.Random) -> None:
    ref = rng.choice(user["jobs"]) if user["jobs"] else None
    action = _pick(rng, [(3, "list"), (3, "page"), (2, "detail"), (1, "note"), (1, "toggle")])
    if action == "list" or ref is None:
        await rec.call(client, "GET /my-work/", "GET", "/my-work/")
    elif action == "page":
        await rec.call(client, "GET /work-orders/<n>/", "GET", f"/work-orders/{ref}/")
    elif action == "detail":
        await rec.call(client, "GET /api/v1/work-orders/<n>", "GET", f"/api/v1/work-orders/{ref}")
    elif action == "note":
        await rec.call(
            client,
            "POST /api/v1/work-orders/<n>/notes",
            "POST",
            f"/api/v1/work-orders/{ref}/notes",
            ok=(200, 201),
            json={"id": str(uuid.uuid4()), "text": "Checked the seal; still dripping."},
        )
    else:
        current = await rec.call(
            client, "GET /api/v1/work-orders/<n>", "GET", f"/api/v1/work-orders/{ref}"
        )
        if current is None or current.status_code != 200:
            return
        body = current.json()
        to = {"in_progress": "on_hold", "on_hold": "in_progress"}.get(body["status"])
        if to is None:
            to = "in_progress"  # assigned, dispatched or en route: start it
        await rec.call(
            client,
            "POST /api/v1/work-orders/<n>/transition",
            "POST",
            f"/api/v1/work-orders/{ref}/transition",
            json={"to": to, "version": body["version"], "reason": "Waiting for parts"},
        )


async def dispatcher(rec: Recorder, client, user: dict, rng: random.Random, state: dict) -> None:
    action = _pick(rng, [(2, "board"), (4, "live"), (2, "new"), (1, "assign")])
    if action == "board" or "technicians" not in state:
        if "technicians" in state:
            await rec.call(client, "GET /board/", "GET", "/board/")
        state["as_of"] = datetime.now(UTC).isoformat()
        if "technicians" not in state:
            techs = await rec.call(client, "GET /api/v1/technicians", "GET", "/api/v1/technicians")
            ok = techs is not None and techs.status_code == 200
            state["technicians"] = [t["id"] for t in techs.json()] if ok else []
    elif action == "live":
        await rec.call(
            client,
            "GET /board/ (live, since)",
            "GET",
            "/board/",
            ok=(200, 204),
            params={"since": state["as_of"]},
            headers={"HX-Request": "true", "HX-Target": "board-live"},
        )
        state["as_of"] = datetime.now(UTC).isoformat()
    elif action == "new":
        await rec.call(
            client,
            "GET /api/v1/work-orders?status=new",
            "GET",
            "/api/v1/work-orders",
            params={"status": "new", "limit": 50},
        )
    else:
        listed = await rec.call(
            client,
            "GET /api/v1/work-orders?status=new",
            "GET",
            "/api/v1/work-orders",
            params={"status": "new", "limit": 50},
        )
        if listed is None or listed.status_code != 200 or not state.get("technicians"):
            return
        # Each dispatcher takes its own share of the queue, as a team splits it by area.
        mine = [
            w
            for w in listed.json()["items"]
            if int(w["number"].split("-")[-1]) % user["slots"] == user["slot"]
        ]
        if not mine:
            return
        job = mine[0]
        await rec.call(
            client,
            "POST /api/v1/work-orders/<n>/dispatch",
            "POST",
            f"/api/v1/work-orders/{job['number']}/dispatch",
            json={
                "technician_ids": [rng.choice(state["technicians"])],
                "version": job["version"],
                "override": True,
                "override_reason": "Load test",
            },
        )


async def supervisor(rec: Recorder, client, user: dict, rng: random.Random) -> None:
    action = _pick(rng, [(2, "page"), (3, "live"), (2, "kpis"), (1, "assets")])
    if action == "page":
        await rec.call(client, "GET /dashboard/", "GET", "/dashboard/")
    elif action == "live":
        await rec.call(
            client,
            "GET /dashboard/ (live)",
            "GET",
            "/dashboard/",
            headers={"HX-Request": "true", "HX-Target": "kpi-board"},
        )
    elif action == "kpis":
        await rec.call(client, "GET /api/v1/kpis", "GET", "/api/v1/kpis")
    else:
        await rec.call(client, "GET /dashboard/assets/", "GET", "/dashboard/assets/")


async def api_client(rec: Recorder, client, user: dict, rng: random.Random) -> None:
    action = _pick(rng, [(3, "list"), (2, "assets"), (2, "detail"), (1, "create")])
    if action == "list":
        since = (datetime.now(UTC) - timedelta(days=rng.choice((1, 7, 30)))).isoformat()
        await rec.call(
            client,
            "GET /api/v1/work-orders?updated_since",
            "GET",
            "/api/v1/work-orders",
            params={"limit": 50, "updated_since": since},
        )
    elif action == "assets":
        await rec.call(client, "GET /api/v1/assets", "GET", "/api/v1/assets", params={"limit": 50})
    elif action == "detail":
        ref = rng.choice(user["sample"])
        await rec.call(client, "GET /api/v1/work-orders/<n>", "GET", f"/api/v1/work-orders/{ref}")
    else:
        await rec.call(
            client,
            "POST /api/v1/work-orders",
            "POST",
            "/api/v1/work-orders",
            ok=(201,),
            json={"title": "Reported by the building system", "priority": "p3"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )


async def simulate(
    plan: dict, urls: list[str], duration: float, think_scale: float, ramp: str
) -> dict:
    import aiohttp

    rec = Recorder()
    # One connection pool per server, shared by its users (each with its own cookies).
    per_user = max(1, -(-len(plan["users"]) // len(urls)))
    pools = {url: aiohttp.TCPConnector(limit=per_user * 2) for url in urls}
    timeout = aiohttp.ClientTimeout(total=30)

    async def user_loop(index: int, user: dict) -> None:
        rng = random.Random(index)
        base = urls[index % len(urls)]  # round-robin, as a load balancer would
        csrf = secrets.token_hex(16)
        headers = {}
        if user["role"] == "api":
            headers["Authorization"] = f"Bearer {user['token']}"
        else:
            # Sent as they are: the server sets no cookie these users need to keep.
            headers["Cookie"] = f"sessionid={user['session']}; csrftoken={csrf}"
            headers["X-CSRFToken"] = csrf
        state: dict = {}
        think = THINK[user["role"]] * think_scale
        # Over the shared connection pool, which stays open until every user is done.
        session = aiohttp.ClientSession(
            connector=pools[base],
            connector_owner=False,
            headers=headers,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=timeout,
        )
        client = UserClient(session, base)
        try:
            await run_user(client, user, rng, state, think)
        finally:
            await session.close()

    async def run_user(client: UserClient, user: dict, rng, state: dict, think: float) -> None:
        # Arrivals spread evenly over the ramp (locust's spawn rate), or over each role's first
        # think time; each person first opens their start page.
        arrive_within = think if ramp == "think" else min(float(ramp), duration / 2)
        await asyncio.sleep(rng.uniform(0, arrive_within or 0.01))
        if user["role"] in LANDING:
            name, path = LANDING[user["role"]]
            await rec.call(client, name, "GET", path)
        while time.monotonic() < stop_at:
            role = user["role"]
            if role == "technician":
                await technician(rec, client, user, rng)
            elif role == "dispatcher":
                await dispatcher(rec, client, user, rng, state)
            elif role == "supervisor":
                await supervisor(rec, client, user, rng)
            else:
                await api_client(rec, client, user, rng)
            if think:
                pause = think * rng.uniform(0.5, 1.5)
                await asyncio.sleep(min(pause, max(0.0, stop_at - time.monotonic())))

    rec.started = time.perf_counter()
    stop_at = time.monotonic() + duration
    await asyncio.gather(*(user_loop(i, u) for i, u in enumerate(plan["users"])))
    for pool in pools.values():
        await pool.close()
    # Requests/s over the load period (the last requests end a moment after it).
    elapsed = duration
    return {
        "elapsed": elapsed,
        "samples": dict(rec.samples),
        "errors": dict(rec.errors),
        "examples": rec.examples,
        "timeline": rec.timeline,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_process(
    plan_path: str, urls: list[str], duration: float, think: float, ramp: str, out: str
):
    plan = json.loads(Path(plan_path).read_text())
    result = asyncio.run(simulate(plan, urls, duration, think, ramp))
    result["client_cpu_seconds"] = time.process_time()
    Path(out).write_text(json.dumps(result))


# --- report -------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summarise(result: dict) -> dict:
    elapsed = result["elapsed"]
    rows = {}
    names = sorted(set(result["samples"]) | set(result["errors"]))
    for name in names:
        values = result["samples"].get(name, [])
        rows[name] = {
            "requests": len(values) + 0,
            "errors": result["errors"].get(name, 0),
            "rps": len(values) / elapsed,
            "p50": statistics.median(values) if values else None,
            "p95": pct(values, 95) if values else None,
            "p99": pct(values, 99) if values else None,
        }
    everything = [v for values in result["samples"].values() for v in values]
    total = {
        "requests": len(everything),
        "errors": sum(result["errors"].values()),
        "rps": len(everything) / elapsed,
        "p50": statistics.median(everything) if everything else None,
        "p95": pct(everything, 95) if everything else None,
        "p99": pct(everything, 99) if everything else None,
    }
    windows: dict[int, list[float]] = defaultdict(list)
    first_window: dict[str, list[float]] = defaultdict(list)
    for sent, took, name in result.get("timeline", []):
        windows[int(sent // WINDOW_SECONDS)].append(took)
        if sent < WINDOW_SECONDS:
            first_window[name].append(took)
    # The first window is when every user opens a start page against cold caches: its slowest.
    slowest_first = sorted(
        ((pct(values, 95), name, len(values)) for name, values in first_window.items()),
        reverse=True,
    )[:5]
    timeline = [
        {
            "from": index * WINDOW_SECONDS,
            "requests": len(values),
            "p50": statistics.median(values),
            "p95": pct(values, 95),
        }
        for index, values in sorted(windows.items())
    ]
    return {
        "endpoints": rows,
        "total": total,
        "elapsed": elapsed,
        "examples": result["examples"],
        "timeline": timeline,
        "first_window_slowest": [
            {"endpoint": name, "requests": n, "p95": p95} for p95, name, n in slowest_first
        ],
    }


def print_report(summary: dict, args, counts: dict) -> None:
    def ms(value):
        return "-" if value is None else f"{value:7.1f}"

    load = os.getloadavg()
    arrivals = "each role's first think time" if args.ramp == "think" else f"{args.ramp} s"
    print()
    print(
        f"{args.users} users ({', '.join(f'{v} {k}' for k, v in counts.items())}) for "
        f"{summary['elapsed']:.0f} s against {args.web} Daphne process(es) + 1 Celery worker, "
        f"PostgreSQL + Redis (web pool: {10 if args.pool is None else args.pool or 'off'}); "
        f"think time x{args.think_scale}; arrivals over {arrivals}; load average {load[0]:.2f}"
    )
    print(
        f"{'endpoint':44} {'requests':>8} {'req/s':>7} {'errors':>6} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    for name, row in summary["endpoints"].items():
        print(
            f"{name:44} {row['requests']:8d} {row['rps']:7.1f} {row['errors']:6d} "
            f"{ms(row['p50'])} {ms(row['p95'])} {ms(row['p99'])}"
        )
    total = summary["total"]
    print(
        f"{'all':44} {total['requests']:8d} {total['rps']:7.1f} {total['errors']:6d} "
        f"{ms(total['p50'])} {ms(total['p95'])} {ms(total['p99'])}"
    )
    print(
        "by moment sent: "
        + "; ".join(
            f"{w['from']:.0f}s {w['requests']} req p50 {w['p50']:.0f} p95 {w['p95']:.0f} ms"
            for w in summary["timeline"]
        )
    )
    print(
        f"slowest in the first {WINDOW_SECONDS:.0f} s (p95): "
        + "; ".join(
            f"{row['endpoint']} {row['p95']:.0f} ms ({row['requests']} req)"
            for row in summary["first_window_slowest"]
        )
    )
    cpu = summary["server_cpu"]
    print(
        f"server CPU: web processes {cpu['web_seconds']:.1f} s "
        f"({cpu['web_ms_per_request']:.1f} ms a request), worker {cpu['worker_seconds']:.1f} s; "
        f"the simulated users' process {cpu['client_seconds']:.1f} s"
    )
    for name, example in summary["examples"].items():
        print(f"  first error on {name}: {example}")
    verdict = total["errors"] == 0 and (total["p95"] or 0) < TARGET_P95_MS
    print(
        f"target: zero errors and p95 < {TARGET_P95_MS:.0f} ms -> "
        f"{'met' if verdict else 'NOT met'} (errors {total['errors']}, p95 {ms(total['p95'])} ms)"
    )


def _ramp(value: str) -> str:
    if value != "think":
        try:
            if float(value) < 0:
                raise ValueError
        except ValueError:
            raise argparse.ArgumentTypeError("seconds (0 or more) or 'think'") from None
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--web", type=int, default=2, help="Daphne processes")
    parser.add_argument("--work-orders", type=int, default=20_000)
    parser.add_argument("--think-scale", type=float, default=1.0)
    parser.add_argument(
        "--ramp",
        type=_ramp,
        default="10",
        help="seconds over which the users arrive, evenly, within the measured run (at most "
        "half of it); 'think': each role's users within their first think time (2-8 s)",
    )
    parser.add_argument("--database-url", help="an existing database to use instead")
    parser.add_argument("--keep", action="store_true", help="keep fo_bench_load afterwards")
    parser.add_argument(
        "--pool",
        type=int,
        default=None,
        help="PostgreSQL connections per web process (default: fieldops.asgi's pool of 10); "
        "0 gives each request thread its own persistent connection instead",
    )
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    database_url = args.database_url or ensure_database()
    workdir = Path(tempfile.mkdtemp(prefix="fieldops-load-"))
    t0 = time.perf_counter()
    plan = prepare(database_url, work_orders=args.work_orders, users=args.users)
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps(plan))
    print(f"data and {args.users} users ready in {time.perf_counter() - t0:.0f} s", flush=True)

    from django.db import connections

    connections.close_all()
    redis, procs, urls = start_stack(database_url, args.web, workdir, args.pool)
    out = workdir / "result.json"
    try:
        # The users run in their own process so their CPU is not the servers'.
        client = multiprocessing.get_context("spawn").Process(
            target=client_process,
            args=(str(plan_path), urls, args.duration, args.think_scale, args.ramp, str(out)),
        )
        webs = [proc for proc in procs if proc.name.startswith("web")]
        cpu_before = {proc.name: cpu_seconds(proc.process.pid) for proc in procs}
        client.start()
        client.join(timeout=args.duration + 120)
        cpu_used = {
            proc.name: cpu_seconds(proc.process.pid) - cpu_before[proc.name] for proc in procs
        }
        if client.is_alive():
            client.terminate()
            raise SystemExit("the load client did not finish")
    finally:
        for proc in procs:
            proc.stop(signal.SIGTERM)
        redis.stop()
        if not args.database_url and not args.keep:
            subprocess.run(
                ["psql", f"{BASE}/postgres", "-qc", f'DROP DATABASE "{DB_NAME}" WITH (FORCE)'],
                check=False,
            )
    result = json.loads(out.read_text())
    result_client_cpu = result.get("client_cpu_seconds", 0.0)
    summary = summarise(result)
    web_cpu = sum(cpu_used[proc.name] for proc in webs)
    summary["server_cpu"] = {
        "web_seconds": web_cpu,
        "web_ms_per_request": 1000 * web_cpu / max(1, summary["total"]["requests"]),
        "worker_seconds": cpu_used.get("worker", 0.0),
        "client_seconds": result_client_cpu,
    }
    print_report(summary, args, plan["counts"])
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
