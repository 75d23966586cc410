"""Real-time fan-out: Daphne on the Redis channel layer, 500 sockets of one organisation,
200 work-order updates; latency from commit to receipt on every socket.

    .venv/bin/python bench/realtime_fanout.py [--clients 500] [--updates 200]
        [--paces 500,100,0] [--daphnes 1] [--layer default|pubsub|core]

Everything on loopback. Daphne runs as its own process(es) with REDIS_URL (its own db index,
default redis://127.0.0.1:6379/12, flushed first) and a scratch SQLite database in a temporary
directory. This process commits the updates through ``work_order_update`` (the same service the
pages use), stamping the moment each transaction commits; the socket clients stamp each notice as
its bytes arrive. Printed per pace: median / p95 / p99 commit→receipt latency and the delivered
message rate, next to bare Redis PUBLISH→SUBSCRIBE latency measured in the same run.
Target: p95 < 250 ms.

The 200 updates run once per pace in ``--paces`` (milliseconds between commits; 0 = all fired
back to back, a burst). ``--daphnes N`` starts N Daphne processes on consecutive ports and spreads
the sockets over them round-robin, as N Daphne processes behind a load balancer would (README,
deployment); every figure says how many served it.

The clients must measure the server, not themselves: they share the machine's cores with Daphne,
Redis and this process. So they are one asyncio process of bare protocol objects that do the
WebSocket handshake themselves (checking the 101 and Sec-WebSocket-Accept), answer Daphne's
pings, split frames and stamp each text frame on arrival; the JSON is decoded after the run.
"""

import argparse
import asyncio
import base64
import hashlib
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
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BASE_PORT = 8097


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Socket(asyncio.Protocol):
    """One WebSocket client with as little work per frame as a client can do."""

    def __init__(self, request: bytes, key: bytes, state: dict) -> None:
        self.request = request
        self.accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        self.state = state
        self.buffer = bytearray()
        self.open = False
        self.hello = asyncio.get_running_loop().create_future()
        self.frames: list[tuple[float, bytes]] = []

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(f"closed before hello: {exc!r}"))

    def data_received(self, data: bytes) -> None:
        at = time.time()
        buffer = self.buffer
        buffer += data
        if not self.open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            if not head.startswith(b"http/1.1 101") or self.accept.lower() not in head:
                self.hello.set_exception(ConnectionError(head.split(b"\r\n")[0].decode()))
                self.transport.close()
                return
            del buffer[: end + 4]
            self.open = True
        pos = 0
        while len(buffer) - pos >= 2:
            first, length = buffer[pos], buffer[pos + 1]
            if length & 0x80 or not first & 0x80:
                raise ValueError("server frames are unmasked and unfragmented")
            head = 2
            if length == 126:
                if len(buffer) - pos < 4:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if len(buffer) - pos < 10:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), 10
            if len(buffer) - pos < head + length:
                break
            opcode, payload = first & 0x0F, bytes(buffer[pos + head : pos + head + length])
            pos += head + length
            if opcode == 0x1:
                if self.hello.done():
                    self.frames.append((at, payload))
                    self.state["received"] += 1
                else:
                    self.hello.set_result(payload)
            elif opcode == 0x9:  # ping: a client frame is masked (zero mask: payload as is)
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            elif opcode == 0x8:
                self.transport.close()
        del buffer[:pos]


def clients_main(ports, cookie, origin, count, offset, ready, counter, stop, results) -> None:
    """One client process: ``count`` sockets; sends back (number, version, received_at)."""

    async def open_socket(index: int, gate: asyncio.Semaphore, state: dict) -> Socket:
        port = ports[(offset + index) % len(ports)]
        # Connect a few at a time: a burst of 500 handshakes overflows the listen backlog.
        async with gate:
            for attempt in range(8):
                key = base64.b64encode(os.urandom(16))
                request = (
                    f"GET /ws/live/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n"
                    f"Origin: {origin}\r\nCookie: {cookie}\r\n\r\n"
                ).encode()
                try:
                    _, socket = await asyncio.get_running_loop().create_connection(
                        lambda key=key, request=request: Socket(request, key, state),
                        "127.0.0.1",
                        port,
                    )
                    assert json.loads(await asyncio.wait_for(socket.hello, 20))["type"] == "hello"
                    break
                except (TimeoutError, OSError):
                    await asyncio.sleep(0.2 * (attempt + 1))
            else:
                raise RuntimeError("could not connect")
        ready.put(1)
        return socket

    async def run() -> list:
        state = {"received": 0}
        gate = asyncio.Semaphore(10)
        sockets = await asyncio.gather(*(open_socket(i, gate, state) for i in range(count)))
        while not stop.is_set():
            counter.value = state["received"]
            await asyncio.sleep(0.05)
        counter.value = state["received"]
        stamps = []
        for socket in sockets:
            socket.transport.close()
            for at, payload in socket.frames:
                message = json.loads(payload)
                if message.get("type") == "event":
                    data = message["event"]["data"]
                    stamps.append((data["number"], data["version"], at))
        return stamps

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
    parser.add_argument(
        "--paces",
        default="500,100,0",
        help="comma-separated ms between commits; each runs the updates once (0 = burst)",
    )
    parser.add_argument("--daphnes", type=int, default=1, help="Daphne processes (round-robin)")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument(
        "--layer",
        choices=["default", "pubsub", "core"],
        default="default",
        help="Redis channel layer: the production settings' (pub/sub) or one named, to compare",
    )
    parser.add_argument("--settings", default="fieldops.settings", help="Django settings module")
    args = parser.parse_args()
    if args.layer != "default":
        args.settings = "bench.fanout_pubsub_settings"
    args.paces = [float(p) for p in args.paces.split(",")]

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
        BENCH_LAYER="pubsub" if args.layer == "default" else args.layer,
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
    ports = [BASE_PORT + i for i in range(args.daphnes)]
    daphnes = [
        subprocess.Popen(
            [
                str(bin_dir / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "fieldops.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(data_dir / f"daphne-{port}.log", "w"),  # noqa: SIM115
        )
        for port in ports
    ]
    try:
        run(args, ports, [daphne.pid for daphne in daphnes])
    finally:
        for daphne in daphnes:
            daphne.terminate()
        for daphne in daphnes:
            daphne.wait(timeout=15)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def run(args, ports: list[int], daphne_pids: list[int]) -> None:
    import django
    import httpx

    django.setup()
    from django.conf import settings
    from django.db import transaction

    from fieldops.accounts.models import Membership
    from workorders.models import WorkOrder
    from workorders.services import work_order_update

    base = f"http://127.0.0.1:{ports[0]}"
    for port in ports:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit(f"Daphne on port {port} never became healthy")
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

    ready, results, stop = mp.Queue(), mp.Queue(), mp.Event()
    share = [args.clients // args.client_processes] * args.client_processes
    share[0] += args.clients - sum(share)
    counters = [mp.Value("q", 0, lock=False) for _ in share]
    procs = [
        mp.Process(
            target=clients_main,
            args=(ports, cookie, base, n, sum(share[:i]), ready, counters[i], stop, results),
        )
        for i, n in enumerate(share)
    ]
    for proc in procs:
        proc.start()
    for _ in range(args.clients):
        ready.get(timeout=180)
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 2)[-2:]
    print(
        f"{args.clients} sockets connected (one organisation, dispatch group) to "
        f"{len(ports)} Daphne process{'es' if len(ports) > 1 else ''}"
        f"{' (round-robin, as behind a load balancer)' if len(ports) > 1 else ''}; "
        f"channel layer {'.'.join(layer)}; load average {os.getloadavg()[0]:.2f}"
    )

    dispatcher = Membership.objects.get(user__username="dispatcher")
    work_orders = list(WorkOrder.objects.filter(organization_id=dispatcher.organization_id))
    committed: list[dict[tuple[str, int], float]] = []
    spans: list[float] = []
    cpu: list[float] = []
    expected = 0
    for pace in args.paces:
        cpu_before = cpu_seconds(daphne_pids)
        stamps: dict[tuple[str, int], float] = {}
        committed.append(stamps)
        started = time.time()
        for i in range(args.updates):
            work_order = work_orders[i % len(work_orders)]
            work_order.refresh_from_db()
            with transaction.atomic():
                key = (work_order.reference, work_order.version + 1)
                # Registered before the service's own broadcast: runs first, right after COMMIT.
                transaction.on_commit(lambda key=key, at=stamps: at.__setitem__(key, time.time()))
                work_order_update(
                    membership=dispatcher,
                    work_order=work_order,
                    expected_version=work_order.version,
                    changes={"description": f"bench update {i} at pace {pace}"},
                )
            if pace:
                time.sleep(pace / 1000)
        spans.append(time.time() - started)
        expected += args.clients * args.updates
        # Wait until every socket has everything (or nothing more arrives for 10 s).
        seen, quiet_since = -1, time.time()
        while time.time() - quiet_since < 10:
            total = sum(c.value for c in counters)
            if total >= expected:
                break
            if total != seen:
                seen, quiet_since = total, time.time()
            time.sleep(0.1)
        cpu.append(cpu_seconds(daphne_pids) - cpu_before)
        time.sleep(1)
    stop.set()
    received = []
    for _ in procs:
        received += results.get(timeout=180)
    for proc in procs:
        proc.join(timeout=30)

    bare: list[float] = []
    thread = threading.Thread(target=lambda: bare.extend(asyncio.run(bare_redis(200, 0.01))))
    thread.start()
    thread.join()

    worst = 0.0
    for pace, stamps, span, used in zip(args.paces, committed, spans, cpu, strict=True):
        latencies = [(at - stamps[(n, v)]) * 1000 for n, v, at in received if (n, v) in stamps]
        arrivals = [at for n, v, at in received if (n, v) in stamps]
        label = f"one update every {pace:.0f} ms" if pace else "burst, back to back"
        print(
            f"\n{args.updates} updates, {label} (committed over {span:.1f} s): "
            f"{len(latencies)}/{args.clients * args.updates} notices received"
        )
        if not latencies:
            continue
        print(
            f"  commit→receipt  median {statistics.median(latencies):.1f} ms   "
            f"p95 {pct(latencies, 95):.1f} ms   p99 {pct(latencies, 99):.1f} ms   "
            f"max {max(latencies):.1f} ms"
        )
        rate = len(latencies) / max(1e-9, max(arrivals) - min(stamps.values()))
        print(f"  message rate    {rate:.0f} messages/s delivered")
        # CPU time does not stretch when other processes take the cores: the load-proof figure.
        print(
            f"  Daphne CPU      {used:.1f} s for these messages, "
            f"{used / len(latencies) * 1e6:.0f} µs per message delivered"
        )
        if pace:
            worst = max(worst, pct(latencies, 95))
    print(
        f"\nbare Redis PUBLISH→SUBSCRIBE (200, one every 10 ms)  "
        f"median {statistics.median(bare):.2f} ms   p95 {pct(bare, 95):.2f} ms   "
        f"p99 {pct(bare, 99):.2f} ms"
    )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    verdict = "met" if worst < 250 else "MISSED"
    print(f"target p95 < 250 ms at every paced run: {verdict}")


if __name__ == "__main__":
    main()
