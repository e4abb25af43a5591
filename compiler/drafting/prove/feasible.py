"""Whether any facts exercise a part of a clause: what `pol test --coverage` leaves out when none can."""

from __future__ import annotations

from typing import Any

import z3

from pol.compiler import ir
from pol.compiler.drafting.prove.findings import TIMEOUT_MS, solve
from pol.compiler.drafting.prove.smt import Facts, Translator, Unsupported, clause_terms


def feasible(
    program: ir.Program, clause: ir.Clause, event: tuple[Any, ...], timeout_ms: int = TIMEOUT_MS
) -> bool | None:
    """Whether any facts exercise this part of a clause (coverage.Gap.event): False when proved impossible, None
    when undecided."""
    facts = Facts(program, "a")
    t = Translator(facts)
    try:
        terms = clause_terms(clause, t)
        conditions = [t.expr(c.expr) for c in clause.conditions]
        met = [z3.And(c.defined, c.value) for c in conditions]
        match event:
            case ("cond", index, holds):
                c = conditions[index]
                asked = [c.defined, c.value if holds else z3.Not(c.value)]
            case ("tier", node, number):
                held = {
                    tier.number: z3.And(*(lambda c: (c.defined, c.value))(t.expr(tier.condition)))
                    for tier in node.tiers
                }
                if number is None:
                    asked = [*met, z3.Not(z3.Or(*held.values()))]
                else:  # the highest tier that holds is this one
                    asked = [*met, held[number], *(z3.Not(h) for n, h in held.items() if n > number)]
            case ("row", node, keys):
                key = ir.Ref(node.key, node.key_unit)
                rows = [k for row in node.rows for k in row.keys]
                hit = [t._member(key, k) for k in (keys if keys is not None else rows)]
                asked = [*met, z3.Or(*hit) if keys is not None else z3.Not(z3.Or(*hit))]
            case ("cap", index, binds):
                limit = t.expr(clause.caps[index].value).value
                limit = z3.If(limit < 0, 0, limit)
                before = terms.before_caps[index]
                asked = [terms.grants, before > limit if binds else before <= limit]
            case _:
                return None
    except Unsupported:
        return None
    verdict, _ = solve(timeout_ms, *facts.bounds, *asked)
    return {"sat": True, "unsat": False}.get(verdict)
