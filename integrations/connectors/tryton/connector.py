"""Tryton over JSON-RPC (``trytond`` with company, product, stock, purchase, timesheet)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from integrations import unified
from integrations.connectors.base import (
    Connector,
    FailedRecord,
    Page,
    RemoteRecord,
    map_rows,
    register,
)
from integrations.connectors.errors import (
    MalformedResponse,
    RemoteError,
    RemoteNotFound,
    Unsupported,
)
from integrations.connectors.tryton import mapping
from integrations.connectors.tryton.client import TrytonClient, decode, encode

# Models with an ``active`` field: read inactive rows too, they are soft deletes.
HAS_ACTIVE = {"product.product", "party.party", "company.employee", "stock.location"}
ORDER = [["last_modified_at", "ASC"], ["id", "ASC"]]


@register
class TrytonConnector(Connector):
    system = "tryton"
    entities = tuple(mapping.ENTITY_MODELS)
    push_operations = ("timesheet.create", "part.consume")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.rpc = TrytonClient(
            self.http,
            database=self.options.get("database", ""),
            login=self.credentials.get("login", ""),
            password=self.credentials.get("password", ""),
        )
        self.company = int(self.options.get("company", 1))

    @property
    def context(self) -> dict[str, Any]:
        return {"company": self.company, "companies": [self.company]}

    def check(self) -> None:
        self.rpc.authenticate()
        self.rpc.model("company.company", "search", [], 0, 1, None, context=self.context)

    def _search_read(
        self,
        model: str,
        domain: list,
        offset: int,
        limit: int | None,
        order: list | None,
        fields: list[str],
        context: dict | None = None,
    ) -> list:
        rows = self.rpc.model(
            model,
            "search_read",
            domain,
            offset,
            limit,
            order,
            fields,
            context=context or self.context,
        )
        if not isinstance(rows, list):
            raise MalformedResponse(f"search_read on {model} did not return a list.")
        return rows

    def list_page(
        self, entity: str, *, since: datetime | None, cursor: str | None, page_size: int
    ) -> Page:
        self.require_entity(entity)
        model = mapping.ENTITY_MODELS[entity]
        domain: list[Any] = []
        if model in HAS_ACTIVE:
            domain.append(["active", "in", [True, False]])
        if since is not None:
            domain.append(["last_modified_at", ">=", since])
        if cursor:
            # Keyset on (last_modified_at, id): stable while rows change under a long run.
            position = json.loads(cursor)
            at = decode(position["t"])
            domain.append(
                [
                    "OR",
                    [["last_modified_at", ">", at]],
                    [["last_modified_at", "=", at], ["id", ">", position["id"]]],
                ]
            )
        rows = self._search_read(model, domain, 0, page_size, ORDER, mapping.FIELDS[model])
        records, failures = self._map(entity, rows)
        next_cursor = None
        if len(rows) == page_size:
            last = rows[-1]
            next_cursor = json.dumps({"t": encode(last["last_modified_at"]), "id": last["id"]})
        return Page(records=records, next_cursor=next_cursor, failures=failures)

    def get(self, entity: str, remote_id: str) -> RemoteRecord:
        self.require_entity(entity)
        model = mapping.ENTITY_MODELS[entity]
        domain: list[Any] = (
            [["id", "=", int(remote_id)]] if remote_id.isdigit() else [["id", "=", -1]]
        )
        if model in HAS_ACTIVE:
            domain.append(["active", "in", [True, False]])
        rows = self._search_read(model, domain, 0, 1, None, mapping.FIELDS[model])
        if not rows:
            raise RemoteNotFound(f"Tryton {model} {remote_id} does not exist.")
        records, failures = self._map(entity, rows)
        if failures:
            raise MalformedResponse(f"Tryton {model} {remote_id}: {failures[0].error}")
        return records[0]

    def _map(
        self, entity: str, rows: list[dict[str, Any]]
    ) -> tuple[list[RemoteRecord], list[FailedRecord]]:
        """Each row mapped on its own (map_rows): a row that does not map is set aside with its
        reason and the rest of the page is kept, as in every other connector."""
        key = _row_id
        if entity == "parts":
            stock = self._stock_by_product([row["id"] for row in rows])
            return map_rows(
                rows,
                lambda r: mapping.part_from_remote(r, stock.get(r["id"], [])),
                key=key,
                raw=_raw,
            )
        if entity == "purchase_orders":
            line_ids = [line_id for row in rows for line_id in row.get("lines", [])]
            lines = (
                self._search_read(
                    "purchase.line",
                    [["id", "in", line_ids]],
                    0,
                    None,
                    [["sequence", "ASC"], ["id", "ASC"]],
                    mapping.FIELDS["purchase.line"],
                )
                if line_ids
                else []
            )
            by_po: dict[int, list] = {}
            for line in lines:
                by_po.setdefault(line["purchase"], []).append(line)
            return map_rows(
                rows,
                lambda r: mapping.purchase_order_from_remote(r, by_po.get(r["id"], [])),
                key=key,
                raw=lambda r: _raw({**r, "lines": by_po.get(r["id"], [])}),
            )
        to_unified = {
            "vendors": mapping.vendor_from_remote,
            "employees": mapping.employee_from_remote,
            "locations": mapping.location_from_remote,
            "timesheets": mapping.timesheet_from_remote,
        }[entity]
        return map_rows(rows, to_unified, key=key, raw=_raw)

    def _stock_by_product(self, product_ids: list[int]) -> dict[int, list[unified.StockLevel]]:
        if not product_ids:
            return {}
        warehouses = self._search_read(
            "stock.location", [["type", "=", "warehouse"]], 0, None, [["id", "ASC"]], ["name"]
        )
        stock: dict[int, list[unified.StockLevel]] = {}
        for warehouse in warehouses:
            # Tryton computes quantity for the locations in the context (children included).
            context = {**self.context, "locations": [warehouse["id"]], "with_childs": True}
            rows = self._search_read(
                "product.product",
                [["id", "in", product_ids], ["active", "in", [True, False]]],
                0,
                None,
                None,
                ["quantity"],
                context=context,
            )
            for row in rows:
                stock.setdefault(row["id"], []).append(
                    unified.StockLevel(
                        location_remote_id=str(warehouse["id"]),
                        location_name=warehouse["name"],
                        quantity=mapping._dec(row.get("quantity")) or 0,
                    )
                )
        return stock

    def push(self, operation: str, payload: dict[str, Any], *, key: str) -> str:
        if operation == "timesheet.create":
            return self._push_timesheet(payload, key=key)
        if operation == "part.consume":
            return self._push_consumption(payload, key=key)
        raise Unsupported(f"Tryton does not support {operation!r}.")

    def _push_timesheet(self, payload: dict[str, Any], *, key: str) -> str:
        marker = f"[fieldops:{key}]"
        # Exactly once: a previous attempt may have created the line and died before FieldOps
        # recorded the acknowledgement, so look for it first.
        existing = self.rpc.model(
            "timesheet.line",
            "search",
            [["description", "like", f"%{marker}%"]],
            0,
            1,
            None,
            context=self.context,
        )
        if existing:
            return str(existing[0])
        entry = unified.TimesheetEntry.model_validate({"remote_id": "", **payload})
        values = mapping.timesheet_to_remote(
            entry, company=self.company, work=self._work(), key=key
        )
        created = self.rpc.model("timesheet.line", "create", [values], context=self.context)
        return str(created[0])

    def _push_consumption(self, payload: dict[str, Any], *, key: str) -> str:
        """Parts used on a work order leave stock. Tryton has no maintenance module, so the
        consumption is an internal shipment from the warehouse's storage location to its
        lost-and-found location (options ``stock_location`` / ``consumption_location``
        override both), done at once. Its ``reference`` carries the key: a retry finds the
        shipment an earlier attempt created and only moves it on from the state it reached
        (created, waiting, assigned), so the stock goes down once."""
        reference = f"fieldops:{key}"
        model = "stock.shipment.internal"
        found = self._search_read(model, [["reference", "=", reference]], 0, 1, None, ["state"])
        if found:
            shipment, state = found[0]["id"], found[0]["state"]
        else:
            shipment, state = self._create_consumption(payload, reference), "draft"
        if state == "cancelled":
            raise RemoteError(f"Tryton internal shipment {shipment} was cancelled.")
        # Each step is a workflow transition Tryton skips for a shipment already past it.
        for step, before in (
            ("wait", {"draft"}),
            ("assign_force", {"draft", "waiting"}),
            ("do", {"draft", "waiting", "assigned"}),
        ):
            if state in before:
                self.rpc.model(model, step, [shipment], context=self.context)
        return str(shipment)

    def _create_consumption(self, payload: dict[str, Any], reference: str) -> int:
        product = int(payload["part_remote_id"])
        rows = self._search_read(
            "product.product",
            [["id", "=", product], ["active", "in", [True, False]]],
            0,
            1,
            None,
            ["default_uom"],
        )
        if not rows:
            raise RemoteError(f"Tryton has no product {product}.")
        source, destination = self._consumption_locations()
        quantity = float(Decimal(str(payload["quantity"])))
        move = {
            "product": product,
            "unit": rows[0]["default_uom"],
            "quantity": quantity,
            "from_location": source,
            "to_location": destination,
            "company": self.company,
        }
        values: dict[str, Any] = {
            "company": self.company,
            "from_location": source,
            "to_location": destination,
            "reference": reference,
            "moves": [["create", [move]]],
        }
        occurred = _date(payload.get("occurred_on") or payload.get("occurred_at"))
        if occurred is not None and occurred <= date.today():
            values["effective_date"] = occurred
            move["effective_date"] = occurred
        return self.rpc.model("stock.shipment.internal", "create", [values], context=self.context)[
            0
        ]

    def _consumption_locations(self) -> tuple[int, int]:
        source = self.options.get("stock_location")
        if not source:
            warehouses = self._search_read(
                "stock.location",
                [["type", "=", "warehouse"]],
                0,
                1,
                [["id", "ASC"]],
                ["storage_location"],
            )
            if not warehouses or not warehouses[0].get("storage_location"):
                raise RemoteError("Tryton has no warehouse with a storage location.")
            source = warehouses[0]["storage_location"]
        destination = self.options.get("consumption_location")
        if not destination:
            found = self.rpc.model(
                "stock.location",
                "search",
                [["type", "=", "lost_found"]],
                0,
                1,
                [["id", "ASC"]],
                context=self.context,
            )
            if not found:
                raise RemoteError("Tryton has no lost-and-found location.")
            destination = found[0]
        return int(source), int(destination)

    def _work(self) -> int:
        if self.options.get("timesheet_work"):
            return int(self.options["timesheet_work"])
        name = self.options.get("timesheet_work_name", "FieldOps work orders")
        found = self.rpc.model(
            "timesheet.work", "search", [["name", "=", name]], 0, 1, None, context=self.context
        )
        if found:
            return found[0]
        return self.rpc.model(
            "timesheet.work",
            "create",
            [{"name": name, "company": self.company}],
            context=self.context,
        )[0]


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


def _row_id(row: dict[str, Any]) -> Any:
    return row.get("id")


def _raw(row: dict[str, Any]) -> dict[str, Any]:
    """The remote record as JSON (Tryton's typed values re-encoded)."""
    return json.loads(json.dumps(encode(row), default=str))
