"""Request bodies and query parameters: JSON only, types checked before any operation runs.

Each endpoint declares its body as a list of :class:`Field`; the same declarations produce the
request schemas of the OpenAPI document, so the document and the checks cannot drift apart.
Wrong JSON or wrong types answer 400; a missing required field, a too long text or control
characters answer 422 (with ``fields``), so no odd input ever reaches the database.
"""
import json
import re
from dataclasses import dataclass

from flask import request

from ..reference import MAX_ID
from .errors import N_, ApiError

#: Largest request body accepted (bytes).
MAX_BODY = 256 * 1024
#: Control characters (other than tab, newline, carriage return) and lone surrogates: they
#: cannot be stored (PostgreSQL refuses NUL; surrogates are not UTF-8).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

#: The same as a JSON Schema pattern, for the OpenAPI document.
STORABLE = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
#: Longest list accepted.
MAX_ITEMS = 50

_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # string, integer, boolean, array (of strings)
    required: bool = False
    nullable: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple | None = None
    description: str = ""
    example: object = None
    format: str | None = None

    @property
    def accepts_null(self) -> bool:
        """Optional fields take null as "not given"; required ones only when nullable."""
        return self.nullable or not self.required

    def schema(self) -> dict:
        out: dict = {"type": [self.type, "null"] if self.accepts_null else self.type}
        if self.type == "array":
            out["items"] = {"type": "string", "maxLength": 200, "pattern": STORABLE}
            out["maxItems"] = MAX_ITEMS
            if self.enum:
                out["items"] = {"enum": list(self.enum)}
        elif self.enum:
            out["enum"] = list(self.enum) + ([None] if self.accepts_null else [])
        elif self.type == "string":
            out["pattern"] = STORABLE
            if self.required:
                out["minLength"] = 1
        if self.format:
            out["format"] = self.format
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.description:
            out["description"] = self.description
        if self.example is not None:
            out["examples"] = [self.example]
        return out


def body_schema(fields: list[Field]) -> dict:
    return {"type": "object",
            "properties": {f.name: f.schema() for f in fields},
            "required": [f.name for f in fields if f.required]}


def _json_body():
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:
        raise ApiError(413)
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, N_("The body is not valid JSON (UTF-8)."), code="invalid_json") \
            from None


def _no_constant(name):
    raise ValueError(name)


def _type_ok(field: Field, value) -> bool:
    if value is None:
        return field.accepts_null
    expected = _TYPES[field.type]
    if expected is int:  # 3.0 is an integer in JSON Schema
        return (isinstance(value, int) and not isinstance(value, bool)
                or isinstance(value, float) and value.is_integer())
    if expected is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, expected)


def _too_long(value: str, limit: int | None) -> bool:
    return limit is not None and len(value) > limit


def parse_body(fields: list[Field], *, allow_empty: bool = False) -> dict:
    """The body's declared fields that are present, type-checked; others are ignored."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413)
    data = _json_body()
    if not isinstance(data, dict):
        raise ApiError(400, N_("The body must be a JSON object."), code="invalid_json")
    wrong, invalid, values = {}, {}, {}
    for field in fields:
        if field.name not in data:
            if field.required:
                invalid[field.name] = [(N_("This field is required."), {})]
            continue
        value = data[field.name]
        if not _type_ok(field, value):
            wrong[field.name] = [(N_("Expected %(type)s."), {"type": _type_name(field)})]
            continue
        texts = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        if isinstance(value, float):
            value = int(value)
        if isinstance(value, list) and len(value) > MAX_ITEMS:
            invalid[field.name] = [(N_("At most %(max)d items."), {"max": MAX_ITEMS})]
        elif any(_too_long(t, field.max_length if isinstance(value, str) else 200)
                 for t in texts):
            invalid[field.name] = [(N_("At most %(max)d characters."),
                                    {"max": field.max_length or 200})]
        elif any(_UNSTORABLE.search(t) for t in texts):
            invalid[field.name] = [(N_("Remove the control characters."), {})]
        elif isinstance(value, int) and not isinstance(value, bool) and (
                (field.minimum is not None and value < field.minimum)
                or (field.maximum is not None and value > field.maximum)):
            invalid[field.name] = [(N_("Enter a number from %(min)d to %(max)d."),
                                    {"min": field.minimum or 0, "max": field.maximum or 0})]
        else:
            values[field.name] = value
    if wrong:
        raise ApiError(400, N_("Some fields have the wrong type."), code="invalid_type",
                       fields=wrong)
    if invalid:
        raise ApiError(422, fields=invalid)
    return values


def _type_name(field: Field) -> str:
    name = {"array": "a list of strings", "integer": "an integer", "boolean": "true or false",
            "string": "a string"}[field.type]
    return name + (" or null" if field.accepts_null else "")


def int_param(name: str, default: int, *, minimum: int = 1, maximum: int = 10_000) -> int:
    """An integer query parameter; 400 when it is not one or out of range."""
    raw = request.args.get(name)
    if raw is None:
        return default
    ok = raw.isascii() and raw.isdigit() and len(raw) <= 9
    if not ok or not minimum <= int(raw) <= maximum:
        raise ApiError(400, N_("%(name)s must be a whole number from %(min)d to %(max)d."),
                       params={"name": name, "min": minimum, "max": maximum},
                       code="invalid_parameter")
    return int(raw)


def valid_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID
