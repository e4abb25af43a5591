"""`pol diff OLD NEW`: what changed between two versions of a policy, and what it does to the worked examples."""

from __future__ import annotations

from typing import Any

import attrs

from pol.compiler.checker import CheckedPolicy
from pol.compiler.examples import describe_result, example_date, example_facts
from pol.compiler.pipeline import Compiled, load_evaluator, python_source
from pol.compiler.runtime import FactsError, UnknownClauseError
from pol.compiler.site.prose import clause_reading

# The header fields a reader of a revision cares about, in Chinese.
HEADER_FIELDS = {
    "title": "标题",
    "number": "文号",
    "status": "状态",
    "effective": "施行日期",
    "expires": "截止日期",
    "term": "有效期",
    "level": "层级",
    "region": "地区",
}


@attrs.frozen
class Effect:
    """A worked example of the old version whose outcome the new version changes."""

    example: str
    before: str
    after: str


@attrs.frozen
class ClauseChange:
    clause: str
    article: str | None
    kind: str  # added, removed, changed
    before: str | None  # the clause's reading in the old version
    after: str | None
    effects: tuple[Effect, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "article": self.article,
            "kind": self.kind,
            "before": self.before,
            "after": self.after,
            "effects": [attrs.asdict(e) for e in self.effects],
        }


@attrs.frozen
class PolicyDiff:
    header: tuple[tuple[str, str, str], ...]  # (field in Chinese, before, after)
    clauses: tuple[ClauseChange, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "header": [{"field": f, "before": b, "after": a} for f, b, a in self.header],
            "clauses": [c.to_json() for c in self.clauses],
        }


def _reading(policy: CheckedPolicy, clause: Any) -> str:
    return clause_reading(policy, clause, inline_tables=True).sentence


def _outcome(module: Any, policy: CheckedPolicy, clause_id: str, facts: dict[str, Any]) -> str:
    try:
        result = module.evaluate(facts, as_of=example_date(policy), clauses=clause_id).results[0]
    except FactsError as exc:
        return "无法计算：" + "；".join(exc.problems)
    except UnknownClauseError:
        return "无此条款"
    return describe_result(result)


def diff(old: Compiled, new: Compiled) -> PolicyDiff:
    """The changes from `old` to `new` (both checked without errors): header, clauses, and examples' outcomes."""
    assert old.policy is not None and new.policy is not None
    before, after = old.policy, new.policy
    header = tuple(
        (label, str(before.header.get(key, "—")), str(after.header.get(key, "—")))
        for key, label in HEADER_FIELDS.items()
        if before.header.get(key) != after.header.get(key)
    )
    old_module = load_evaluator(python_source(old), "pol_diff_old")
    new_module = load_evaluator(python_source(new), "pol_diff_new")
    olds = {c.id: c for c in before.clauses}
    news = {c.id: c for c in after.clauses}
    changes: list[ClauseChange] = []
    for cid, c in olds.items():
        if cid not in news:
            changes.append(ClauseChange(cid, c.article, "removed", _reading(before, c), None))
            continue
        reading_before, reading_after = _reading(before, c), _reading(after, news[cid])
        effects = []
        for ex in c.examples:
            facts = example_facts(ex)
            was, now = _outcome(old_module, before, cid, facts), _outcome(new_module, after, cid, facts)
            if was != now:
                effects.append(Effect(ex.name, was, now))
        if reading_before != reading_after or effects or c.article != news[cid].article:
            changes.append(
                ClauseChange(cid, news[cid].article, "changed", reading_before, reading_after, tuple(effects))
            )
    for cid, c in news.items():
        if cid not in olds:
            changes.append(ClauseChange(cid, c.article, "added", None, _reading(after, c)))
    return PolicyDiff(header, tuple(changes))
