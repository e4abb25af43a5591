"""Reforms: a policy's figures changed (a rate, a cap, a threshold), checked like a policy and applied to its lowered form."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from pol.compiler import ir
from pol.compiler.runtime import format_quantity
from pol.dsl.units import UnitError, parse_quantity


class ReformError(ValueError):
    """A reform that does not fit the policy; `problems` name each bad change by where it was given."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@attrs.frozen
class Change:
    """One figure of one clause changed: `figure` is `rate`, `cap`, or a figure as printed (`40%`, `3000万`)."""

    clause: str
    figure: str
    to: str
    where: str  # how the reform names it, for messages: "--set 创新药研发.rate=30%", "change[1]"


def parse_set(text: str) -> Change:
    """`创新药研发.rate=30%` or `创新药研发.40%=30%`."""
    target, sep, to = text.partition("=")
    clause, dot, figure = target.partition(".")
    if not sep or not dot or not clause or not figure or not to:
        raise ReformError([f"--set {text}: write CLAUSE.FIGURE=VALUE, as in 创新药研发.rate=30% or 创新药研发.40%=30%"])
    return Change(clause.strip(), figure.strip(), to.strip(), f"--set {text}")


def read_reform(path: Path) -> tuple[str, list[Change]]:
    """A reform file: `title = "…"` and `[[change]]` tables of clause, figure and to."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ReformError([f"{path}: {exc}"]) from None
    changes, problems = [], []
    for i, c in enumerate(data.get("change", []), start=1):
        if not isinstance(c, dict) or not all(isinstance(c.get(k), str) for k in ("clause", "figure", "to")):
            problems.append(f"{path}: change[{i}] needs clause, figure and to, each a string")
            continue
        changes.append(Change(c["clause"], c["figure"], c["to"], f"{path.name} change[{i}]"))
    if problems:
        raise ReformError(problems)
    return str(data.get("title", path.stem)), changes


def _replace(node: Any, match: Any, new: ir.Const, counter: list[int]) -> Any:
    """`node` with every constant for which `match` holds replaced by `new`; `counter[0]` counts them."""
    if isinstance(node, ir.Const):
        if match(node):
            counter[0] += 1
            return new
        return node
    if isinstance(node, tuple):
        return tuple(_replace(n, match, new, counter) for n in node)
    if attrs.has(type(node)):
        changes = {f.name: _replace(getattr(node, f.name), match, new, counter) for f in attrs.fields(type(node))}
        return attrs.evolve(node, **changes)
    return node


def apply(program: ir.Program, changes: list[Change]) -> ir.Program:
    """The program with the changes applied; ReformError names every change that does not fit."""
    problems = []
    clauses = {c.id: c for c in program.clauses}
    for ch in changes:
        clause = clauses.get(ch.clause)
        if clause is None:
            problems.append(f"{ch.where}: {program.title} has no clause {ch.clause}")
            continue
        try:
            value, unit = parse_quantity(ch.to)
        except UnitError as exc:
            problems.append(f"{ch.where}: {exc}")
            continue
        new_unit = (unit.kind, unit.currency, unit.area)
        counter = [0]
        if ch.figure == "rate":
            parts: dict[str, Any] = {"grant": clause.grant}
            match = lambda k: k.unit[0] == "ratio"  # noqa: E731
        elif ch.figure == "cap":  # the caps stated as a figure, not read from a table by category
            parts = {"caps": tuple(c for c in clause.caps if c.worked)}
            match = lambda k: isinstance(k.value, Decimal) and k.unit[0] == "money"  # noqa: E731
        else:
            try:
                old, old_unit = parse_quantity(ch.figure)
            except UnitError as exc:
                problems.append(f"{ch.where}: {exc}")
                continue
            parts = {
                "conditions": clause.conditions,
                "grant": clause.grant,
                "caps": clause.caps,
                "offsets": clause.offsets,
            }

            def match(
                k: ir.Const, old: Decimal = old, u: tuple[Any, ...] = (old_unit.kind, old_unit.currency, old_unit.area)
            ) -> bool:
                return isinstance(k.value, Decimal) and k.value == old and k.unit == u

        found = [k for k in _constants(parts) if match(k)]
        if not found:
            problems.append(f"{ch.where}: clause {ch.clause} has no figure '{ch.figure}' to change")
            continue
        if any(k.unit != new_unit for k in found):
            problems.append(
                f"{ch.where}: '{ch.to}' is not of the same kind as the figure it replaces ({found[0].unit[0]})"
            )
            continue
        new = ir.Const(value, new_unit)
        if ch.figure == "cap":
            caps = tuple(_replace(c, match, new, counter) if c.worked else c for c in clause.caps)
            changed = attrs.evolve(clause, caps=caps)
        else:
            changed = attrs.evolve(
                clause, **{name: _replace(part, match, new, counter) for name, part in parts.items()}
            )
        # The checker's rule for a policy holds for a reform of it: a share of money is at most the whole (POL203).
        over = [r for r in _shares(changed) if r > 1] if new_unit[0] == "ratio" else []
        if over:
            problems.append(
                f"{ch.where}: a rate of {format_quantity(over[0], 'ratio')} is above 100% (POL203): a grant "
                "cannot exceed the base it is a share of"
            )
            continue
        clauses[ch.clause] = changed
    if problems:
        raise ReformError(problems)
    return attrs.evolve(program, clauses=tuple(clauses[c.id] for c in program.clauses))


def _shares(node: Any) -> list[Decimal]:
    """The rates a clause multiplies money by: each constant rate beside money in a product."""
    found: list[Decimal] = []
    if isinstance(node, ir.Arith) and node.op == "*" and node.unit[0] in ("money", "money_per_area"):
        for side in (node.left, node.right):
            if isinstance(side, ir.Const) and side.unit[0] == "ratio" and isinstance(side.value, Decimal):
                found.append(side.value)
    if isinstance(node, tuple):
        return [r for n in node for r in _shares(n)]
    if attrs.has(type(node)):
        found += [r for f in attrs.fields(type(node)) for r in _shares(getattr(node, f.name))]
    return found


def _constants(node: Any) -> list[ir.Const]:
    if isinstance(node, ir.Const):
        return [node]
    if isinstance(node, dict):
        return [k for v in node.values() for k in _constants(v)]
    if isinstance(node, tuple):
        return [k for n in node for k in _constants(n)]
    if attrs.has(type(node)):
        return [k for f in attrs.fields(type(node)) for k in _constants(getattr(node, f.name))]
    return []
