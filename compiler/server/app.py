"""The Starlette application of `pol serve`: routes, request reading, errors as 422 with fields, reload."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import re
import signal
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio.to_thread
import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pol import __version__
from pol.api import FactsError, PolicyError, PolicySet, ProfileError, UnknownClauseError, load
from pol.compiler.jsonfile import DuplicateField, loads
from pol.compiler.runtime import ISO_DATE, shown_name
from pol.compiler.server.openapi import document

log = logging.getLogger("pol.serve")

STATIC = Path(__file__).resolve().parent / "static"
# No real request comes near this: a profile of a large enterprise is a few kilobytes.
MAX_BODY_BYTES = 1024 * 1024
# A profile's problem begins with the path of the field it is about: `events[2].date: …`, `facts.企业类型 (label): …`.
_PATH_PREFIX = re.compile(r"^([^\s:(]+)(?: \([^)]*\))?: ", re.S)


class Invalid(Exception):
    """A request that does not fit: each problem with the field it is about."""

    def __init__(self, detail: str, errors: Sequence[tuple[str | None, str]], status: int = 422):
        super().__init__(detail)
        self.detail, self.errors, self.status = detail, list(errors), status


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


class Json(JSONResponse):
    """JSON with Chinese kept as written."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=_jsonable).encode("utf-8")


@attrs.frozen
class Loaded:
    """One consistent generation of the service's policies and the OpenAPI document describing them."""

    policies: PolicySet
    openapi: dict[str, Any]
    generation: int
    loaded_at: str


class Service:
    """The policies the service answers from; a reload swaps in a whole new generation or keeps the old one."""

    def __init__(self, paths: Sequence[str]):
        self.paths = list(paths)
        self.current = self._load(1)

    def _load(self, generation: int) -> Loaded:
        policies = load(*self.paths)
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        return Loaded(policies, document(policies), generation, stamp)

    async def reload(self) -> str | None:
        """Load the policies again off the event loop and swap them in; the problem, if they do not check."""
        try:
            fresh = await anyio.to_thread.run_sync(self._load, self.current.generation + 1)
        except (PolicyError, ProfileError, OSError) as exc:
            log.error("reload refused, still serving generation %d: %s", self.current.generation, exc)
            return str(exc)
        # One assignment: a request in flight keeps the generation it started with.
        self.current = fresh
        log.info("reloaded: generation %d, %d policies", fresh.generation, len(fresh.policies))
        return None


async def _body(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object, read up to `limit` bytes, with exact decimals and no duplicate fields."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Invalid(f"the request body is larger than {limit} bytes", [(None, "too large")], 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Invalid(f"the request body is larger than {limit} bytes", [(None, "too large")], 413)
        chunks.append(chunk)
    try:
        value = loads(b"".join(chunks).decode("utf-8"))
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


def _policy_json(policy: Any, today: datetime.date) -> dict[str, Any]:
    standing = policy.standing(today)
    return {
        "key": policy.key,
        "name": policy.name,
        "title": policy.title,
        "status": standing.label,
        "in_force": standing.in_force,
        "period": standing.period,
        "effective": policy.effective,
        "expires": policy.expires,
        "clauses": [
            {"id": c.id, "article": c.article, "title": c.title, "beneficiary": c.beneficiary, "support": c.support}
            for c in policy.clauses
        ],
    }


def create_app(paths: Sequence[str], max_body: int = MAX_BODY_BYTES, reload_on_sighup: bool = False) -> Starlette:
    """The application serving the policies at `paths`; PolicyError if they do not check."""
    service = Service(paths)

    def policy_of(request: Request) -> Any:
        key = request.path_params["key"]
        policies = service.current.policies
        if key not in policies:
            raise Invalid(f"no policy {key!r}", [("key", f"the policies are {', '.join(policies)}")], 404)
        return policies[key]

    async def health(request: Request) -> Response:
        cur = service.current
        return Json(
            {
                "status": "ok",
                "version": __version__,
                "generation": cur.generation,
                "loaded_at": cur.loaded_at,
                "policies": list(cur.policies),
            }
        )

    async def list_policies(request: Request) -> Response:
        today = datetime.date.today()
        return Json([_policy_json(p, today) for p in service.current.policies.values()])

    async def get_policy(request: Request) -> Response:
        return Json(_policy_json(policy_of(request), datetime.date.today()))

    async def get_schema(request: Request) -> Response:
        return Json(policy_of(request).schema())

    async def evaluate(request: Request) -> Response:
        policy = policy_of(request)
        body = await _body(request, max_body)
        _fields(body, ("facts", "clauses", "as_of"), ("facts",))
        facts = _object(body, "facts")
        clauses = body.get("clauses")
        if clauses is not None and not (isinstance(clauses, list) and all(isinstance(c, str) for c in clauses)):
            raise Invalid("clauses must be a list of clause ids", [("clauses", "expected a list of strings")])
        as_of = _date(body, None)
        # Unknown clauses and bad facts are reported together, so one round trip shows every problem.
        known = [c.id for c in policy.clauses]
        errors: list[tuple[str | None, str]] = [
            (f"clauses[{i}]", str(UnknownClauseError(cid, known, policy.name)))
            for i, cid in enumerate(clauses or ())
            if cid not in known
        ]
        try:
            ev = policy.evaluate(facts, clauses=clauses if not errors else (), as_of=as_of)
        except FactsError as exc:
            errors += [
                (f"facts.{f}" if f is not None else "facts", p) for f, p in zip(exc.fields, exc.problems, strict=False)
            ]
        if errors:
            raise Invalid("the request does not fit the policy", errors)
        return Json(ev.to_json())

    async def match(request: Request) -> Response:
        body = await _body(request, max_body)
        _fields(body, ("profile", "as_of", "item"), ("profile",))
        as_of = _date(body, datetime.date.today())
        assert as_of is not None
        item = body.get("item")
        if item is not None and not isinstance(item, str):
            raise Invalid("item must be a string", [("item", "expected the name of one of the profile's items")])
        try:
            found = service.current.policies.match(_object(body, "profile"), as_of=as_of, item=item)
        except ProfileError as exc:
            raise _profile_errors(exc, "profile") from None
        return Json({"as_of": as_of.isoformat(), "matches": [m.to_json() for m in found]})

    async def eval_profile(request: Request) -> Response:
        body = await _body(request, max_body)
        _fields(body, ("profile", "as_of"), ("profile",))
        as_of = _date(body, None)
        try:
            ledger = service.current.policies.evaluate_profile(_object(body, "profile"), as_of=as_of)
        except ProfileError as exc:
            raise _profile_errors(exc, "profile") from None
        return Json({"as_of": as_of.isoformat() if as_of else None, **ledger.to_json()})

    async def compare(request: Request) -> Response:
        body = await _body(request, max_body)
        _fields(body, ("project", "as_of"), ("project",))
        as_of = _date(body, None)
        project = _object(body, "project")
        named = project.get("policies")
        policies = service.current.policies
        if isinstance(named, dict) and all(k in policies for k in named):
            policies = PolicySet(policies[k] for k in named)  # the project's policies, in its order
        try:
            comparison = policies.compare(project, as_of=as_of)
        except ProfileError as exc:
            raise _profile_errors(exc, "project") from None
        return Json(comparison.to_json())

    async def openapi(request: Request) -> Response:
        return Json(service.current.openapi)

    async def reference(request: Request) -> Response:
        return HTMLResponse(REFERENCE_PAGE)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Invalid)
        return Json(
            {"detail": exc.detail, "errors": [{"field": f, "message": m} for f, m in exc.errors]},
            status_code=exc.status,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return Json({"detail": exc.detail, "errors": []}, status_code=exc.status_code, headers=exc.headers)

    async def internal(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return Json(
            {"detail": "internal error: this is a bug in pol, not in the request", "errors": []}, status_code=500
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if reload_on_sighup:  # `kill -HUP` reloads the policies; requests keep being answered meanwhile
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(service.reload()))
        yield

    routes = [
        Route("/health", health),
        Route("/policies", list_policies),
        Route("/policies/{key}", get_policy),
        Route("/policies/{key}/schema", get_schema),
        Route("/policies/{key}/evaluate", evaluate, methods=["POST"]),
        Route("/match", match, methods=["POST"]),
        Route("/eval-profile", eval_profile, methods=["POST"]),
        Route("/compare", compare, methods=["POST"]),
        Route("/openapi.json", openapi),
        Route("/docs", reference),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={Invalid: invalid, HTTPException: http_error, Exception: internal},
    )
    app.state.service = service
    return app


# Swagger UI (vendored in static/, Apache-2.0) reading the service's own document: nothing is fetched from
# elsewhere, and the validator badge, which would call validator.swagger.io, is off.
REFERENCE_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pol HTTP API</title>
<link rel="stylesheet" href="static/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="static/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", validatorUrl: null, deepLinking: true});
</script>
</body>
</html>
"""
