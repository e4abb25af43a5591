"""`pol match`: every clause an enterprise may qualify for on a day, and what is missing to know."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import attrs

from pol.compiler.check import validity
from pol.compiler.ledger.entries import fen_text
from pol.compiler.ledger.policies import Policy, ProfileError
from pol.compiler.ledger.profile import read_profile
from pol.compiler.runtime import (
    OUT_OF_FORCE,
    FactsError,
)
from pol.dsl import ast


@attrs.frozen
class Match:
    """A clause the enterprise may qualify for, what is still missing, and whether data alone decides it."""

    policy: Policy
    clause: ast.Clause
    status: str
    amount: Decimal | None
    missing: tuple[str, ...]

    @property
    def automatic(self) -> bool:
        """免申即享: the facts decide eligibility and the amount, with no review of a maximum or a range."""
        return self.status == "granted" and self.clause.grant is not None and self.clause.grant.mode == "exact"

    @property
    def verdict(self) -> str:
        if self.status == "needs_facts":
            return "尚缺信息：" + "、".join(self.missing)
        if self.automatic:
            return "可免申即享：数据齐全，金额可直接计算"
        if self.status == "granted":
            return "符合条件"
        return "可能符合：需申请，由主管部门审定金额"

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy.key,
            "clause": self.clause.id,
            "article": self.clause.article,
            "status": self.status,
            "amount": None if self.amount is None else fen_text(self.amount),
            "missing": list(self.missing),
            "automatic": self.automatic,
            "verdict": self.verdict,
        }


def match(raw: Any, policies: dict[str, Policy], as_of: datetime.date, item: str | None = None) -> list[Match]:
    """Every clause in force on `as_of`, in the enterprise's regions, that it (or one of its items) may qualify for."""
    profile = read_profile(raw, policies)
    if item is not None and item not in profile.items:
        raise ProfileError([f"--item: {item!r} is not one of the profile's items ({', '.join(sorted(profile.items))})"])
    merged = {**profile.facts, **(profile.items.get(item, {}) if item else {})}
    found: list[Match] = []
    for pol in policies.values():
        if not profile.covers(pol):
            continue
        if validity.outside(pol.policy.header, as_of) is not None or pol.policy.header.get("status") == "征求意见稿":
            continue
        mine = {k: v for k, v in merged.items() if k in pol.module.INPUTS}
        try:
            evaluation = pol.module.evaluate(mine, as_of=as_of)
        except FactsError as exc:
            raise ProfileError([f"facts ({pol.key}): {p}" for p in exc.problems]) from None
        for result in evaluation.results:
            if result.status in ("not_eligible", *OUT_OF_FORCE):
                continue
            clause = pol.clause(result.id)
            assert clause is not None
            amount = result.amount if result.status == "granted" else result.max_amount
            found.append(Match(pol, clause, result.status, amount, tuple(result.missing)))
    return found
