"""What the policy page and a clause's own page both say about a provision: heading, maximum, limits, examples."""

from __future__ import annotations

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.chinese import quantity
from pol.compiler.check.scopes import SCOPES
from pol.compiler.check.vocabulary import BENEFICIARIES, SAFE_URL, STAGES
from pol.compiler.evaluate.examples import Outcome
from pol.compiler.reading.inventory import KINDS, Entry
from pol.compiler.reading.markdown import Md, indent, inline, web_link
from pol.compiler.reading.prose import SiteReading
from pol.compiler.runtime import format_money
from pol.dsl import ast


def heading(p: ast.Clause | ast.Measure) -> str:
    """A provision's heading: its article as printed, then its title."""
    return f"{inline(p.article)}　{heading_title(p)}" if p.article else heading_title(p)


def heading_title(p: ast.Clause | ast.Measure) -> Md:
    return inline(p.title.value if p.title else p.id)


def maximum(e: Entry) -> Md:
    """The most one application can get, in words (pol's own, with nothing to escape)."""
    if e.kind == "qualitative":
        return Md("—")
    if e.support not in (None, "cash", "资金"):
        return Md("非资金支持" if e.maximum is None else format_money(e.maximum))
    return Md(format_money(e.maximum) if e.maximum is not None else "无封顶")


def tags(p: ast.Clause | ast.Measure, entry: Entry) -> str:
    """The italic line under a heading: whom it supports, at which stages, and what kind of rule it is."""
    out = []
    if isinstance(p, ast.Clause) and p.beneficiary:
        out.append(f"对象：{BENEFICIARIES.get(p.beneficiary.id, p.beneficiary.id)}")
    if p.stages:
        out.append("阶段：" + "、".join(STAGES[s.id] for s in p.stages))
    out.append(f"类型：{KINDS[entry.kind]}")
    return "　".join(f"*{t}*" for t in out)


def limit_line(policy: CheckedPolicy, lim: ast.Limit) -> str:
    """One document-level limit as a sentence: which clauses, whose total, at most how much, where the text says so."""
    reading = SiteReading(policy)
    scope = "".join(SCOPES.get(s, s) for s in lim.scopes)
    on = "、".join(n.id for n in lim.clauses) if lim.clauses else "本文件各条款"
    where = f"（{lim.article}）" if lim.article else ""
    label = lim.label or "资助总额"
    # A label that already says its scope (单个企业每年资助总额余额) is not prefixed with it again, and
    # "limit − already received" reads as the limit and what it is net of, as caps do.
    label = label if any(w in label for w in ("每年", "单个", "每个", "累计")) else scope + label
    label = label.removesuffix("余额") if label.endswith("余额") else label
    value = lim.value
    if isinstance(value, ast.BinOp) and value.op == "-":
        amount = f"{reading.expr(value.left)}（扣除{reading.received(value.right)}后的余额）"
    else:
        amount = reading.expr(value)
    return inline(f"{on}：{label}最高不超过{amount}{where}")


def units(p: ast.Clause | ast.Measure) -> list[str]:
    """The lead and responsible departments, on one line."""
    parts = []
    if p.lead:
        parts.append("牵头单位：" + "、".join(inline(t.value) for t in p.lead))
    if p.responsible:
        parts.append("责任单位：" + "、".join(inline(t.value) for t in p.responsible))
    return ["　".join(parts), ""] if parts else []


# How to apply, in the order a reader needs it.
APPLICATION_FIELDS = (
    ("materials", "申报材料"),
    ("procedure", "申报程序"),
    ("window", "申报时间"),
    ("office", "受理部门"),
    ("contact", "联系方式"),
)


def how_to_apply(policy: CheckedPolicy, c: ast.Clause) -> list[str]:
    """申报材料, 程序, 时间, 受理部门 and 联系方式 as the text states them (the clause's own, else the document's);
    what it leaves unsaid is said to be so, with whom to ask."""
    h = policy.header
    own = dict(c.application)
    ask = "、".join(t.value for t in c.lead) or str(h.get("office") or h.get("issuer") or "发文机关")
    silent = f"原文未规定，请咨询{inline(ask)}"
    rows = []
    for key, label in APPLICATION_FIELDS:
        text = own[key].value if key in own else h.get(key)
        if key == "office" and text is None and c.lead:
            text = "、".join(t.value for t in c.lead) + "（牵头单位）"
        rows.append(f"- {label}：{inline(str(text)) if text else silent}")
    if h.get("guide"):
        rows.append(f"- 申报指南：{inline(str(h['guide']))}")
    if h.get("url"):
        rows.append(f"- 政策原文：{web_link(str(h['url']), SAFE_URL)}")
    return rows


def example(policy: CheckedPolicy, ex: ast.Example, outcome: Outcome | None) -> list[str]:
    """A worked example: its facts by their labels, the evaluator's result and its steps."""
    body = [f"**{inline(ex.name)}**", ""]
    body += [f"- {inline(fact_label(policy, f.name.id))}：{inline(literal(f.value))}" for f in ex.facts]
    if outcome is not None:
        body += ["", f"结果：**{inline(outcome.got)}**"]
        if outcome.explanation:
            body += ["", *[f"{i}. {inline(step)}" for i, step in enumerate(outcome.explanation, 1)]]
    return ['!!! example "举例"', "", *indent(body), ""]


def fact_label(policy: CheckedPolicy, name: str) -> str:
    entry = policy.inputs.get(name)
    return (entry[1].label or name) if entry else name


def literal(e: ast.Expr) -> str:
    match e:
        case ast.Quantity():
            return quantity(e)
        case ast.BoolLit(value=v):
            return "是" if v else "否"
        case ast.DateLit(value=v):
            return v.isoformat()
        case ast.Name(id=i):
            return i
        case ast.Text(value=v):
            return v
    return "?"
