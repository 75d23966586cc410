"""Outbound webhook delivery: 10,000 events to a local receiver through real Celery workers.

    .venv/bin/python bench/webhook_delivery.py [--events 10000] [--workers 2] [--threads 16]

Creates a scratch PostgreSQL database (``fo_bench_webhooks`` on BENCH_PG, default
postgres://postgres@127.0.0.1:5432) and uses Redis (BENCH_REDIS, default
redis://127.0.0.1:6379/7) as the broker. Starts a loopback HTTP receiver (its own process,
HTTP/1.1 keep-alive, answers 204 and notes the arrival time of each ``webhook-id``) and Celery
workers (thread pool), registers one endpoint subscribed to ``workorder.*``, then publishes the
events one transaction each, as a request would: on commit the subscriber writes the delivery row
and enqueues its task, and a worker signs and POSTs it. Prints deliveries/s (first publish to
last receipt) and the median/p95 delay from the event's timestamp to its receipt.

With ``--backlog`` the events are all published before the workers start, so deliveries/s is the
rate at which the workers drain a backlog (the delay then mostly measures the backlog).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/7")
DB_NAME = "fo_bench_webhooks"
DATA_DIR = tempfile.mkdtemp(prefix="fo-bench-wh-")
ENV = {
    "DATABASE_URL": f"{BASE}/{DB_NAME}",
    "REDIS_URL": REDIS,
    "CHANNELS_PREFIX": "fo-bench-wh",
    "CACHE_PREFIX": "fo-bench-wh",
    "DJANGO_SETTINGS_MODULE": "fieldops.settings",
    "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
    "WEBHOOKS_ALLOW_LOOPBACK": "1",
    "FIELDOPS_DATA_DIR": DATA_DIR,
    "SECURE_SSL_REDIRECT": "0",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))

RECEIVER = r"""
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
out = open(sys.argv[1], "a", buffering=1)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        out.write(f"{self.headers['webhook-id']} {time.time()}\n")
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="publish everything first, then start the workers: measures the drain rate",
    )
    args = parser.parse_args()
    fresh_database()
    import redis

    redis.Redis.from_url(REDIS).flushdb()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from fieldops.accounts.models import Role
    from fieldops.accounts.services import member_add, organization_create
    from fieldops.events import publish_event
    from integrations.webhooks.models import DeliveryStatus, WebhookDelivery
    from integrations.webhooks.services.endpoints import endpoint_create

    receipts = Path(DATA_DIR) / "receipts.txt"
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, str(receipts)], stdout=subprocess.PIPE, text=True
    )
    port = int(receiver.stdout.readline())

    def start_workers() -> list[subprocess.Popen]:
        return [
            subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "fieldops",
                    "worker",
                    "--pool=threads",
                    f"--concurrency={args.threads}",
                    "--loglevel=WARNING",
                    f"--hostname=bench-wh-{n}@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env={**os.environ},
                start_new_session=True,
            )
            for n in range(args.workers)
        ]

    workers = [] if args.backlog else start_workers()
    try:
        org = organization_create(name="Bench", slug="bench")
        admin = member_add(organization=org, username="admin", role=Role.ADMIN)
        endpoint_create(
            membership=admin, url=f"http://127.0.0.1:{port}/hook", event_types=["workorder.*"]
        )
        if workers:
            time.sleep(4)  # workers up
        print(
            f"{args.events} events, {args.workers} workers x {args.threads} threads, "
            f"PostgreSQL + Redis, receiver on loopback"
        )
        started = time.time()
        for n in range(args.events):
            with transaction.atomic():
                publish_event(
                    "workorder.updated", organization_id=org.pk, data={"number": f"WO-{n:06d}"}
                )
        took = time.time() - started
        print(f"published in {took:.1f} s ({args.events / took:.0f} events/s)")
        if args.backlog:
            workers = start_workers()
        deadline = time.time() + 600
        while time.time() < deadline:
            done = sum(1 for _ in receipts.open()) if receipts.exists() else 0
            if done >= args.events:
                break
            time.sleep(0.5)
        arrivals = {}
        for line in receipts.open():
            msg_id, at = line.split()
            arrivals.setdefault(msg_id, float(at))
        event_at = dict(WebhookDelivery.objects.values_list("event_id", "event_at"))
        delays = sorted(arrivals[i] - event_at[i].timestamp() for i in arrivals if i in event_at)
        last = max(arrivals.values())
        succeeded = WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count()
        print(f"received {len(arrivals)} of {args.events}; {succeeded} deliveries succeeded")
        if args.backlog:  # worker start-up left out: first receipt to last
            started, since = min(arrivals.values()), "first receipt"
        else:
            since = "first publish"
        rate = len(arrivals) / (last - started)
        print(f"deliveries/s: {rate:.0f} ({since} to last receipt)")
        print(
            f"event -> receipt delay: median {statistics.median(delays) * 1000:.0f} ms, "
            f"p95 {delays[int(len(delays) * 0.95) - 1] * 1000:.0f} ms, "
            f"max {delays[-1] * 1000:.0f} ms"
        )
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        receiver.terminate()
        for process in [*workers, receiver]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
