"""The ledger's entries: one grant (or refusal) per event, where it came from, and how it was cut."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import attrs

from pol.compiler.ledger.policies import Policy
from pol.compiler.runtime import (
    FEN,
)
from pol.dsl import ast

ZERO = Decimal(0)


# How each ledger status is shown.
LEDGER_STATUS = {
    "granted": "应得",
    "discretionary": "最高（金额待主管部门审定）",
    "case_by_case": "一事一议",
    "not_eligible": "不符合条件",
    "needs_facts": "需补充信息",
    "expired": "政策已失效",
    "not_yet_effective": "政策尚未施行",
    "external": "已获（外部）",
}


@attrs.frozen
class Origin:
    """What a ledger entry is paid under: a clause of a bundled policy, or a grant the profile records from elsewhere."""

    name: str  # how explanations name it: the policy's title and article, or where the grant came from
    subject: str | None
    region: str | None
    level: str | None  # 国家级, 省级, 市级, 区级 or 县级
    exclusive: str | None  # the reason, when the grant may not be combined with another for the same thing
    best_only: bool  # 从优就高不重复 with grants of the same region
    policy: Policy | None = None  # None for a grant from outside the bundle
    clause: ast.Clause | None = None

    @classmethod
    def of_clause(cls, pol: Policy, clause: ast.Clause) -> Origin:
        return cls(
            name=f"{pol.title}{' ' + clause.article if clause.article else ''}",
            subject=clause.subject.id if clause.subject else None,
            region=pol.region,
            level=pol.level,
            exclusive=(clause.exclusive.value or "不可重复享受") if clause.exclusive is not None else None,
            best_only=pol.best_only,
            policy=pol,
            clause=clause,
        )

    def is_clause(self, pol: Policy, clause_ids: set[str] | None = None) -> bool:
        """Whether this is one of `pol`'s clauses (any of them when `clause_ids` is None)."""
        return self.policy is pol and self.clause is not None and (clause_ids is None or self.clause.id in clause_ids)


@attrs.define
class Entry:
    """One line of the ledger: an event evaluated under one clause, what it would give and what it gets."""

    index: int  # the event's position in the profile (in `received` for a grant from elsewhere)
    date: datetime.date
    origin: Origin
    item: str | None
    status: str  # granted | discretionary | case_by_case | not_eligible | needs_facts | expired | not_yet_effective | external
    computed: Decimal  # what the clause gives on its own (a maximum when discretionary)
    amount: Decimal  # after stacking rules and limits
    explanation: list[str]
    cuts: list[str] = attrs.Factory(list)
    once_key: Any = None  # for a clause paid once per value of a fact (once by …), that fact's value
    quantities: dict[str, Decimal] = attrs.Factory(dict)  # facts that `received … of` sums over grants
    seq: int = 0  # its place in the ledger, set when it is added

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def subject(self) -> str | None:
        return self.origin.subject

    @property
    def counts(self) -> bool:
        """Whether the entry is money the enterprise has or may get, so later rules must see it."""
        return self.status in ("granted", "discretionary", "external") and self.amount > 0

    def to_json(self) -> dict[str, Any]:
        o = self.origin
        return {
            "event": self.index if o.policy is not None else None,
            "received": self.index if o.policy is None else None,
            "date": self.date.isoformat(),
            "year": self.year,
            "policy": o.policy.key if o.policy else None,
            "clause": o.clause.id if o.clause else None,
            "article": o.clause.article if o.clause else None,
            "source": o.name if o.policy is None else None,
            "item": self.item,
            "subject": self.subject,
            "status": self.status,
            "computed": fen_text(self.computed),
            "amount": fen_text(self.amount),
            "cuts": list(self.cuts),
            "explanation": list(self.explanation),
        }


@attrs.frozen
class Clawback:
    """A grant whose obligation (承诺) a later change broke within its term: the amount to be recovered."""

    entry: Entry
    date: datetime.date  # the day the facts first broke it
    promise: str  # what was promised, in Chinese
    amount: Decimal

    def to_json(self) -> dict[str, Any]:
        o = self.entry.origin
        return {
            "event": self.entry.index,
            "policy": o.policy.key if o.policy else None,
            "clause": o.clause.id if o.clause else None,
            "granted_on": self.entry.date.isoformat(),
            "broken_on": self.date.isoformat(),
            "promise": self.promise,
            "amount": fen_text(self.amount),
        }


@attrs.define
class Ledger:
    """Every event of a profile, in date order, with the amount each gets after the combination rules, and the
    grants to claw back because a promise was broken."""

    enterprise: str
    entries: list[Entry]
    clawbacks: list[Clawback] = attrs.Factory(list)

    def years(self) -> list[int]:
        return sorted({e.year for e in self.entries})

    def total(self, year: int, status: str) -> Decimal:
        return sum((e.amount for e in self.entries if e.year == year and e.status == status), ZERO)

    def to_json(self) -> dict[str, Any]:
        return {
            "enterprise": self.enterprise,
            "entries": [e.to_json() for e in self.entries],
            "clawbacks": [c.to_json() for c in self.clawbacks],
            "years": {
                str(y): {
                    "granted": fen_text(self.total(y, "granted")),
                    "discretionary_maximum": fen_text(self.total(y, "discretionary")),
                }
                for y in self.years()
            },
        }


def fen_text(value: Decimal) -> str:
    """Money in JSON as the evaluators write it: a string of 元 with two decimals."""
    return str(value.quantize(FEN))
