"""Answering one request from its body, in whichever thread or process computes it: read, check, compute, write.

A request's JSON is read with exact decimals and no duplicate fields, its fields checked, its answer computed
and written as JSON bytes here, so that a worker process (server/workers.py) answers a large request whole and
hands back only bytes; a request that does not fit gets 422 with each problem and the field it is about.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pol.api import PolicySet, ProfileError
from pol.compiler.evaluate.jsonfile import DuplicateField, loads
from pol.compiler.runtime import ISO_DATE, shown_name

# A profile's problem begins with the path of the field it is about: `events[2].date: …`, `facts.企业类型 (label): …`.
_PATH_PREFIX = re.compile(r"^([^\s:(]+)(?: \([^)]*\))?: ", re.S)


class Invalid(Exception):
    """A request that does not fit: each problem with the field it is about."""

    def __init__(self, detail: str, errors: Sequence[tuple[str | None, str]], status: int = 422):
        super().__init__(detail)
        self.detail, self.errors, self.status = detail, list(errors), status

    def to_json(self) -> dict[str, Any]:
        return {"detail": self.detail, "errors": [{"field": f, "message": m} for f, m in self.errors]}


def parsed(raw: bytes) -> dict[str, Any]:
    """The body's JSON object, with exact decimals and no duplicate fields; Invalid naming what is wrong."""
    try:
        value = loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Invalid("the body is not UTF-8 text", [(None, "not UTF-8")]) from None
    except DuplicateField as exc:
        name = shown_name(exc.args[0])
        raise Invalid("a field is given twice", [(name, f"{name} is given twice in one object; keep one")]) from None
    except json.JSONDecodeError as exc:
        raise Invalid(
            "the body is not valid JSON", [(None, f"line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from None
    except RecursionError:
        raise Invalid("the body is nested too deeply", [(None, "nested too deeply")]) from None
    if not isinstance(value, dict):
        raise Invalid("the body must be a JSON object", [(None, f"got {type(value).__name__}")])
    if (where := _surrogate(value, "")) is not None:
        # JSON may escape half a UTF-16 pair (\ud800); no text holds one, and no answer could carry it.
        raise Invalid(
            "the body holds text that is not Unicode", [(where or None, "a lone surrogate (\\ud800–\\udfff)")]
        )
    return value


def _surrogate(value: Any, where: str) -> str | None:
    """The path of the first key or string holding a lone surrogate, or None."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if any("\ud800" <= ch <= "\udfff" for ch in node):
                return path
        elif isinstance(node, dict):
            for key, item in node.items():
                here = f"{path}.{key}" if path else str(key)
                if any("\ud800" <= ch <= "\udfff" for ch in str(key)):
                    return path or "(a key)"
                stack.append((item, here))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node))
    return None


def _fields(body: dict[str, Any], allowed: Sequence[str], required: Sequence[str]) -> None:
    errors: list[tuple[str | None, str]] = []
    for name in body:
        if name not in allowed:
            errors.append((str(name), f"not a field of this request; the fields are {', '.join(allowed)}"))
    for name in required:
        if name not in body:
            errors.append((name, "required"))
    if errors:
        raise Invalid("the request's fields do not fit", errors)


def _date(body: dict[str, Any], default: datetime.date | None) -> datetime.date | None:
    raw = body.get("as_of")
    if raw is None:
        return default
    if isinstance(raw, str) and ISO_DATE.fullmatch(raw):
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(raw)
    raise Invalid("as_of is not a date", [("as_of", f"expected a date such as 2022-06-30, got {shown_name(raw)}")])


def _object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body[name]
    if not isinstance(value, dict):
        raise Invalid(f"{name} must be a JSON object", [(name, f"expected an object, got {type(value).__name__}")])
    return value


def _profile_errors(exc: ProfileError, under: str) -> Invalid:
    errors: list[tuple[str | None, str]] = []
    for problem in exc.problems:
        m = _PATH_PREFIX.match(problem)
        errors.append((f"{under}.{m.group(1)}" if m else under, problem))
    return Invalid(f"the {under} does not fit the policies", errors)


def _eval_profile(policies: PolicySet, body: dict[str, Any]) -> dict[str, Any]:
    _fields(body, ("profile", "as_of"), ("profile",))
    as_of = _date(body, None)
    try:
        ledger = policies.evaluate_profile(_object(body, "profile"), as_of=as_of)
    except ProfileError as exc:
        raise _profile_errors(exc, "profile") from None
    return {"as_of": as_of.isoformat() if as_of else None, **ledger.to_json()}


def _match(policies: PolicySet, body: dict[str, Any]) -> dict[str, Any]:
    _fields(body, ("profile", "as_of", "item"), ("profile",))
    as_of = _date(body, datetime.date.today())
    assert as_of is not None
    item = body.get("item")
    if item is not None and not isinstance(item, str):
        raise Invalid("item must be a string", [("item", "expected the name of one of the profile's items")])
    try:
        found = policies.match(_object(body, "profile"), as_of=as_of, item=item)
    except ProfileError as exc:
        raise _profile_errors(exc, "profile") from None
    return {"as_of": as_of.isoformat(), "matches": [m.to_json() for m in found]}


def _compare(policies: PolicySet, body: dict[str, Any]) -> dict[str, Any]:
    _fields(body, ("project", "as_of"), ("project",))
    as_of = _date(body, None)
    project = _object(body, "project")
    named = project.get("policies")
    if isinstance(named, dict) and all(k in policies for k in named):
        policies = PolicySet(policies[k] for k in named)  # the project's policies, in its order
    try:
        return policies.compare(project, as_of=as_of).to_json()
    except ProfileError as exc:
        raise _profile_errors(exc, "project") from None


# The requests about a whole profile or project, by route: the ones whose work grows with the body.
PROFILE_ROUTES = {"eval-profile": _eval_profile, "match": _match, "compare": _compare}


def answer(policies: PolicySet, route: str, raw: bytes) -> tuple[int, bytes]:
    """The status and JSON body answering a profile request's raw body."""
    try:
        return 200, render(PROFILE_ROUTES[route](policies, parsed(raw)))
    except Invalid as exc:
        return exc.status, render(exc.to_json())


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def render(content: Any) -> bytes:
    """JSON with Chinese kept as written and exact decimals as strings."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=_jsonable).encode("utf-8")
