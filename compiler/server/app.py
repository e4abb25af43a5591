"""The Starlette application of `pol serve`: routes, request reading, errors as 422 with fields, reload."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pol import __version__
from pol.api import FactsError, PolicyError, PolicySet, ProfileError, UnknownClauseError, load
from pol.compiler.server.answers import Invalid, _date, _fields, _object, answer, parsed, render
from pol.compiler.server.openapi import document
from pol.compiler.server.workers import WorkerDied, Workers

log = logging.getLogger("pol.serve")
T = TypeVar("T")

STATIC = Path(__file__).resolve().parent / "static"
# No real request comes near this: a profile of a large enterprise is a few kilobytes.
MAX_BODY_BYTES = 1024 * 1024
# Seconds one request may take, from its arrival to its answer; a profile of a large enterprise takes milliseconds.
TIME_LIMIT = 10.0
# Light requests compute in threads, at most this many at once, so the event loop only reads, routes and
# writes; one past its time limit is answered 503 and its thread, left to end, keeps its place here meanwhile.
THREADS = 8
# A profile request with a body this large computes in a worker process (server/workers.py), when the server
# has them: a thread would slow every other answer while it computes, and could not be stopped at the limit.
HEAVY_BYTES = 64 * 1024


class Json(JSONResponse):
    """JSON with Chinese kept as written."""

    def render(self, content: Any) -> bytes:
        return render(content)


@attrs.frozen
class Loaded:
    """One consistent generation of the service's policies and the OpenAPI document describing them."""

    policies: PolicySet
    openapi: dict[str, Any]
    generation: int
    loaded_at: str


class Service:
    """The policies the service answers from; a reload swaps in a whole new generation or keeps the old one.

    With `processes`, heavy requests go to that many worker processes, started (and restarted on a reload)
    with the policies of the generation they serve.
    """

    def __init__(self, paths: Sequence[str], processes: int = 0):
        self.paths, self.processes = list(paths), processes
        self.current = self._load(1)
        self.workers: Workers | None = None
        self.reloading = anyio.Lock()

    def start_workers(self) -> None:
        if self.processes:
            self.workers = Workers(self.paths, self.processes)

    def stop_workers(self) -> None:
        if self.workers is not None:
            self.workers.close()
            self.workers = None

    def _load(self, generation: int) -> Loaded:
        policies = load(*self.paths)
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        return Loaded(policies, document(policies), generation, stamp)

    async def reload(self) -> str | None:
        """Load the policies again off the event loop and swap them in; the problem, if they do not check."""
        async with self.reloading:  # one at a time: two signals in a row make two generations, in order
            return await self._reload()

    async def _reload(self) -> str | None:
        try:
            fresh = await anyio.to_thread.run_sync(self._load, self.current.generation + 1)
            pool = await anyio.to_thread.run_sync(Workers, self.paths, self.processes) if self.processes else None
        except (PolicyError, ProfileError, OSError, WorkerDied) as exc:
            log.error("reload refused, still serving generation %d: %s", self.current.generation, exc)
            return str(exc)
        # One assignment: a request in flight keeps the generation it started with.
        self.current = fresh
        if pool is not None:
            old, self.workers = self.workers, pool
            if old is not None:
                old.close()
        log.info("reloaded: generation %d, %d policies", fresh.generation, len(fresh.policies))
        return None


async def _raw_body(request: Request, limit: int) -> bytes:
    """The request's body, read up to `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Invalid(f"the request body is larger than {limit} bytes", [(None, "too large")], 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Invalid(f"the request body is larger than {limit} bytes", [(None, "too large")], 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_long(limit: float) -> Invalid:
    return Invalid(
        f"the request took longer than {limit:g} s; send a smaller profile or fewer clauses",
        [(None, "time limit")],
        503,
    )


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


def create_app(
    paths: Sequence[str],
    max_body: int = MAX_BODY_BYTES,
    reload_on_sighup: bool = False,
    time_limit: float = TIME_LIMIT,
    processes: int = 0,
) -> Starlette:
    """The application serving the policies at `paths`; PolicyError if they do not check."""
    service = Service(paths, processes)
    threads = anyio.CapacityLimiter(THREADS)

    async def computed(work: Callable[[], T], deadline: float) -> T:
        """The work's result, computed in a thread by the deadline; 503 past it (the thread is left to end)."""
        try:
            with anyio.fail_after(max(deadline - anyio.current_time(), 0)):
                return await anyio.to_thread.run_sync(work, abandon_on_cancel=True, limiter=threads)
        except TimeoutError:
            raise _too_long(time_limit) from None

    async def body_of(request: Request, deadline: float) -> dict[str, Any]:
        """The body's JSON object."""
        raw = await _raw_body(request, max_body)
        return await computed(lambda: parsed(raw), deadline)  # a megabyte of JSON takes a while

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
        deadline = anyio.current_time() + time_limit
        policy = policy_of(request)
        body = await body_of(request, deadline)
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
            ev = await computed(
                lambda: policy.evaluate(facts, clauses=clauses if not errors else (), as_of=as_of), deadline
            )
        except FactsError as exc:
            errors += [
                (f"facts.{f}" if f is not None else "facts", p) for f, p in zip(exc.fields, exc.problems, strict=False)
            ]
        if errors:
            raise Invalid("the request does not fit the policy", errors)
        return Json(ev.to_json())

    async def profile_route(request: Request, route: str) -> Response:
        """A request about a whole profile or project: in a worker process when its body is large."""
        deadline = anyio.current_time() + time_limit
        raw = await _raw_body(request, max_body)
        pool, policies = service.workers, service.current.policies
        if pool is not None and len(raw) >= HEAVY_BYTES:
            got = await pool.run(route, raw, deadline)
            if got is None:
                raise _too_long(time_limit)
        else:
            got = await computed(lambda: answer(policies, route, raw), deadline)
        status, payload = got
        return Response(payload, status, media_type="application/json")

    async def match(request: Request) -> Response:
        return await profile_route(request, "match")

    async def eval_profile(request: Request) -> Response:
        return await profile_route(request, "eval-profile")

    async def compare(request: Request) -> Response:
        return await profile_route(request, "compare")

    async def openapi(request: Request) -> Response:
        return Json(service.current.openapi)

    async def reference(request: Request) -> Response:
        return HTMLResponse(REFERENCE_PAGE)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Invalid)
        return Json(exc.to_json(), status_code=exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return Json({"detail": exc.detail, "errors": []}, status_code=exc.status_code, headers=exc.headers)

    async def disconnected(request: Request, exc: Exception) -> Response:
        # The client went away mid-body: nobody reads this answer, and it is no bug worth a traceback.
        log.info("client disconnected before sending the whole body of %s %s", request.method, request.url.path)
        return Response(status_code=400)

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
        await anyio.to_thread.run_sync(service.start_workers)
        try:
            yield
        finally:
            service.stop_workers()

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
        exception_handlers={
            Invalid: invalid,
            HTTPException: http_error,
            ClientDisconnect: disconnected,
            Exception: internal,
        },
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
