"""Real-time fan-out: one Daphne on the Redis channel layer, 500 sockets of one organisation,
200 work-order updates; latency from commit to receipt on every socket.

    .venv/bin/python bench/realtime_fanout.py [--clients 500] [--updates 200] [--pace-ms 50]

Everything on loopback. Daphne runs as its own process with REDIS_URL (its own db index, default
redis://127.0.0.1:6379/12, flushed first) and a scratch SQLite database in a temporary directory.
This process commits the updates through ``work_order_update`` (the same service the pages use),
stamping the moment each transaction commits; socket clients in several processes stamp each
notice as it arrives. Printed: median / p95 / p99 commit→receipt latency and the message rate,
next to bare Redis PUBLISH→SUBSCRIBE latency measured in the same run. Target: p95 < 250 ms.
"""

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
CLIENT_PROCESSES = 4


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def clients_main(url, cookie, origin, count, expected, ready, results) -> None:
    """One client process: ``count`` sockets; records (number, version, received_at)."""
    import websockets

    async def one(stamps: list, gate: asyncio.Semaphore) -> None:
        # Connect a few at a time: a burst of 500 handshakes overflows the listen backlog.
        async with gate:
            for attempt in range(5):
                try:
                    socket = await websockets.connect(
                        url, additional_headers={"Cookie": cookie, "Origin": origin}, max_queue=None
                    )
                    break
                except (OSError, websockets.InvalidMessage):
                    await asyncio.sleep(0.2 * (attempt + 1))
            else:
                raise RuntimeError("could not connect")
            json.loads(await socket.recv())  # hello
        ready.put(1)
        async with socket:
            while len(stamps) < expected:
                raw = await asyncio.wait_for(socket.recv(), timeout=60)
                at = time.time()
                message = json.loads(raw)
                if message.get("type") == "event":
                    data = message["event"]["data"]
                    stamps.append((data["number"], data["version"], at))

    async def run() -> list:
        buckets: list[list] = [[] for _ in range(count)]
        gate = asyncio.Semaphore(10)
        outcomes = await asyncio.gather(*(one(b, gate) for b in buckets), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            print(f"{len(failures)} sockets failed, e.g. {failures[0]!r}", file=sys.stderr)
        return [stamp for bucket in buckets for stamp in bucket]

    results.put(asyncio.run(run()))


async def bare_redis(n: int, pace: float) -> list[float]:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe("bench-fanout-bare")
    await pubsub.get_message(timeout=1)  # subscribe confirmation
    latencies: list[float] = []

    async def listen() -> None:
        while len(latencies) < n:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
            if message:
                latencies.append((time.time() - float(message["data"])) * 1000)

    listener = asyncio.create_task(listen())
    for _ in range(n):
        await client.publish("bench-fanout-bare", repr(time.time()))
        await asyncio.sleep(pace)
    await asyncio.wait_for(listener, timeout=30)
    await pubsub.aclose()
    await client.aclose()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--pace-ms", type=float, default=50)
    parser.add_argument("--settings", default="fieldops.settings", help="Django settings module")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="fo-bench-fanout-"))
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        FIELDOPS_DATA_DIR=str(data_dir),
        REDIS_URL=REDIS_URL,
        DJANGO_SETTINGS_MODULE=args.settings,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        CHANNELS_PREFIX="bench-fanout",
        LOG_LEVEL="WARNING",
    )
    os.environ.update(env)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [sys.executable, "manage.py", "bootstrap", "--demo"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = 8097
    daphne = subprocess.Popen(
        [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), "fieldops.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(data_dir / "daphne.log", "w"),  # noqa: SIM115
    )
    try:
        run(args, port)
    finally:
        daphne.terminate()
        daphne.wait(timeout=15)


def run(args, port: int) -> None:
    import django
    import httpx

    django.setup()
    from django.db import transaction

    from fieldops.accounts.models import Membership
    from workorders.models import WorkOrder
    from workorders.services import work_order_update

    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            # Any answer will do: /healthz's layer probe does not apply to the pub/sub layer.
            if httpx.get(f"{base}/healthz", timeout=5).status_code in (200, 503):
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    with httpx.Client(base_url=base) as http:
        http.get("/login/")
        http.post(
            "/login/",
            data={
                "username": "dispatcher",
                "password": "fieldops-demo",
                "csrfmiddlewaretoken": http.cookies["csrftoken"],
            },
            headers={"Referer": f"{base}/login/"},
        )
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())

    ready, results = mp.Queue(), mp.Queue()
    share = [args.clients // CLIENT_PROCESSES] * CLIENT_PROCESSES
    share[0] += args.clients - sum(share)
    procs = [
        mp.Process(
            target=clients_main,
            args=(f"ws://127.0.0.1:{port}/ws/live/", cookie, base, n, args.updates, ready, results),
        )
        for n in share
    ]
    for proc in procs:
        proc.start()
    for _ in range(args.clients):
        ready.get(timeout=120)
    print(f"{args.clients} sockets connected (one organisation, dispatch group)")

    dispatcher = Membership.objects.get(user__username="dispatcher")
    work_orders = list(WorkOrder.objects.filter(organization_id=dispatcher.organization_id))
    committed: dict[tuple[str, int], float] = {}
    started = time.time()
    for i in range(args.updates):
        work_order = work_orders[i % len(work_orders)]
        work_order.refresh_from_db()
        with transaction.atomic():
            key = (work_order.reference, work_order.version + 1)
            # Registered before the service's own broadcast: runs first, right after COMMIT.
            transaction.on_commit(lambda key=key: committed.__setitem__(key, time.time()))
            work_order_update(
                membership=dispatcher,
                work_order=work_order,
                expected_version=work_order.version,
                changes={"description": f"bench update {i}"},
            )
        time.sleep(args.pace_ms / 1000)
    published_for = time.time() - started

    stamps = []
    for _ in procs:
        stamps += results.get(timeout=180)
    for proc in procs:
        proc.join(timeout=30)
    latencies = [(at - committed[(n, v)]) * 1000 for n, v, at in stamps if (n, v) in committed]
    first = min(committed.values())
    last = max(at for _, _, at in stamps)
    expected = args.clients * args.updates

    bare: list[float] = []
    thread = threading.Thread(
        target=lambda: bare.extend(asyncio.run(bare_redis(args.updates, args.pace_ms / 1000)))
    )
    thread.start()
    thread.join()

    print(
        f"{args.updates} updates committed over {published_for:.1f} s "
        f"(one every {args.pace_ms:.0f} ms), {len(latencies)}/{expected} notices received"
    )
    print(
        f"commit→receipt  median {statistics.median(latencies):.1f} ms   "
        f"p95 {pct(latencies, 95):.1f} ms   p99 {pct(latencies, 99):.1f} ms   "
        f"max {max(latencies):.1f} ms"
    )
    print(f"message rate    {len(latencies) / (last - first):.0f} messages/s delivered")
    print(
        f"bare Redis PUBLISH→SUBSCRIBE  median {statistics.median(bare):.2f} ms   "
        f"p95 {pct(bare, 95):.2f} ms   p99 {pct(bare, 99):.2f} ms"
    )
    verdict = "met" if pct(latencies, 95) < 250 else "MISSED"
    print(f"target p95 < 250 ms: {verdict}")


if __name__ == "__main__":
    main()
