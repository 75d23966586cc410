"""The connector interface every ERP implements, and the registry of connectors by system."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from integrations.connectors.errors import Unsupported
from integrations.connectors.http import HttpClient
from integrations.unified import UnifiedRecord, list_adapter


@dataclass(frozen=True)
class RemoteRecord:
    unified: UnifiedRecord
    raw: dict[str, Any]


@dataclass(frozen=True)
class FailedRecord:
    remote_id: str
    raw: dict[str, Any]
    error: str


@dataclass
class Page:
    records: list[RemoteRecord] = field(default_factory=list)
    # Opaque to the caller; None when this was the last page.
    next_cursor: str | None = None
    # Rows that could not be mapped: counted as failed, the rest of the page still syncs.
    failures: list[FailedRecord] = field(default_factory=list)


def map_rows(
    rows: list[dict[str, Any]],
    to_unified: Callable[[dict[str, Any]], UnifiedRecord],
    *,
    key: Callable[[dict[str, Any]], Any],
    raw: Callable[[dict[str, Any]], dict[str, Any]] = lambda row: row,
) -> tuple[list[RemoteRecord], list[FailedRecord]]:
    """Maps each row on its own: a row that fails (whatever the exception: a bad decimal is an
    ArithmeticError, a missing key a KeyError, pydantic's a ValueError) is set aside with its
    reason and the rest of the page is kept."""
    records, failures = [], []
    for row in rows:
        try:
            records.append(RemoteRecord(to_unified(row), raw(row)))
        except Exception as error:  # one record's fault, reported, never the run's
            failures.append(
                FailedRecord(str(key(row)), raw(row), f"{type(error).__name__}: {str(error)[:300]}")
            )
    return records, failures


def map_page(
    rows: list[dict[str, Any]],
    fields: Callable[[dict[str, Any]], dict[str, Any]],
    schema: type[UnifiedRecord],
    *,
    key: Callable[[dict[str, Any]], Any],
    raw: Callable[[dict[str, Any]], dict[str, Any]] = lambda row: row,
) -> tuple[list[RemoteRecord], list[FailedRecord]]:
    """``map_rows`` for a mapping in two steps: ``fields`` (a remote row to the schema's fields)
    per row, then one validation of the whole page by ``schema``. A page with a bad row is
    mapped again row by row, so what fails, and how it is described, is what map_rows says."""
    try:
        values = [fields(row) for row in rows]
        unified = list_adapter(schema).validate_python(values)
    except Exception:  # mapped again row by row, which reports each failure
        return map_rows(rows, lambda row: schema(**fields(row)), key=key, raw=raw)
    return [RemoteRecord(u, raw(row)) for u, row in zip(unified, rows, strict=True)], []


class Connector(ABC):
    """One ERP system. ``list_page`` reads one entity in ascending remote modification time from
    ``since`` (inclusive; None = everything) and an opaque cursor; ``push`` performs a FieldOps
    write and returns the remote id, finding (not repeating) a write it already made for ``key``.
    """

    system: ClassVar[str]
    entities: ClassVar[tuple[str, ...]]
    push_operations: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, http: HttpClient, credentials: dict[str, Any], options: dict[str, Any]):
        self.http = http
        self.credentials = credentials
        self.options = options

    @abstractmethod
    def check(self) -> None:
        """Authenticate and make one cheap call; raise a ConnectorError if that fails."""

    @abstractmethod
    def list_page(
        self, entity: str, *, since: datetime | None, cursor: str | None, page_size: int
    ) -> Page: ...

    @abstractmethod
    def get(self, entity: str, remote_id: str) -> RemoteRecord: ...

    def push(self, operation: str, payload: dict[str, Any], *, key: str) -> str:
        raise Unsupported(f"{self.system} does not support {operation!r}.")

    def require_entity(self, entity: str) -> None:
        if entity not in self.entities:
            raise Unsupported(f"{self.system} does not provide {entity}.")


_registry: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    _registry[cls.system] = cls
    return cls


def connector_class(system: str) -> type[Connector]:
    from integrations import connectors  # noqa: F401  (imports register every connector)

    try:
        return _registry[system]
    except KeyError:
        raise Unsupported(f"No connector for system {system!r}.") from None


Factory = Callable[..., Connector]
