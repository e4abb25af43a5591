"""Fidelity check: every figure in a provision's original text is used by its rule or waived with a reason."""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TypeVar

import attrs

from pol.compiler.check.checker import CheckedPolicy, names_in
from pol.compiler.drafting.deduction import deduct_then_cap
from pol.dsl import ast
from pol.dsl.diagnostics import Diagnostic, T, error, warning
from pol.dsl.source import SourceFile, Span
from pol.dsl.units import UnitError, parse_quantity

KIND_ZH = {"clause": "条款", "measure": "措施"}
WHERE_ZH = {"its rule": "它的规则", "any clause of the same article": "同一条的任何条款"}

_NUM = r"\d+(?:\.\d+)?"
# A unit as printed in the documents; 万/亿 alone (奖励 20 万) are money unless an area or 年 follows.
_UNIT = (
    r"(?:(?:万|亿|千万|百万)?美元|(?:万|亿|千万|百万)?元(?:\s*/\s*(?:亩|平方米))?|[%％]|平方米|㎡|亩"
    r"|年(?![度月级]|期(?!满))|万(?![亩人家个平])|亿(?![亩人家个]))"
)
# `100~400万元` and `15%~30%`: a bare first number takes the second number's unit.
_FIGURE = re.compile(
    rf"(?<![\d.])(?P<a>{_NUM})\s*(?P<ua>{_UNIT})?(?:\s*[~～—–\-至到]\s*(?P<b>{_NUM})\s*(?P<ub>{_UNIT}))?"
)

Node = TypeVar("Node")

# A figure or literal is compared by its value in base units and its kind, currency and area unit.
Key = tuple[Decimal, str, str | None, str | None]


@attrs.frozen
class Figure:
    """A quantity printed in an original text: its text as printed, its value and its kind of unit."""

    text: str
    value: Decimal
    kind: str
    currency: str | None
    area: str | None

    @property
    def key(self) -> Key:
        return (self.value.normalize(), self.kind, self.currency, self.area)


def _figure(number: str, unit: str, printed: str) -> Figure | None:
    unit = re.sub(r"\s+", "", unit).replace("㎡", "平方米").replace("％", "%")
    if unit in ("万", "亿", "千万", "百万"):
        unit += "元"
    try:
        value, u = parse_quantity(number + unit)
    except UnitError:
        return None
    if u.kind == "years" and (value >= 1900 or value != value.to_integral_value()):
        return None  # a calendar year such as 2023年, not a duration
    return Figure(printed, value, u.kind, u.currency, u.area)


# A run of Chinese or financial numerals (一百万, 壹佰萬, 三千五百), with 百分之 before a percentage.
_CN_RUN = re.compile(
    r"(?P<pct>百分之)?(?P<n>[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]+"
    r"(?:点[零〇一二三四五六七八九]+)?)"
)


_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
_CN_NUMBER = rf"[{_CN_DIGITS}]+(?:点[零〇一二三四五六七八九]+)?"
# Digit groups of three after a separator (3,000万, 1，000，000元, 1 000 000元): one number, not a list.
_GROUPED = re.compile(r"(?<![\d.])\d{1,3}(?:[,，\u00a0\u2009\u202f ]\d{3})+(?![\d])")
# Digits with Chinese units between them (1千2百万, 3百5十万): one number, as cn2an reads it.
_MIXED = re.compile(r"(?<![\d.])\d+(?:\.\d+)?[十百千](?:\d+[十百千]?)*[万亿]?")
# A unit with no numeral before it where the text means one of it: 超千万元, 破亿元, 百万元级.
_BARE = re.compile(
    r"(?:(?<=[超破过逾近约])(?:千万|百万|十万|千亿|百亿|十亿|亿|万)|(?<![\d"
    + _CN_DIGITS
    + r"])(?:千万|百万|十万|千亿|百亿|十亿))(?=元|美元)"
)
# A fraction written out (二分之一, 3分之1), and 一半; 半 before 万元 or 亿元 (半亿元).
_FRACTION = re.compile(rf"(?P<d>\d+|{_CN_NUMBER})分之(?P<n>\d+(?:\.\d+)?|{_CN_NUMBER})")


def _cn(text: str) -> Decimal:
    """A number in Arabic or Chinese numerals; ValueError if it is none."""
    import cn2an

    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Decimal(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return Decimal(str(cn2an.cn2an(text, "smart")))
        except (KeyError, ValueError) as exc:
            raise ValueError(text) from exc


def _digits(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _percent(value: Decimal) -> str | None:
    """A fraction written as a percentage, when that is exact to six places."""
    pct = value * 100
    return _digits(pct) + "%" if pct == pct.quantize(Decimal("0.000001")) else None


def _fraction(m: re.Match[str]) -> str | None:
    try:
        denominator, numerator = _cn(m.group("d")), _cn(m.group("n"))
    except ValueError:
        return None
    if denominator == 0:
        return None
    q = (numerator / denominator).quantize(Decimal("1e-12"))
    return _percent(q) if q * denominator == numerator else None  # 三分之一: no exact figure, left unread


def _scaled(factor: str, unit: str) -> Callable[[re.Match[str]], str]:
    return lambda m: _digits(Decimal(m.group(1)) * Decimal(factor)) + unit


# Each step rewrites one way of printing a figure into digits and a unit `figures` reads; in this order, as
# each reads what the steps before it made (Chinese numerals become digits before 成 or 倍 is read).
_STEPS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
    (_GROUPED, lambda m: re.sub(r"\D", "", m.group())),
    (_MIXED, lambda m: _digits(_cn(m.group()))),
    (_BARE, lambda m: "1" + m.group()),
    (re.compile(r"一半"), lambda m: "50%"),
    (re.compile(r"(?<![\d" + _CN_DIGITS + r"])半(?=[万亿](?:元|美元))"), lambda m: "0.5"),
    (_FRACTION, _fraction),
]
_AFTER_NUMERALS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
    (re.compile(r"(\d+(?:\.\d+)?)成(?![本果员功立熟交绩型为])"), _scaled("10", "%")),  # 五成: 50%
    (re.compile(r"(\d+(?:\.\d+)?)‰"), _scaled("0.1", "%")),  # 500‰: 50%
    (re.compile(r"(\d+(?:\.\d+)?)个百分点"), lambda m: m.group(1) + "%"),  # 1.5个百分点: 1.5%
    (re.compile(r"(\d+(?:\.\d+)?)倍"), _scaled("100", "%")),  # 1.5倍: 150% of the base
    (re.compile(r"(\d+(?:\.\d+)?)[余多](?=[万亿]?(?:元|美元))"), lambda m: m.group(1)),  # 100余万元: 100万元
]


def _rewrite(
    flat: str, origin: list[tuple[int, int]], steps: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]]
) -> tuple[str, list[tuple[int, int]]]:
    """Apply each step to the text, each replacement keeping the span of what it replaced."""
    for pattern, replace in steps:
        chars: list[str] = []
        spans: list[tuple[int, int]] = []
        done = 0
        for m in pattern.finditer(flat):
            try:
                new = replace(m)
            except ValueError:
                new = None
            if new is None or m.end() == m.start():
                continue
            chars += flat[done : m.start()]
            spans += origin[done : m.start()]
            chars += new
            spans += [(origin[m.start()][0], origin[m.end() - 1][1])] * len(new)
            done = m.end()
        chars += flat[done:]
        spans += origin[done:]
        flat, origin = "".join(chars), spans
    return flat, origin


def arabic(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text with every figure in Arabic digits, and for each of its characters the span it came from.

    Full-width digits (２０００万) are made plain by NFKC and every other script's decimal digits (٥٠٠, ५००)
    by their value, 萬/億 become 万/亿, digit groups (1，000，000) are joined, and Chinese and financial
    numerals (一百万元, 壹佰万元, 1千2百万, 百分之五十, 二分之一, 五成, 一半) are converted with cn2an:
    no way of printing a figure hides it.
    """
    plain, origin = [], []
    for i, ch in enumerate(text):
        digit = unicodedata.decimal(ch, None)
        for out in str(digit) if digit is not None else unicodedata.normalize("NFKC", ch):
            plain.append(out.replace("萬", "万").replace("億", "亿"))
            origin.append((i, i + 1))
    flat, origin = _rewrite("".join(plain), origin, _STEPS)
    flat, origin = _rewrite(flat, origin, [(_CN_RUN, _cn_run)])
    return _rewrite(flat, origin, _AFTER_NUMERALS)


def _cn_run(m: re.Match[str]) -> str | None:
    try:
        number = _cn(m.group("n"))
    except ValueError:
        return None  # 万 or 亿 alone, or not a number: left as printed
    return _digits(number) + ("%" if m.group("pct") else "")


# A number printed next to a unit of money or a percentage, in any script: each must be read as a figure.
_NUMERAL = "0-9０-９零〇一二两三四五六七八九十拾壹贰叁肆伍陆柒捌玖"
_APPARENT = re.compile(
    rf"(?:百分之)?[{_NUMERAL}.．,，百千万亿佰仟萬億]*[{_NUMERAL}][{_NUMERAL}.．百千万亿佰仟萬億]*\s*"
    r"(?:千万|百万|万|亿|萬|億)?\s*(?:美元|元|[%％])"
)


def unreadable(text: str) -> list[str]:
    """The amounts and percentages printed in a text that `figures` cannot read, as printed."""
    read = [f.text for f in figures(text)]
    missed = []
    for m in [*_APPARENT.finditer(text), *_APPARENT_RATE.finditer(text)]:
        printed = m.group().lstrip(",，")
        if not any(printed in r or r in printed for r in read):
            missed.append(printed)
    return missed


# After a bare 万 or 亿: a currency printed after a parenthesis, or after the end of the one the figure is in.
_CURRENCY_LATER = re.compile(r"\s*(?:[(（][^()（）]{0,40}[)）]|[^()（）]{0,40}[)）])\s*美元")
# Ways of printing a rate that `figures` reads only when exact: 三分之一 is no figure pol can compare.
_APPARENT_RATE = re.compile(rf"(?:\d+|[{_NUMERAL}]+)分之(?:\d+|[{_NUMERAL}]+)")


def figures(text: str) -> list[Figure]:
    """Every money amount, percentage, area and duration printed in a text, in order, however it is written."""
    return [f for _, _, f in _placed_figures(text)[1]]


def _placed_figures(text: str) -> tuple[str, list[tuple[int, int, Figure]]]:
    """The text in Arabic digits, and each figure in it with where it is in that text."""
    found: list[tuple[int, int, Figure]] = []
    plain, spans = arabic(text)

    def printed(start: int, end: int) -> str:
        return text[spans[start][0] : spans[end - 1][1]] if end > start else ""

    for m in _FIGURE.finditer(plain):
        a, ua, b, ub = m.group("a", "ua", "b", "ub")
        if b is not None:
            first_end = m.start() + len(m.group().split(b)[0].rstrip(" ~～—–-至到"))
            first = _figure(a, ua or ub, printed(m.start(), first_end))
            second = _figure(b, ub, printed(m.start("b"), m.end()))
            if second is None or (ua is None and first is None):
                continue
            if first is not None:
                found.append((m.start(), first_end, first))
            found.append((m.start("b"), m.end(), second))
        elif ua is not None:
            if ua in ("万", "亿", "千万", "百万") and _CURRENCY_LATER.match(plain, m.end()):
                ua += "美元"  # 500万(或进口1500万)美元: the currency printed after the parenthesis is theirs too
            f = _figure(a, ua, printed(m.start(), m.end()))
            if f is not None:
                found.append((m.start(), m.end(), f))
    return plain, found


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
    rf"(?P<w>超过|高于|突破|不满|低于|少于|不足|达到|不少于|不低于|不超过)\s*(?P<a>{_NUM})\s*(?P<u>{_UNIT})"
)
_WORD_AFTER = re.compile(rf"(?<![\d.])(?P<a>{_NUM})\s*(?P<u>{_UNIT})\s*(?:[(（]含[)）])?\s*(?P<w>以上|以下|以内)")


def threshold_words(text: str) -> list[tuple[str, Key, bool]]:
    """Each threshold the text states in words: as printed, its figure, and whether the boundary is above."""
    plain, spans = arabic(text)
    found = []
    for pattern in (_WORD_BEFORE, _WORD_AFTER):
        for m in pattern.finditer(plain):
            printed = text[spans[m.start()][0] : spans[m.end() - 1][1]]
            f = _figure(m.group("a"), m.group("u"), printed)
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
            if name not in ("span", "examples", "waivers"):
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
            if f.key in used or f.key in waived or f.key in reported:
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
    plain, placed = _placed_figures(text)
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
