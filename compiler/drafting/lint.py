"""Fidelity check: every figure in a provision's original text is used by its rule or waived with a reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TypeVar

from pol.compiler.check.checker import CheckedPolicy, names_in
from pol.compiler.drafting.deduction import deduct_then_cap
from pol.compiler.drafting.figures import (
    NUM,
    UNIT,
    Figure,
    Key,
    arabic,
    figures,
    placed_figures,
    read_figure,
    unreadable,
)
from pol.dsl import ast
from pol.dsl.diagnostics import Diagnostic, T, error, warning
from pol.dsl.source import SourceFile, Span

Node = TypeVar("Node")

KIND_ZH = {"clause": "条款", "measure": "措施"}
WHERE_ZH = {"its rule": "它的规则", "any clause of the same article": "同一条的任何条款"}

# Whether a threshold word puts the boundary itself on the upper side: "2000万元以上" and "不满2000万元" do
# (2000万 qualifies for the first and fails the second), "超过2000万元" and "2000万元以下" do not.
_BOUNDARY_ABOVE = {
    "以上": True,
    "达到": True,
    "不少于": True,
    "不低于": True,
    "不满": True,
    "低于": True,
    "少于": True,
    "不足": True,
    "超过": False,
    "高于": False,
    "突破": False,
    "以下": False,
    "以内": False,
    "不超过": False,
}
_OP_BOUNDARY_ABOVE = {">=": True, "<": True, ">": False, "<=": False}
_FLIPPED = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}
_WORD_BEFORE = re.compile(
    rf"(?P<w>超过|高于|突破|不满|低于|少于|不足|达到|不少于|不低于|不超过)\s*(?P<a>{NUM})\s*(?P<u>{UNIT})"
)
_WORD_AFTER = re.compile(rf"(?<![\d.])(?P<a>{NUM})\s*(?P<u>{UNIT})\s*(?:[(（]含[)）])?\s*(?P<w>以上|以下|以内)")


def threshold_words(text: str) -> list[tuple[str, Key, bool]]:
    """Each threshold the text states in words: as printed, its figure, and whether the boundary is above."""
    plain, spans = arabic(text)
    found = []
    for pattern in (_WORD_BEFORE, _WORD_AFTER):
        for m in pattern.finditer(plain):
            printed = text[spans[m.start()][0] : spans[m.end() - 1][1]]
            f = read_figure(m.group("a"), m.group("u"), printed)
            if f is not None:
                found.append((printed, f.key, _BOUNDARY_ABOVE[m.group("w")]))
    return found


def threshold_slips(clause: ast.Clause, source: SourceFile) -> list[Diagnostic]:
    """Warnings where the rule puts a threshold's boundary on the other side from the original's word."""
    if clause.original is None:
        return []
    stated: dict[Key, list[tuple[str, bool]]] = {}
    for printed, key, above in threshold_words(clause.original.value):
        stated.setdefault(key, []).append((printed, above))
    out = []
    for c in _find((clause.conditions, clause.grant), ast.Compare):
        for const, op in ((c.right, c.op), (c.left, _FLIPPED.get(c.op, c.op))):
            if not isinstance(const, ast.Quantity) or op not in _OP_BOUNDARY_ABOVE:
                continue
            key = _key(const)
            words = (
                stated.get(key, []) or stated.get((key[0], "money", key[2], None), [])
                if key[1] == "money_per_area"
                else stated.get(key, [])
            )
            rule_above = _OP_BOUNDARY_ABOVE[op]
            if words and all(above != rule_above for _, above in words):
                printed = words[0][0]
                where = _locate(source, clause.original, printed)
                out.append(
                    warning(
                        "POL604",
                        T(
                            f"规则的“{c.word or op}”{'包含' if rule_above else '不包含'} {const.text} 本数，但原文写的是“{printed}”",
                            f"the rule's '{c.word or op}' {'includes' if rule_above else 'excludes'} "
                            f"{const.text} itself, but the original says '{printed}'",
                        ),
                        c.span,
                        T(
                            f"原文第 {where.line} 行：“{printed}”；以上/以下/以内/达到/不少于包含本数，超过/不满/低于/突破不包含",
                            f"the original, line {where.line}: '{printed}'; 以上/以下/以内/达到/不少于 include the number, "
                            "超过/不满/低于/突破 exclude it",
                        ),
                    )
                )
    return out


def _find(node: object, cls: type[Node]) -> Iterator[Node]:
    """Every node of class `cls` inside a syntax node (examples and waivers left out: they are not the rule)."""
    if isinstance(node, cls):
        yield node
    if isinstance(node, tuple):
        for item in node:
            yield from _find(item, cls)
    elif (names := ast.field_names(type(node))) is not None and not isinstance(node, ast.Quantity):
        for name in names:
            if name not in ("span", "examples", "waivers", "todos"):
                yield from _find(getattr(node, name), cls)


def _key(q: ast.Quantity) -> Key:
    """What a literal is compared by: its value in base units and its kind of unit."""
    return (q.value.normalize(), q.unit.kind, q.unit.currency, q.unit.area)


def _used(policy: CheckedPolicy, provision: ast.Clause | ast.Measure) -> set[Key]:
    # A measure quotes a whole article; the clauses of the same article hold its computable sentences.
    rules = (
        [provision]
        if isinstance(provision, ast.Clause)
        else [c for c in policy.clauses if provision.article and c.article == provision.article]
    )
    parts: list[object] = []
    for clause in rules:
        parts += [clause.conditions, clause.grant, clause.caps, clause.offsets, clause.duration, clause.obligations]
    if rules:
        names = set(names_in(tuple(parts)))
        seen: set[str] = set()
        while names - seen:  # definitions used by the rule, and the definitions they use
            name = (names - seen).pop()
            seen.add(name)
            if name in policy.lets:
                expr = policy.lets[name][1].expr
                parts.append(expr)
                names |= set(names_in(expr))
    parts += [lim.value for lim in policy.limits if lim.article and lim.article == provision.article]
    return {_key(q) for q in _find(tuple(parts), ast.Quantity)}


def _locate(source: SourceFile, text: ast.Text, printed: str) -> Span:
    """The span of a printed figure inside the string literal that holds it, or of the literal itself."""
    lines = source.text.splitlines()
    for line in range(text.span.line, min(text.span.end_line, len(lines)) + 1):
        body = lines[line - 1]
        start = text.span.column - 1 if line == text.span.line else 0
        at = body.find(printed, start)
        if at >= 0:
            return Span(file=text.span.file, line=line, column=at + 1, end_line=line, end_column=at + 1 + len(printed))
    return text.span


def missing_status(policy: CheckedPolicy) -> list[Diagnostic]:
    """A header that does not say whether the text is in force: shown as 状态未知, never as 现行有效."""
    header = next((d for d in policy.module.decls if isinstance(d, ast.PolicyHeader)), None)
    if header is None or any(f.key == "status" for f in header.fields):
        return []
    return [
        warning(
            "POL106",
            T(f"政策“{header.name}”没有写明状态，网站显示为“状态未知”", f"policy '{header.name}' states no status"),
            header.span,
            T(
                "写 `status: in_force`（现行有效）、`draft`（征求意见稿）、`expired`（已失效）或 `repealed`（已废止）；"
                "原文看不出时写 `status: unknown`（状态未知）",
                "write `status: in_force`, `draft`, `expired` or `repealed`; if the text does not say, "
                "`status: unknown`; until then the site shows 状态未知",
            ),
        )
    ]


def lint(policy: CheckedPolicy, source: SourceFile) -> list[Diagnostic]:
    """The fidelity problems of one checked policy, in document order."""
    out: list[Diagnostic] = [*missing_status(policy)]
    for p in policy.provisions:
        kind = "clause" if isinstance(p, ast.Clause) else "measure"
        if p.original is None:
            out.append(
                warning(
                    "POL602",
                    T(f"{KIND_ZH.get(kind, kind)}“{p.id}”没有原文", f"{kind} '{p.id}' has no original text"),
                    p.id_span,
                    T('请逐字引用条文：original: """…"""', 'quote the article verbatim: original: """…"""'),
                )
            )
            continue
        printed = figures(p.original.value)
        waived = {_key(q): q for w in p.waivers for q in w.values}
        left_open = {_key(q) for t in p.todos for q in t.values}  # placed in a todo: POL108 already says so
        used = _used(policy, p)
        # 年亩产税收 50 万元: the text leaves "per 亩" to the word 亩产; the rule writes 50万元/亩.
        used |= {(v, "money", cur, None) for v, kind, cur, _ in used if kind == "money_per_area"}
        # A plain number uses the figure of its value: × 1.5 uses 1.5倍, `年度 <= 5` uses 5年内.
        used |= {(v, k, None, None) for v, kind, _, _ in used if kind == "number" for k in ("ratio", "years")}
        reported: set[Key] = set()
        for f in printed:
            if kind == "measure" and f.kind not in ("money", "money_per_area", "ratio", "years"):
                # A measure has no rule: its money, rates and periods need explaining (a money sentence without an
                # amount, 不超过60%的奖励 or 5年内, must not be dropped silently); counts and areas describe.
                continue
            if f.key in used or f.key in waived or f.key in reported or f.key in left_open:
                continue
            reported.add(f.key)
            where = "its rule" if kind == "clause" else "any clause of the same article"
            out.append(
                error(
                    "POL601",
                    T(
                        f"{KIND_ZH.get(kind, kind)}“{p.id}”原文中的“{f.text}”没有被{WHERE_ZH.get(where, where)}用到",
                        f"'{f.text}' in the original of {kind} '{p.id}' is not used by {where}",
                    ),
                    _locate(source, p.original, f.text),
                    T(
                        "在规则中用上这个数额，或说明理由：waive " + _literal(f) + ' "为何不是资助"',
                        "use the figure in the rule, or explain it: waive " + _literal(f) + ' "why it is not a grant"',
                    ),
                )
            )
        for printed_text in unreadable(p.original.value):
            out.append(
                error(
                    "POL605",
                    T(
                        f"无法读取{KIND_ZH.get(kind, kind)}“{p.id}”原文中的数额“{printed_text}”",
                        f"cannot read the figure '{printed_text}' in the original of {kind} '{p.id}'",
                    ),
                    _locate(source, p.original, printed_text),
                    T(
                        "请在原文中写成带单位的数字（3000万元、40%），或把这种写法报告给 pol 的维护者",
                        "write it as digits with a unit (3000万元, 40%) in the original, or report the form to pol's maintainers",
                    ),
                )
            )
        if isinstance(p, ast.Clause):
            out += threshold_slips(p, source)
            out += unbound_scopes(policy, p, source)
            out += deduct_then_cap(p, source, _locate)
        in_text = {f.key for f in printed}
        for w in p.waivers:
            for word in w.words:
                if word not in p.original.value and word not in arabic(p.original.value)[0]:
                    out.append(
                        warning(
                            "POL603",
                            T(
                                f"豁免了“{word}”，但它没有出现在“{p.id}”的原文中",
                                f"'{word}' is waived but does not appear in the original of '{p.id}'",
                            ),
                            w.span,
                            T("删除这条过时的豁免", "remove the stale waiver"),
                        )
                    )
        for key, q in waived.items():
            if key not in in_text:
                out.append(
                    warning(
                        "POL603",
                        T(
                            f"豁免了“{q.text}”，但它没有出现在“{p.id}”的原文中",
                            f"'{q.text}' is waived but does not appear in the original of '{p.id}'",
                        ),
                        q.span,
                        T("删除这条过时的豁免", "remove the stale waiver"),
                    )
                )
            elif key in used:
                out.append(
                    warning(
                        "POL603",
                        T(
                            f"豁免了“{q.text}”，但“{p.id}”的规则用到了它",
                            f"'{q.text}' is waived but the rule of '{p.id}' uses it",
                        ),
                        q.span,
                        T("删除这条豁免", "remove the waiver"),
                    )
                )
    return sorted(out, key=lambda d: (d.span.line, d.span.column))


def _literal(f: Figure) -> str:
    """The figure written as a .pol literal, for the suggested waiver."""
    from pol.compiler.runtime import format_quantity

    return format_quantity(f.value, f.kind, f.currency, f.area).replace(" ", "")


# Scopes an original states, each with what in a rule binds it: a cap's or limit's scope, `once`,
# `duration` or a stacking rule. A word counts as a scope when a ceiling word follows it closely
# (每年最高, 单个项目累计不超过), so 每年递增 or 项目总投资 are not read as one.
_CEILING = r"[^，。；,;]{0,12}?(?:最高|不超过|不高于|累计|上限|总额|最多|限额)"
_SCOPE_WORDS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("每年", re.compile(rf"(?:每年|每个年度|年度)(?={_CEILING})"), "cap … per year"),
    ("每季度", re.compile(rf"(?:每季度|每个季度)(?={_CEILING})"), "cap … per quarter"),
    ("每月", re.compile(rf"(?:每月|每个月)(?={_CEILING})"), "cap … per month"),
    ("单个项目", re.compile(rf"(?:单个项目|每个项目|同一项目)(?={_CEILING})"), "cap … per project"),
    ("单品种", re.compile(rf"(?:单品种|单个品种|每个品种|同一品种|分品种)(?={_CEILING}|予以)"), "cap … per product"),
    ("单个保单", re.compile(rf"(?:单个保单|每个保单)(?={_CEILING})"), "cap … per policy"),
    ("单个企业", re.compile(r"(?:单个|每家|每个)企业[^，。；,;]{0,6}?累计"), "cap … per enterprise"),
    ("一次性", re.compile(r"一次性"), "once"),
    ("期限", re.compile(r"(?:期限|连续)\s*\d+\s*(?:个)?年"), "duration N年"),
    ("不可重复享受", re.compile(r"不(?:可|得|再)?重复(?:享受|支持|给予|资助|奖励)|从优[、，,]?\s*就高"), "exclusive"),
    (
        "承诺",
        re.compile(
            r"承诺[^，。；,;]{0,15}?满\s*\d+\s*年|\d+\s*年内不得|(?:收回|追回|退回)[^，。；,;]{0,6}?(?:资金|奖励|补助|补贴)"
        ),
        "obligation N年: …",
    ),
)


def unbound_scopes(policy: CheckedPolicy, clause: ast.Clause, source: SourceFile) -> list[Diagnostic]:
    """Warnings for each scope the original states (每年, 单个项目, 一次性, 期限N年 …) that the rule binds nowhere."""
    if clause.original is None:
        return []
    texts = (clause.original.value, arabic(clause.original.value)[0])  # 一次性 as printed; 期限五年 in digits
    bound = _bound_scopes(policy, clause)
    waived = {word for w in clause.waivers for word in w.words}
    out = []
    for scope, pattern, fix in _SCOPE_WORDS:
        found = pattern.search(texts[0]) or pattern.search(texts[1])
        if found is None or scope in bound or found.group(0) in waived or scope in waived:
            continue
        word = found.group(0)
        out.append(
            warning(
                "POL606",
                T(
                    f"条款“{clause.id}”的原文写了“{word}”，但规则没有限定这个范围",
                    f"the original of clause '{clause.id}' says '{word}', but its rule binds no such scope",
                ),
                _locate(source, clause.original, word),
                T(
                    f'条款“{clause.id}”在第 {clause.id_span.line} 行：写 `{fix}`，让台账在多次申请之间执行它；或写 waive "{word}" "为何另作理解"',
                    f"clause '{clause.id}' is at line {clause.id_span.line}: write `{fix}` so the ledger enforces it "
                    f'across applications, or waive "{word}" "why the text is read otherwise"',
                ),
            )
        )
    return out


def _bound_scopes(policy: CheckedPolicy, clause: ast.Clause) -> set[str]:
    """The scopes the rule of a clause binds: its caps', its document limits', its `received` inputs', and more."""
    from pol.compiler.check.scopes import RECEIVED_SCOPES, SCOPES

    scopes = {SCOPES[s] for cap in clause.caps for s in cap.scopes if s in SCOPES}
    for lim in policy.limits:
        if not lim.clauses or any(n.id == clause.id for n in lim.clauses):
            scopes |= {SCOPES[s] for s in lim.scopes if s in SCOPES}
    for name in names_in((clause.caps, clause.offsets)):
        entry = policy.inputs.get(name)
        if entry is not None and entry[1].received is not None:
            scopes |= {RECEIVED_SCOPES[s] for s in entry[1].received.scopes if s in RECEIVED_SCOPES}
    if {"单个企业", "累计"} & scopes:
        scopes |= {"单个企业", "累计"}
    if clause.once is not None:
        scopes.add("一次性")
    if clause.duration is not None:
        scopes.add("期限")
    if clause.obligations:
        scopes.add("承诺")
    if clause.exclusive is not None or policy.header.get("overlap") == "从优就高不重复":
        scopes.add("不可重复享受")
    return scopes


# A ceiling on what a clause pays, as the text states it: 最高, 上限, 最多, or 不超过 not followed by 的 (which makes
# the figure a condition: 投资额不超过1000万元的). A ceiling per physical unit (每平方米最高30元) is a price, not one.
_STATED_CEILING = re.compile(r"(?:最高|上限为?|最多|不超过|不高于)[^，。；,;0-9]{0,6}$")
_PER_UNIT = re.compile(
    r"每(?:平方米|㎡|亩|人|名|户|吨|台|套|件|张|个?月|天|日|千瓦|小时|度|[1一]?种)[^，。；,;]{0,16}$"
)


def stated_ceilings(text: str) -> list[Figure]:
    """The amounts an original text states as the most its clause pays (最高不超过1000万元, 上限500万元, and each
    amount of a list after such a word: 最高100万元、200万元和400万元)."""
    plain, placed = placed_figures(text)
    out: list[Figure] = []
    listed_until = -1  # a list after a ceiling word goes on while only 、和或及 and spaces separate its amounts
    for start, end, figure in placed:
        before, after = plain[max(start - 12, 0) : start], plain[end : end + 8]
        in_list = listed_until >= 0 and re.fullmatch(r"[\s、和或及]*", plain[listed_until:start]) is not None
        words = _STATED_CEILING.search(before)
        if figure.kind != "money" or not (in_list or words) or _PER_UNIT.search(plain[max(start - 24, 0) : start]):
            listed_until = -1
            continue
        firm = in_list or (words is not None and not words.group().startswith(("不超过", "不高于")))
        if not firm and re.match(r"\s*(?:[(（]含[)）])?\s*(?:的(?!补助|奖励|资助|补贴|支持|资金)|以[上下内])", after):
            listed_until = -1
            continue  # 不超过1000万元的: a condition on a fact, not a ceiling on the grant
        out.append(figure)
        listed_until = end
    return out
