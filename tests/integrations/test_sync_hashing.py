"""The payload hash is the one stored before orjson wrote the canonical JSON (a changed hash would
re-write every record once), and the raw and timestamp encodings keep their values."""

import hashlib
import json
import random
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pydantic
import pytest

from integrations import unified
from integrations.services.sync_writes import canonical_json, payload_hash, pg_timestamp, raw_json


def legacy_hash(payload):
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


PAYLOADS = [
    {"remote_id": "10000001", "name": "Pump P-101", "install_date": "2020-03-01", "x": None},
    {"name": "Pumpe Süd", "code": "Ä-1"},  # non-ASCII: orjson would not escape it
    {"name": "tab\there\nnew line \x00 \x1f \x7f end", "q": '"quoted" \\ /slash'},
    {"labour": [{"hours": "1.50", "z": True, "a": False}], "b": {"d": 1, "c": -2}},
    {"big": 2**70, "small": -(2**63), "ok": 2**63 - 1},
    {"emoji": "🔧", "cjk": "泵"},
    {},
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_payload_hash_is_the_one_stored_before(payload):
    assert payload_hash(payload) == legacy_hash(payload)
    assert json.loads(canonical_json(payload)) == payload


def test_the_payload_hash_is_the_one_stored_before_for_any_ascii_text():
    rng = random.Random(8)
    for _ in range(3000):
        text = "".join(chr(rng.randrange(0, 128)) for _ in range(rng.randrange(0, 10)))
        payload = {"b": text, text: [text, {"z": 1, "y": None}], "a": rng.randrange(-(10**12), 0)}
        assert payload_hash(payload) == legacy_hash(payload)


def _float_fields(model, seen):
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, field in model.model_fields.items():
        for kind in _leaves(field.annotation):
            if kind is float:
                found.append(f"{model.__name__}.{name}")
            elif isinstance(kind, type) and issubclass(kind, pydantic.BaseModel):
                found += _float_fields(kind, seen)
    return found


def _leaves(annotation):
    args = typing.get_args(annotation)
    if not args:
        return [annotation]
    return [leaf for arg in args for leaf in _leaves(arg)]


def test_no_unified_record_has_a_float_where_orjson_and_json_would_write_it_differently():
    seen = set()
    assert [f for s in unified.ENTITY_SCHEMAS.values() for f in _float_fields(s, seen)] == []


def test_raw_json_keeps_every_value():
    raw = {
        "Equipment": "10000001",
        "name": "Pumpe Süd",
        "n": 12,
        "big": 2**70,
        "price": 1.5,
        "nested": {"results": [{"a": None, "b": True}]},
    }
    assert json.loads(raw_json(raw)) == raw
    odd = {"when": datetime(2026, 1, 1, tzinfo=UTC), "day": date(2026, 1, 2), "d": Decimal("1.10")}
    assert json.loads(raw_json(odd)) == json.loads(json.dumps(odd, default=str))


def test_timestamps_go_to_postgresql_in_utc():
    far = timezone(timedelta(hours=22, minutes=28))
    moment = datetime(2026, 1, 1, 23, 0, tzinfo=far)
    assert pg_timestamp(moment) == "2026-01-01T00:32:00+00:00"
    assert datetime.fromisoformat(pg_timestamp(moment)) == moment
    assert pg_timestamp(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00+00:00"
    assert pg_timestamp(None) is None


def test_public_ids_written_by_copy_are_the_unified_ids(organization):
    from integrations.services.sync_writes import unified_id, unified_id_texts
    from tests.integrations.factories import ConnectionFactory

    connection = ConnectionFactory(organization=organization)
    remote_ids = ["10000001", "Pumpe Süd/1", "", "x" * 300, "'; DROP"]
    for entity in ("assets", "work_orders"):
        assert unified_id_texts(connection, entity, remote_ids) == [
            str(unified_id(connection, entity, remote_id)) for remote_id in remote_ids
        ]
