"""`pol diff OLD NEW`: what changed between two versions of a policy, and what it does to the worked examples."""

from __future__ import annotations

from typing import Any

import attrs

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.evaluate.examples import describe_result, example_date, example_facts
from pol.compiler.evaluate.pipeline import Compiled, load_evaluator, python_source
from pol.compiler.reading.prose import clause_reading
from pol.compiler.runtime import FactsError, UnknownClauseError

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
    # Changes in the rules outside any clause's reading: definitions, document limits, inputs' defaults
    # and kinds, each (what in Chinese, before, after), found by comparing the lowered forms.
    rules: tuple[tuple[str, str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "header": [{"field": f, "before": b, "after": a} for f, b, a in self.header],
            "rules": [{"what": w, "before": b, "after": a} for w, b, a in self.rules],
            "clauses": [c.to_json() for c in self.clauses],
        }


def _shape(node: Any) -> Any:
    """A lowered node as plain data without its source lines, so two versions compare by what they compute."""
    if attrs.has(type(node)):
        return (type(node).__name__,) + tuple(
            (f.name, _shape(getattr(node, f.name))) for f in attrs.fields(type(node)) if f.name != "line"
        )
    if isinstance(node, (tuple, list)):
        return tuple(_shape(x) for x in node)
    if isinstance(node, dict):
        return tuple(sorted((k, _shape(v)) for k, v in node.items()))
    return node


def _rules(old: Compiled, new: Compiled) -> tuple[list[tuple[str, str, str]], set[str]]:
    """What changed in definitions, limits and inputs, and the names (definitions, inputs) whose meaning changed."""
    from pol.compiler.check.chinese import expr
    from pol.compiler.lower import lower

    assert old.policy is not None and new.policy is not None
    a, b = lower(old.policy, old.source.path), lower(new.policy, new.source.path)
    out: list[tuple[str, str, str]] = []
    changed: set[str] = set()
    lets_a, lets_b = {x.name: x for x in a.lets}, {x.name: x for x in b.lets}
    for name in sorted(lets_a.keys() | lets_b.keys()):
        x, y = lets_a.get(name), lets_b.get(name)
        if x is None or y is None or _shape(x.value) != _shape(y.value):
            changed.add(name)
            was = expr(old.policy.lets[name][1].expr) if x is not None else "—"
            now = expr(new.policy.lets[name][1].expr) if y is not None else "—"
            out.append((f"定义“{name}”", was, now))
    inputs_a, inputs_b = {i.name: i for i in a.inputs}, {i.name: i for i in b.inputs}
    for name in sorted(inputs_a.keys() & inputs_b.keys()):
        i, j = inputs_a[name], inputs_b[name]
        if _shape(i.default) != _shape(j.default):
            changed.add(name)
            out.append((f"输入“{name}”的默认值", _literal(old, name), _literal(new, name)))
        if (i.kind, i.currency, i.area, i.members) != (j.kind, j.currency, j.area, j.members):
            changed.add(name)
            out.append(
                (
                    f"输入“{name}”的类型",
                    str(old.policy.inputs[name][0].describe()),
                    str(new.policy.inputs[name][0].describe()),
                )
            )
    limits_a = [(lim.label, lim.clauses, _shape(lim.value)) for lim in a.limits]
    limits_b = [(lim.label, lim.clauses, _shape(lim.value)) for lim in b.limits]
    if len(limits_a) == len(limits_b):
        for n, (was_limit, now_limit) in enumerate(zip(limits_a, limits_b, strict=True)):
            if was_limit != now_limit:
                out.append((f"文件限额（{b.limits[n].label}）", _limit(old, n), _limit(new, n)))
    else:
        was = "；".join(_limit(old, i) for i in range(len(a.limits))) or "—"
        now = "；".join(_limit(new, i) for i in range(len(b.limits))) or "—"
        out.append(("文件限额", was, now))
    return out, changed


def _literal(c: Compiled, name: str) -> str:
    from pol.compiler.check.chinese import expr

    assert c.policy is not None
    default = c.policy.inputs[name][1].default
    return expr(default) if default is not None else "无（须填写）"


def _limit(c: Compiled, i: int) -> str:
    from pol.compiler.reading.provision import limit_line

    assert c.policy is not None
    return limit_line(c.policy, c.policy.limits[i]).replace("\\", "")


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
    rules, meaning = _rules(old, new)
    lowered_old = {c.id: _shape(c) for c in _lowered(old).clauses}
    lowered_new = {c.id: _shape(c) for c in _lowered(new).clauses}
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
        # The same reading can compute something else: a definition, a default or a cap's working changed.
        computes = lowered_old[cid] != lowered_new[cid] or bool(meaning & _uses(after, news[cid]))
        if reading_before != reading_after or effects or c.article != news[cid].article or computes:
            changes.append(
                ClauseChange(cid, news[cid].article, "changed", reading_before, reading_after, tuple(effects))
            )
    for cid, c in news.items():
        if cid not in olds:
            changes.append(ClauseChange(cid, c.article, "added", None, _reading(after, c)))
    return PolicyDiff(header, tuple(changes), tuple(rules))


def _lowered(c: Compiled) -> Any:
    from pol.compiler.lower import lower

    assert c.policy is not None
    return lower(c.policy, c.source.path)


def _uses(policy: CheckedPolicy, clause: Any) -> set[str]:
    """The inputs and definitions a clause reads, through the definitions it uses."""
    from pol.compiler.check.checker import names_in

    names = set(names_in((clause.conditions, clause.grant, clause.caps, clause.offsets)))
    todo = [n for n in names if n in policy.lets]
    while todo:
        for n in names_in(policy.lets[todo.pop()][1].expr):
            if n not in names:
                names.add(n)
                if n in policy.lets:
                    todo.append(n)
    return names
