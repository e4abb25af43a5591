"""Tier tables over every set of facts: no value between two tiers in neither (POL703), no two bands sharing one (POL303)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs
import z3

from pol.compiler import ir
from pol.compiler.drafting.prove.findings import Finding, literal, solve
from pol.compiler.drafting.prove.smt import SCALE, Facts, Translator
from pol.compiler.ir import inputs_in
from pol.dsl.diagnostics import T

if TYPE_CHECKING:
    from pol.compiler.drafting.prove.prover import Prover


def tiers(prover: Prover, clause: ir.Clause) -> Iterator[Finding]:
    found = list(tiers_in((clause.grant, clause.caps)))
    if not found:
        yield Finding(clause.id, "POL703", "proved", T("没有分档", "no tiers"), line=clause.line)
        yield Finding(clause.id, "POL303", "proved", T("没有分档", "no tiers"), line=clause.line)
        return
    for node in found:
        yield gap(prover, clause, node)
        yield overlap(prover, clause, node)


def _holds(prover: Prover, t: Translator, tier: ir.Tier) -> Any:
    c = t.expr(tier.condition)
    return z3.And(c.defined, c.value)


def overlap(prover: Prover, clause: ir.Clause, node: ir.Tiers) -> Finding:
    a = Facts(prover.program, "a")
    t = Translator(a)
    for i, lower in enumerate(node.tiers):
        for upper in node.tiers[i + 1 :]:
            hi, lo = _holds(prover, t, upper), _holds(prover, t, lower)
            # Only a band (a tier with an upper bound, false where a higher one holds) can overlap by mistake;
            # thresholds (以上 each) overlap by design, the highest one paying.
            band, _ = solve(prover.timeout, *a.bounds, hi, z3.Not(lo))
            if band != "sat":
                continue
            verdict, model = solve(prover.timeout, *a.bounds, hi, lo)
            if verdict == "sat" and model is not None:
                facts = a.read(model)
                return Finding(
                    clause.id,
                    "POL303",
                    "broken",
                    T(
                        f"第{lower.number}档（{lower.text}）与第{upper.number}档（{upper.text}）同时适用于以下事实，"
                        "按最高一档计；请核对原文的以上、以下、超过、不满",
                        f"tier {lower.number} ({lower.text}) and tier {upper.number} ({upper.text}) both apply to these "
                        "facts, and the higher is paid; check the original's 以上, 以下, 超过, 不满",
                    ),
                    prover.example(clause, facts, "两档同时适用"),
                    node.line,
                )
    return Finding(clause.id, "POL303", "proved", T("已证明", "proved"), line=node.line)


def gap(prover: Prover, clause: ir.Clause, node: ir.Tiers) -> Finding:
    """A value of one quantity between two that fall in a tier, itself in none, the other facts the same."""
    keys = sorted(set().union(*(inputs_in(t.condition) for t in node.tiers)) & set(prover.inputs))
    for key in [k for k in keys if prover.inputs[k].kind in SCALE]:
        sets = [Facts(prover.program, tag) for tag in ("a", "g", "b")]
        ts = [Translator(f) for f in sets]
        a, g, b = sets
        same = [x.vars[n] == g.vars[n] for x in (a, b) for n in g.vars if n != key]
        held = [z3.Or(*[_holds(prover, t, tier) for tier in node.tiers]) for t in ts]
        conditions = [z3.And(c.defined, c.value) for c in (ts[1].expr(c.expr) for c in clause.conditions)]
        verdict, model = solve(
            prover.timeout, *a.bounds, *g.bounds, *b.bounds, *same, a.vars[key] < g.vars[key],
            g.vars[key] < b.vars[key], held[0], z3.Not(held[1]), held[2], *conditions,
        )  # fmt: skip
        if verdict == "unknown":
            return prover.undecided(clause, "POL703", node.line)
        if verdict == "sat" and model is not None:
            facts = g.read(model)
            value = literal(prover.inputs[key], facts[key])
            return Finding(
                clause.id,
                "POL703",
                "broken",
                T(
                    f"{key} 为 {value} 时不属于任何一档，而更少和更多时都有档可依；请核对原文的以上、以下、超过、不满",
                    f"{key} = {value} falls in no tier, while less and more both do; check the original's 以上, 以下, 超过, 不满",
                ),
                prover.example(clause, facts, f"{key} {value} 落在两档之间"),
                node.line,
            )
    return Finding(clause.id, "POL703", "proved", T("已证明", "proved"), line=node.line)


def tiers_in(node: Any) -> Iterator[ir.Tiers]:
    if isinstance(node, ir.Tiers):
        yield node
    if isinstance(node, tuple):
        for n in node:
            yield from tiers_in(n)
    elif attrs.has(type(node)):
        for f in attrs.fields(type(node)):
            yield from tiers_in(getattr(node, f.name))
