"""A real Tryton server for the tests: built once, started on loopback, seeded over JSON-RPC.

The database (``trytond-admin --all`` then the purchase/stock/timesheet modules, ~20 s) is built
once into a cache directory keyed by the trytond version and copied per test session, so only the
first session on a machine pays for it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

MODULES = ["company", "product", "stock", "purchase", "timesheet"]
DB = "fieldops"
ADMIN_PASSWORD = "admin-pass-for-tests"


@dataclass
class TrytonServer:
    url: str
    database: str
    login: str
    password: str
    process: subprocess.Popen
    seed: dict[str, Any] = field(default_factory=dict)


def _bin(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise RuntimeError(f"{name} is not installed; `pip install -e .[dev]` brings trytond.")
    return str(path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(directory: Path, port: int) -> Path:
    conf = directory / "trytond.conf"
    conf.write_text(
        f"[database]\nuri = sqlite://\npath = {directory}\n"
        f"[web]\nlisten = 127.0.0.1:{port}\n[session]\nmax_attempt = 50\n"
    )
    return conf


def _env(directory: Path) -> dict[str, str]:
    passfile = directory / "admin.pass"
    passfile.write_text(ADMIN_PASSWORD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYTOND_")}
    env["TRYTONPASSFILE"] = str(passfile)
    return env


def build_template(cache_dir: Path) -> Path:
    import trytond

    template = cache_dir / f"tryton-{trytond.__version__}-{'-'.join(MODULES)}.sqlite"
    if template.exists():
        return template
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        conf = _config(directory, _free_port())
        (directory / f"{DB}.sqlite").touch()
        env = _env(directory)
        admin = _bin("trytond-admin")
        for args in (
            ["--all", "--email", "admin@example.com"],
            ["-u", *MODULES, "--activate-dependencies"],
        ):
            subprocess.run(
                [admin, "-c", str(conf), "-d", DB, *args],
                env=env,
                check=True,
                capture_output=True,
                timeout=300,
            )
        partial = template.with_suffix(".partial")
        shutil.copy(directory / f"{DB}.sqlite", partial)
        partial.rename(template)  # atomic: a parallel session never sees half a file
    return template


def start(template: Path, directory: Path) -> TrytonServer:
    shutil.copy(template, directory / f"{DB}.sqlite")
    port = _free_port()
    conf = _config(directory, port)
    log = (directory / "trytond.log").open("w")
    process = subprocess.Popen(
        [_bin("trytond"), "-c", str(conf), "-d", DB],
        env=_env(directory),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            answer = httpx.post(
                f"{url}/rpc/",
                json={"id": 0, "method": "common.server.version", "params": []},
                timeout=2,
            )
            if answer.status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"trytond did not start: {(directory / 'trytond.log').read_text()}")
        time.sleep(0.2)
    return TrytonServer(
        url=url, database=DB, login="admin", password=ADMIN_PASSWORD, process=process
    )


class Rpc:
    """A bare JSON-RPC session for seeding (the code under test has its own client)."""

    def __init__(self, server: TrytonServer):
        from integrations.connectors.tryton.client import decode

        self.decode = decode
        self.url = f"{server.url}/{server.database}/rpc/"
        result = self._post(
            "common.db.login", [server.login, {"password": server.password}, "en"], None
        )
        self.uid = result[0]
        import base64

        self.auth = (
            "Session "
            + base64.b64encode(f"{server.login}:{result[0]}:{result[1]}".encode()).decode()
        )
        self.context: dict[str, Any] = {}

    def _post(self, method: str, params: list, auth: str | None) -> Any:
        from integrations.connectors.tryton.client import encode

        headers = {"Authorization": auth} if auth else {}
        body = httpx.post(
            self.url,
            json={"id": 1, "method": method, "params": encode(params)},
            headers=headers,
            timeout=30,
        ).json()
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']}")
        return self.decode(body["result"])

    def __call__(self, model: str, method: str, *params: Any) -> Any:
        try:
            return self._post(f"model.{model}.{method}", [*params, self.context], self.auth)
        except RuntimeError as error:
            # Tryton asks to confirm some actions (a stock move without origin): accept once.
            text = str(error)
            if "UserWarning" not in text:
                raise
            key = text.split("'")[3]
            self._post(
                "model.res.user.warning.create",
                [[{"user": self.uid, "name": key, "always": False}], self.context],
                self.auth,
            )
            return self._post(f"model.{model}.{method}", [*params, self.context], self.auth)


def seed(server: TrytonServer) -> dict[str, Any]:
    from datetime import date, timedelta
    from decimal import Decimal

    rpc = Rpc(server)
    currency = rpc("currency.currency", "create", [{"name": "Euro", "code": "EUR", "symbol": "€"}])[
        0
    ]
    company_party = rpc("party.party", "create", [{"name": "Acme Plant Ops"}])[0]
    company = rpc("company.company", "create", [{"party": company_party, "currency": currency}])[0]
    rpc("res.user", "write", [rpc.uid], {"companies": [["add", [company]]], "company": company})
    rpc.context = {"company": company}
    people = rpc("party.party", "create", [{"name": "Jane Wrench"}, {"name": "Bob Spanner"}])
    employees = rpc(
        "company.employee",
        "create",
        [{"party": p, "company": company, "start_date": date(2024, 3, 1)} for p in people],
    )
    unit = rpc("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)[0]
    templates = rpc(
        "product.template",
        "create",
        [
            {
                "name": name,
                "type": "goods",
                "default_uom": unit,
                "purchasable": True,
                "purchase_uom": unit,
                "list_price": Decimal(price),
                "products": [["create", [{"suffix_code": code, "cost_price": Decimal(cost)}]]],
            }
            for code, name, price, cost in [
                ("BRG-6204", "Bearing 6204", "12.50", "7.25"),
                ("FLT-100", "Hydraulic filter", "40.00", "22.10"),
                ("BLT-A42", "V-belt A42", "9.90", "4.00"),
            ]
        ],
    )
    products = rpc(
        "product.product", "search", [["template", "in", templates]], 0, None, [["id", "ASC"]]
    )
    locations = {
        row["code"]: row["id"]
        for row in rpc(
            "stock.location",
            "search_read",
            [["code", "in", ["WH", "STO", "SUP"]]],
            0,
            None,
            None,
            ["code"],
        )
    }
    moves = rpc(
        "stock.move",
        "create",
        [
            {
                "product": products[0],
                "from_location": locations["SUP"],
                "to_location": locations["STO"],
                "quantity": 10.0,
                "unit": unit,
                "unit_price": Decimal("7.25"),
                "currency": currency,
                "company": company,
            }
        ],
    )
    rpc("stock.move", "do", moves)
    vendor = rpc("party.party", "create", [{"name": "Bearings Direct"}])[0]
    purchase = rpc(
        "purchase.purchase",
        "create",
        [
            {
                "party": vendor,
                "company": company,
                "currency": currency,
                "purchase_date": date.today() - timedelta(days=2),
                "lines": [
                    [
                        "create",
                        [
                            {
                                "type": "line",
                                "product": products[0],
                                "quantity": 4.0,
                                "unit": unit,
                                "unit_price": Decimal("7.25"),
                                "description": "Bearing 6204",
                            },
                            {
                                "type": "line",
                                "product": products[1],
                                "quantity": 2.0,
                                "unit": unit,
                                "unit_price": Decimal("22.10"),
                                "description": "Hydraulic filter",
                            },
                        ],
                    ]
                ],
            }
        ],
    )[0]
    rpc("purchase.purchase", "quote", [purchase])
    return {
        "company": company,
        "currency": currency,
        "employees": employees,
        "products": products,
        "vendor": vendor,
        "purchase": purchase,
        "warehouse": locations["WH"],
        "unit": unit,
        "rpc": rpc,
    }
