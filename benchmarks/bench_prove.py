"""`pol prove` on the bundled policies: how long it takes, and how many planted mistakes it catches beside the worked
examples.

Run: .venv/bin/python benchmarks/bench_prove.py [--per-operator N]
Each mutant is a copy of one bundled policy with one mistake planted in one clause, of the kinds drafting makes:
a threshold word swapped (以上 for 超过: `>=` for `>` and back), a band's bound made inclusive (`<` to `<=`, two tiers
now meeting), a cap dropped, a tier table reversed (the highest tier's amount given to the lowest), a condition
negated. A mutant the checker refuses is counted as caught by the checker; every other one is proved (a broken
property: caught by `pol prove`) and its worked examples run (one failing: caught by the examples).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pol.compiler.drafting import prove  # noqa: E402
from pol.compiler.evaluate.examples import run_examples  # noqa: E402
from pol.compiler.evaluate.pipeline import compile_text, load_evaluator, python_source  # noqa: E402
from pol.compiler.lower import lower  # noqa: E402

POLICIES = ROOT / "policies"
CLAUSE = re.compile(r"^clause (\S+) .*?\{$(.*?)^\}$", re.M | re.S)


def _one(pattern: str, replace: Callable[[re.Match[str]], str]) -> Callable[[str], Iterator[str]]:
    """A mutation operator: each match of the pattern in a clause's body, replaced, is one mutant of the body."""

    def mutants(body: str) -> Iterator[str]:
        for m in re.finditer(pattern, body, re.M):
            yield body[: m.start()] + replace(m) + body[m.end() :]

    return mutants


def _reverse_tiers(body: str) -> Iterator[str]:
    m = re.search(r"tiers \{\n(.*?)\n\s*\}", body, re.S)
    if m is None:
        return
    lines = m.group(1).split("\n")
    values = [line.rsplit(":", 1) for line in lines if ":" in line]
    if len(values) < 2 or len(values) != len(lines):
        return
    swapped = [f"{cond}:{values[-1 - i][1]}" for i, (cond, _) in enumerate(values)]
    yield body[: m.start(1)] + "\n".join(swapped) + body[m.end(1) :]


OPERATORS: dict[str, Callable[[str], Iterator[str]]] = {
    "以上/超过 swapped": _one(r"(?<=[\s(])(>=|>)(?=\s)", lambda m: ">" if m.group(1) == ">=" else ">="),
    # In a rule's line (not the original's): `收入 1亿元以上` (at least) made `收入 超过 1亿元` (more than).
    "以上 read as 超过": _one(
        r"^(\s*(?:when\s+)?[^\s\"]+ )([0-9][^\s:\"]*?)以上", lambda m: f"{m.group(1)}超过 {m.group(2)}"
    ),
    # `不满 5亿` (below) made `5亿以下` (at most): the boundary changes sides.
    "不满 read as 以下": _one(
        r"^(\s*(?:when\s+)?[^\s\"]+ )不满 ([0-9][^\s:\"]*)", lambda m: f"{m.group(1)}{m.group(2)}以下"
    ),
    "band bound made inclusive": _one(r"(?<=\s)<(?=\s)", lambda m: "<="),
    "cap dropped": _one(r"^\s*cap [^\n]*$(?<!per project)(?<!per year)", lambda m: ""),
    "tiers reversed": _reverse_tiers,
    "condition negated": _one(r"^(\s*when )(.+)$", lambda m: f"{m.group(1)}not ({m.group(2)})"),
}


def mutants(per_operator: int, seed: int = 7) -> Iterator[tuple[str, str, str, str]]:
    """(operator, policy, clause, mutated text), a sample of at most `per_operator` of each kind."""
    rng = random.Random(seed)
    for name, operator in OPERATORS.items():
        found = []
        for path in sorted(POLICIES.glob("*.pol")):
            text = path.read_text(encoding="utf-8")
            for clause in CLAUSE.finditer(text):
                for body in operator(clause.group(2)):
                    found.append((path.name, clause.group(1), text[: clause.start(2)] + body + text[clause.end(2) :]))
        for policy, clause, mutated in rng.sample(found, min(per_operator, len(found))):
            yield name, policy, clause, mutated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-operator", type=int, default=20)
    args = parser.parse_args()

    started = time.perf_counter()
    clauses = properties = 0
    for path in sorted(POLICIES.glob("*.pol")):
        compiled = compile_text(path.read_text(encoding="utf-8"), path.name)
        assert compiled.policy is not None
        module = load_evaluator(python_source(compiled))
        findings = list(prove.Prover(compiled.policy, lower(compiled.policy, path.name), module).findings())
        clauses += len({f.clause for f in findings})
        properties += sum(f.status == "proved" for f in findings)
    took = time.perf_counter() - started
    print(f"pol prove, the bundled policies: {properties} properties of {clauses} clauses proved in {took:.1f} s")

    tally: dict[str, Counter[str]] = {}
    for name, policy, _clause, text in mutants(args.per_operator):
        count = tally.setdefault(name, Counter())
        count["mutants"] += 1
        compiled = compile_text(text, policy)
        if not compiled.ok or compiled.policy is None:
            count["checker"] += 1
            continue
        module = load_evaluator(python_source(compiled))
        findings = prove.Prover(compiled.policy, lower(compiled.policy, policy), module, 2000).findings()
        by_prove = any(f.status == "broken" for f in findings)
        by_examples = any(not o.passed for o in run_examples(compiled.policy, module))
        count["prove"] += by_prove
        count["examples"] += by_examples
        count["either"] += by_prove or by_examples
    print(f"\n{'mistake planted':<28}{'mutants':>8}{'checker':>9}{'prove':>7}{'examples':>10}{'either':>8}")
    total: Counter[str] = Counter()
    for name, count in tally.items():
        total.update(count)
        print(
            f"{name:<28}{count['mutants']:>8}{count['checker']:>9}{count['prove']:>7}{count['examples']:>10}"
            f"{count['either']:>8}"
        )
    print(
        f"{'all':<28}{total['mutants']:>8}{total['checker']:>9}{total['prove']:>7}{total['examples']:>10}"
        f"{total['either']:>8}"
    )
    passed = total["mutants"] - total["checker"]
    if passed:
        print(
            f"\nof the {passed} mutants the checker accepts, pol prove catches {total['prove']} "
            f"({100 * total['prove'] / passed:.0f}%), the worked examples {total['examples']} "
            f"({100 * total['examples'] / passed:.0f}%), together {total['either']} ({100 * total['either'] / passed:.0f}%)"
        )


if __name__ == "__main__":
    main()
