"""One input boundary: a use case's schema parses its input for every door.

The API hands its body to ninja, which validates it with the schema; the pages and the offline
applier call ``parse_input`` with the same schema. Both report problems the same way (one
VALIDATION_ERROR, the fields in ``details.fields``), with the same words per kind of problem.
A time without an offset is read in the zone the caller gives (the organisation's): ninja's
requests carry the member, so the API reads it the same way.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationInfo
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from fieldops.errors import ValidationFailed
from fieldops.time import DAY_UNREADABLE, UNREADABLE, in_zone, zone_named, zone_of

S = TypeVar("S", bound=BaseModel)

# What each kind of problem says, the same through every door (pydantic's words otherwise).
MESSAGES = {
    "missing": "This field is required.",
    "uuid_parsing": "Must be an id (a UUID).",
    "uuid_type": "Must be an id (a UUID).",
    "int_parsing": "Must be a whole number.",
    "int_type": "Must be a whole number.",
    "int_from_float": "Must be a whole number.",
    "float_parsing": "Must be a number.",
    "float_type": "Must be a number.",
    "finite_number": "Must be a number.",
    "decimal_parsing": "Must be a number.",
    "decimal_type": "Must be a number.",
    "datetime_parsing": UNREADABLE,
    "datetime_from_date_parsing": UNREADABLE,
    "datetime_type": UNREADABLE,
    "date_parsing": DAY_UNREADABLE,
    "date_from_datetime_parsing": DAY_UNREADABLE,
    "date_type": DAY_UNREADABLE,
    "bool_parsing": "Must be yes or no.",
    "string_type": "Must be text.",
    "list_type": "Must be a list.",
    "literal_error": "Must be one of: {expected}.",
    "enum": "Must be one of: {expected}.",
    "string_too_long": "At most {max_length} characters.",
    "string_too_short": "At least {min_length} characters.",
    "too_long": "At most {max_length} items.",
    "greater_than_equal": "Must be at least {ge}.",
    "less_than_equal": "Must be at most {le}.",
}
# Where ninja says a value came from: not part of the field's name.
_SOURCES = {"body", "query", "path", "header", "payload", "form", "file", "cookie"}


def problem_text(error: Mapping[str, Any]) -> str:
    template = MESSAGES.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", "Invalid value."))
    context = {k: str(v).replace("'", "") for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return str(error.get("msg", "Invalid value."))


def validation_details(errors: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """pydantic's (or ninja's) errors as ``{"fields": {"name" or "list.0": problem}}``."""
    fields: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in _SOURCES]
        fields.setdefault(".".join(loc) or "__all__", problem_text(error))
    return {"fields": fields}


def parse_input(schema: type[S], data: Mapping[str, Any], *, zone: tzinfo | None = None) -> S:
    """``data`` read with ``schema`` (a time without an offset in ``zone``), or
    VALIDATION_ERROR with every problem on its field."""
    try:
        return schema.model_validate(dict(data), context={"zone": zone})
    except PydanticValidationError as exc:
        raise ValidationFailed(details=validation_details(exc.errors())) from None


def _context_zone(info: ValidationInfo) -> tzinfo:
    context = info.context or {}
    if context.get("zone") is not None:
        return context["zone"]
    request = context.get("request")  # ninja's: the API reads in the caller's organisation
    member = getattr(request, "auth", None) or getattr(request, "membership", None)
    return zone_of(member) if member is not None else zone_named("UTC")


def _localised(value: datetime, info: ValidationInfo) -> datetime:
    return in_zone(value, _context_zone(info))


def _decimal_comma(value: Any) -> Any:
    return value.strip().replace(",", ".") if isinstance(value, str) else value


# A number a person types: "12,5" is 12.5 as it is where a comma is the decimal mark.
Number = Annotated[float, BeforeValidator(_decimal_comma)]

# A datetime input: with an offset as given, without one in the organisation's zone.
Moment = Annotated[datetime, AfterValidator(_localised)]


def chosen(message: str) -> BeforeValidator:
    """For a required choice whose absence has its own words ("Choose what the time was spent
    on."): give the field ``Field(None, validate_default=True)`` and this validator."""

    def check(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise PydanticCustomError("choice_missing", message)
        return value

    return BeforeValidator(check)


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(get_origin(arg) is list for arg in get_args(annotation))


def _takes_text(annotation: Any) -> bool:
    return annotation is str or str in get_args(annotation)


def form_data(
    post: Any,
    schema: type[BaseModel],
    *,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A page form (a ``QueryDict``) as the schema's input: ``names`` maps a form field to the
    schema's name where they differ; a blank non-text field is "not given" (its default), a
    blank text field is the empty text it is (the service decides whether that will do)."""
    renamed = {schema_name: form_name for form_name, schema_name in (names or {}).items()}
    data: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        source = renamed.get(name, name)
        if source not in post:
            continue
        if _is_list(info.annotation):
            data[name] = [v for v in post.getlist(source) if v.strip()]
            continue
        value = post.get(source)
        if isinstance(value, str) and not value.strip() and not _takes_text(info.annotation):
            continue
        data[name] = value
    return data


def field_problems(details: Mapping[str, Any]) -> dict[str, str]:
    """A VALIDATION_ERROR's details as one flat ``{field: problem}`` for a page: the schema's
    ``fields`` (a list item's problem also under the list's name) and a service's own keys."""
    flat: dict[str, str] = {}
    for name, problem in details.items():
        if name == "fields" and isinstance(problem, Mapping):
            for field, text in problem.items():
                flat.setdefault(field, str(text))
                flat.setdefault(field.split(".")[0], str(text))
        elif name != "current":
            flat[name] = problem if isinstance(problem, str) else str(problem)
    return flat


def page_input(
    request: Any, schema: type[S], *, names: Mapping[str, str] | None = None, **given: Any
) -> S:
    """A page's POST read with the use case's schema, times in the member's organisation's
    zone; ``given`` adds what the page knows itself (a path's id)."""
    data = form_data(request.POST, schema, names=names) | given
    return parse_input(schema, data, zone=zone_of(getattr(request, "membership", None)))


def typed_text(request: Any, name: str) -> str:
    """The one value typed under ``name`` (blank when none), to show it again."""
    return next(iter(typed_back(request, name)), "")


def typed_back(request: Any, name: str) -> list[str]:
    """What the person ticked or typed under ``name``, as sent, to show it again after a
    refusal. Never parsed for use: the schema alone reads a form for the service."""
    return request.POST.getlist(name)
