"""Helpers shared by the asset services: roles, field validation, tree paths."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import CharField, F, Model, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from fieldops.errors import ValidationFailed

MAX_TREE_DEPTH = 12


class FieldErrors:
    """Collects per-field messages and raises them together as one VALIDATION_ERROR."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, message)

    def raise_if_any(self, message: str | None = None) -> None:
        if self.fields:
            raise ValidationFailed(message, details={"fields": dict(self.fields)})


def clean_str(
    errors: FieldErrors, field: str, value: Any, *, max_length: int, required: bool = False
) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        errors.add(field, "This field is required.")
    elif len(text) > max_length:
        errors.add(field, f"At most {max_length} characters.")
    return text


def clean_coordinate(errors: FieldErrors, field: str, value: Any, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(field, "Must be a number.")
        return None
    if not number.is_finite() or not -limit <= number <= limit:
        errors.add(field, f"Must be between -{limit} and {limit}.")
        return None
    return number.quantize(Decimal("0.000001"))


def clean_date(errors: FieldErrors, field: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(field, "Must be a date like 2024-05-31.")
        return None


def clean_choice(errors: FieldErrors, field: str, value: Any, choices: list[str]) -> str:
    text = "" if value is None else str(value).strip().lower()
    if text not in choices:
        errors.add(field, f"Must be one of: {', '.join(choices)}.")
    return text


def child_path(parent_path: str | None, pk: int) -> str:
    return f"{parent_path or '/'}{pk}/"


def check_move(node_path: str, new_parent: Model | None, subtree_height: int) -> str | None:
    """Why moving the node with ``node_path`` under ``new_parent`` is refused, or None."""
    if new_parent is None:
        return None
    if new_parent.path.startswith(node_path):
        return "A node cannot be moved under itself or one of its descendants."
    if new_parent.depth + 1 + subtree_height > MAX_TREE_DEPTH:
        return f"The hierarchy may be at most {MAX_TREE_DEPTH} levels deep."
    return None


def subtree_height(queryset: QuerySet, node: Model) -> int:
    """Levels below ``node`` (0 for a leaf)."""
    deepest = (
        queryset.filter(path__startswith=node.path)
        .order_by("-depth")
        .values_list("depth", flat=True)
        .first()
    )
    return (deepest or node.depth) - node.depth


def move_subtree(queryset: QuerySet, node: Model, new_parent: Model | None) -> None:
    """Re-root ``node`` and every descendant under ``new_parent`` in one UPDATE."""
    old_prefix = node.path
    new_prefix = child_path(new_parent.path if new_parent else None, node.pk)
    new_depth = new_parent.depth + 1 if new_parent else 0
    if old_prefix == new_prefix:
        return
    queryset.filter(path__startswith=old_prefix).update(
        path=Concat(
            Value(new_prefix), Substr("path", len(old_prefix) + 1), output_field=CharField()
        ),
        depth=F("depth") + (new_depth - node.depth),
        updated_at=timezone.now(),
    )
    node.path, node.depth = new_prefix, new_depth
