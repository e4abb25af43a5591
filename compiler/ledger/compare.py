"""One project evaluated under several policies side by side: what each city and level would give, by subject."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import attrs

from pol.compiler.check.validity import standing
from pol.compiler.evaluate.examples import OFFERED
from pol.compiler.ledger.policies import Policy, ProfileError
from pol.compiler.runtime import FEN, ClauseResult, Evaluation, FactsError, few, format_money, unknown_field
from pol.dsl import ast

PROJECT_FIELDS = ("project", "description", "as_of", "facts", "policies")


@attrs.frozen
class Project:
    """A project or product described once, with facts in each policy's own words where they differ."""

    name: str
    description: str
    as_of: datetime.date | None
    facts: dict[str, Any]  # given to every policy that has an input of that name
    by_policy: dict[str, dict[str, Any]]  # given to one policy only


def read_project(raw: Any, policies: dict[str, Policy]) -> Project:
    """Check a project file's shape; raises ProfileError naming every problem by its place in the file."""
    if not isinstance(raw, dict):
        raise ProfileError([f"the project must be an object, got {type(raw).__name__}"])
    problems = [
        f"{key}: not a field of a project ({', '.join(PROJECT_FIELDS)})" for key in raw if key not in PROJECT_FIELDS
    ]
    as_of = None
    if raw.get("as_of") is not None:
        try:
            as_of = datetime.date.fromisoformat(str(raw["as_of"]))
        except ValueError:
            problems.append(f"as_of: expected a date such as 2022-06-30, got {raw['as_of']!r}")
    facts = raw.get("facts", {})
    if not isinstance(facts, dict):
        problems.append("facts: expected an object of facts")
        facts = {}
    by_policy = raw.get("policies", {})
    if not isinstance(by_policy, dict):
        problems.append("policies: expected an object of facts for each policy, by its file name")
        by_policy = {}
    for key, own in by_policy.items():
        if key not in policies:
            problems.append(f"policies.{key}: not one of the policies compared ({', '.join(policies)})")
        elif not isinstance(own, dict):
            problems.append(f"policies.{key}: expected an object of facts")
        else:
            inputs = policies[key].module.INPUTS
            problems += [
                f"policies.{key}.{name}: {key} has no input of that name" for name in own if name not in inputs
            ]
    # A shared fact no policy compared reads would show as 0元 in every column: a misspelling, refused as
    # eval and eval-profile refuse it.
    known = {name for pol in policies.values() for name in pol.module.INPUTS}
    problems += [
        unknown_field(name, known, "not an input of any of the policies compared", n)
        for n, name in enumerate(k for k in facts if k not in known)
    ]
    if problems:
        raise ProfileError(few(problems))
    return Project(
        str(raw.get("project", "")),
        str(raw.get("description", "")),
        as_of,
        facts,
        {k: v for k, v in by_policy.items() if isinstance(v, dict)},
    )


@attrs.frozen
class Cell:
    """One clause's outcome in one column of the comparison."""

    clause: ast.Clause
    result: ClauseResult

    @property
    def reference(self) -> str:
        return self.clause.article or self.clause.id

    @property
    def value(self) -> Decimal | None:
        """The amount that ranks this cell against the other policies: what is granted, or the most."""
        r = self.result
        return r.amount if r.status == "granted" else r.max_amount

    @property
    def text(self) -> str:
        r = self.result
        if r.status == "granted" and r.amount is not None:
            return f"应得 {format_money(r.amount)}"
        if r.status == "discretionary" and r.min_amount is not None and r.max_amount is not None:
            return f"{format_money(r.min_amount)}至{format_money(r.max_amount)}"
        if r.status == "discretionary" and r.max_amount is not None:
            return f"最高 {format_money(r.max_amount)}"
        if r.status == "case_by_case":
            return "一事一议" + (f"，最高 {format_money(r.max_amount)}" if r.max_amount is not None else "")
        return "尚缺：" + "、".join(r.missing)


@attrs.frozen
class Column:
    """One policy's evaluation of the project."""

    policy: Policy
    evaluation: Evaluation
    standing: str  # 现行有效, 已失效（…）, 征求意见稿 … on the comparison's date

    @property
    def label(self) -> str:
        """A short column heading: the region and level (苏州市（市级）), or the title when the policy names none."""
        p = self.policy
        return f"{p.region}（{p.level}）" if p.region and p.level else p.region or p.title

    def cells(self, row: str) -> list[Cell]:
        return [c for c in self.all_cells() if _row_of(c.clause) == row]

    def shown(self, row: str) -> list[tuple[Cell, int]]:
        """The row's cells as shown: cells that read the same (two clauses of one article) once, with a count."""
        out: dict[tuple[str, str], list[Cell]] = {}
        for c in self.cells(row):
            out.setdefault((c.text, c.reference), []).append(c)
        return [(cells[0], len(cells)) for cells in out.values()]

    def all_cells(self) -> list[Cell]:
        out = []
        for r in self.evaluation.results:
            clause = self.policy.clause(r.id)
            assert clause is not None
            if r.status in OFFERED or r.status == "needs_facts":
                out.append(Cell(clause, r))
        return out


def times(count: int) -> str:
    """What follows an article when several of its clauses read the same in one cell."""
    return f"，共 {count} 项" if count > 1 else ""


def _row_of(clause: ast.Clause) -> str:
    """Clauses that pay for the same thing share a row: their subject, or else their own title."""
    return clause.subject.id if clause.subject else (clause.title.value if clause.title else clause.id)


@attrs.frozen
class Comparison:
    """The project's outcome under each policy, grouped into rows by what is paid for."""

    project: Project
    as_of: datetime.date
    columns: list[Column]

    @property
    def rows(self) -> list[str]:
        """Each subject some policy offers something for, in the order first met."""
        seen: dict[str, None] = {}
        for col in self.columns:
            for cell in col.all_cells():
                if cell.result.status in OFFERED:
                    seen.setdefault(_row_of(cell.clause))
        return list(seen)

    def best(self, row: str) -> Decimal | None:
        """The largest amount any policy gives in a row, when two or more policies give one."""
        tops = [
            max(values) for col in self.columns if (values := [c.value for c in col.cells(row) if c.value is not None])
        ]
        return max(tops) if len(tops) > 1 else None

    def unmatched(self, col: Column) -> int:
        """How many of a policy's clauses outside the rows still lack facts."""
        rows = set(self.rows)
        return sum(1 for c in col.all_cells() if c.result.status == "needs_facts" and _row_of(c.clause) not in rows)

    def to_json(self) -> dict[str, Any]:
        def money(v: Decimal | None) -> str | None:
            return None if v is None else str(v.quantize(FEN))

        return {
            "project": self.project.name,
            "as_of": self.as_of.isoformat(),
            "policies": [
                {
                    "policy": c.policy.key,
                    "title": c.policy.title,
                    "standing": c.standing,
                    "determined": money(c.evaluation.determined),
                    "maximum": money(c.evaluation.maximum),
                }
                for c in self.columns
            ],
            "rows": [
                {
                    "subject": row,
                    "cells": {
                        c.policy.key: [
                            {
                                "clause": cell.clause.id,
                                "article": cell.clause.article,
                                "status": cell.result.status,
                                "amount": money(cell.result.amount),
                                "max_amount": money(cell.result.max_amount),
                                "text": cell.text,
                            }
                            for cell in c.cells(row)
                        ]
                        for c in self.columns
                    },
                }
                for row in self.rows
            ],
        }


def compare(raw: Any, policies: dict[str, Policy], as_of: datetime.date | None = None) -> Comparison:
    """Evaluate one project under each policy, in the order given; `as_of` overrides the project's own date."""
    project = read_project(raw, policies)
    day = as_of or project.as_of or datetime.date.today()
    columns, problems = [], []
    for key, pol in policies.items():
        given = {**{k: v for k, v in project.facts.items() if k in pol.module.INPUTS}, **project.by_policy.get(key, {})}
        try:
            evaluation = pol.module.evaluate(given, as_of=day)
        except FactsError as exc:
            problems += [f"{key}: {p}" for p in exc.problems]
            continue
        columns.append(Column(pol, evaluation, standing(pol.policy.header, day).label))
    if problems:
        raise ProfileError(problems)
    return Comparison(project, day, columns)
