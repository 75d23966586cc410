"""Lighthouse 12 on the technician's "My work" page (mobile preset), and what the page weighs.

    .venv/bin/python bench/lighthouse.py [--lighthouse /path/to/node_modules/.bin/lighthouse]

Boots FieldOps's embedded default (demo data) on a free loopback port with Daphne, starts the
system Chromium (--headless=new --no-sandbox --disable-dev-shm-usage) with a debugging port,
signs in there as the demo technician, points Lighthouse at that browser, and prints the
performance, accessibility and best-practices scores (target: each >= 95) and the bytes the
page transferred (budget: under 150 KB including JS). Without --lighthouse it runs
`npx --yes lighthouse@12` (Lighthouse 13 needs a newer Node than this machine's 20).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.processes import (  # noqa: E402
    daphne,
    embedded_env,
    free_port,
    manage,
    running,
    wait_healthy,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lighthouse", default="")
    parser.add_argument("--user", default="tech1")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="fo-lighthouse-"))
    env = embedded_env(data_dir)
    manage(env, "bootstrap", "--demo")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(env, daphne(port), logs=data_dir):
        wait_healthy(base)
        report = data_dir / "report.json"
        debug_port = free_port()
        # Sign in inside the very browser Lighthouse then drives, so the page's own requests
        # (the live socket, the sync pull) carry the session as they do on a phone.
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(data_dir / "profile"),
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    f"--remote-debugging-port={debug_port}",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.fill("#id_username", args.user)
            page.fill("#id_password", "fieldops-demo")
            page.click("button[type=submit]")
            page.wait_for_url("**/my-work/")
            command = [args.lighthouse] if args.lighthouse else ["npx", "--yes", "lighthouse@12"]
            command += [
                f"{base}/my-work/",
                f"--port={debug_port}",
                "--only-categories=performance,accessibility,best-practices",
                "--output=json",
                f"--output-path={report}",
                "--quiet",
            ]
            subprocess.run(
                command,
                check=True,
                timeout=300,
                env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
            )
            context.close()
    result = json.loads(report.read_text())
    if result["finalDisplayedUrl"].rstrip("/").endswith("/login"):
        raise SystemExit("Lighthouse was sent to the login page: the session cookie was refused")
    print(
        f"page: {result['finalDisplayedUrl']} (Lighthouse {result['lighthouseVersion']}, "
        f"{result['configSettings']['formFactor']})"
    )
    for key, category in result["categories"].items():
        score = round((category["score"] or 0) * 100)
        print(f"{category['title']:<15} {score:>3}  {'ok' if score >= 95 else 'BELOW 95'} ({key})")
    requests = result["audits"]["network-requests"]["details"]["items"]
    transferred = sum(item.get("transferSize", 0) for item in requests)
    print(
        f"transferred: {transferred / 1024:.1f} KB in {len(requests)} requests "
        f"({'within' if transferred < 150 * 1024 else 'OVER'} the 150 KB budget)"
    )
    for item in sorted(requests, key=lambda i: -i.get("transferSize", 0))[:8]:
        print(f"  {item.get('transferSize', 0) / 1024:7.1f} KB  {item['url'].replace(base, '')}")
    failed = [
        (audit["id"], audit["title"])
        for audit in result["audits"].values()
        if audit.get("score") is not None
        and audit["score"] < 0.9
        and audit.get("scoreDisplayMode") in ("binary", "numeric")
    ]
    for audit_id, title in failed[:12]:
        print(f"  below 0.9: {audit_id}: {title}")
    for item in result["audits"]["errors-in-console"]["details"].get("items", [])[:5]:
        print(f"  console: {item.get('source')}: {str(item.get('description'))[:160]}")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
