"""Money sentences drafted as rules: conditions with the legal threshold words, grants in the language's forms,
caps with their scopes, once, duration, and a `todo` for every judgement the text leaves open.

Each sentence is read in Arabic digits (drafting/figures.py reads every way a figure is printed), and each
figure is placed by the words around it: a threshold (2000万元以上, 首次突破10亿元), a rate of a base (按设备投资额
的5%), a ceiling (最高1000万元, 每家企业每年最高50万元), an amount given (给予100万元奖励), amounts given by level
(分别给予100万元、300万元、500万元), a range (500万元至2000万元), a term (补贴期限5年). A figure placed nowhere
goes into a todo with what is known of it; nothing is invented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import attrs

from pol.compiler.drafting.figures import Figure, arabic, placed_figures
from pol.compiler.runtime import format_quantity

# Words before a figure that make it a threshold, with the comparison the language writes for each.
_BEFORE = {
    "突破": "突破",
    "超过": "超过",
    "高于": "超过",
    "达到": "达到",
    "不少于": "不少于",
    "不低于": "不低于",
    "不满": "不满",
    "不足": "不满",
    "低于": "低于",
    "少于": "低于",
}
_BEFORE_WORD = re.compile(r"(?:首次)?(" + "|".join(sorted(_BEFORE, key=len, reverse=True)) + r")\s*$")
_AFTER_WORD = re.compile(r"^\s*(\(含\)|（含）)?\s*及?(以上|以下|以内)")  # 1年及以上 too
_CEILING = re.compile(r"(?:最高|最多|上限为?|不超过|不高于)(?:不超过)?[^，。；,;0-9]{0,4}$")
_GIVE = re.compile(r"(?:给予|奖励|补助|补贴|资助|扶持|支持|奖补)[^，。；,;0-9]{0,6}$")
_AWARD_AFTER = re.compile(r"^[^，。；,;0-9]{0,4}(?:的)?(?:一次性)?(?:资金)?(?:奖励|补助|补贴|资助|扶持|支持|奖补)")
_RATE_BASE = re.compile(
    r"(?:按(?:照)?(?P<base>[^，。；,;按]{2,40}?)的|(?:不超过|不高于|最高)(?P<bare>[\u4e00-\u9fa5]{2,12}))\s*$"
)
_SCOPES = (
    # A cap is the enterprise's always: 每家企业每年 is a cap per year.
    (re.compile(r"(?:每家|每个|单个|单一)企业[^，。；,;]{0,4}每年"), ("per year",)),
    (re.compile(r"(?:每年|每个年度|年度)"), ("per year",)),
    (re.compile(r"(?:单个企业|每家企业|每个企业|单一企业)(?![^，。；,;]{0,6}累计)"), ("per enterprise",)),
    (re.compile(r"(?:每季度|每个季度)"), ("per quarter",)),
    (re.compile(r"(?:每月|每个月)"), ("per month",)),
    (re.compile(r"(?:单个项目|每个项目|同一项目)"), ("per project",)),
    (re.compile(r"(?:单品种|单个品种|每个品种|同一品种)"), ("per product",)),
    (re.compile(r"(?:单个保单|每个保单)"), ("per policy",)),
    (re.compile(r"(?:单个企业|每家企业|每个企业|单一企业)[^，。；,;]{0,6}累计|累计"), ("total",)),
)
# Words that open a noun phrase but are not part of the name of a fact.
_LEAD = re.compile(r"^(?:对|凡|对于|在|且|并且|和|及|或|其|经|按照|按|为|其中|当年|上年度|上一年度)+")
_TRAIL = re.compile(r"(?:首次|均|分别|累计|合计|年均)+$")


@attrs.define
class Input:
    """A fact a drafted rule reads, named from the text's own noun."""

    name: str
    type: str  # money, money(美元), area(平方米), years, ratio, count
    label: str


@attrs.define
class Rule:
    """One drafted clause: the sentence it reads, and its rule as lines of the language."""

    original: str
    conditions: list[str] = attrs.Factory(list)
    grant: str | None = None
    caps: list[str] = attrs.Factory(list)
    items: list[str] = attrs.Factory(list)  # once, duration, topup …
    todos: list[tuple[list[str], str]] = attrs.Factory(list)  # (figures as literals, what is open)
    inputs: list[Input] = attrs.Factory(list)
    # The categories of a table the text lists (一类新药…，二类新药…): the writer names their enumeration, which
    # the rule's text calls {类别}.
    categories: list[str] = attrs.Factory(list)


def literal(f: Figure) -> str:
    """A figure as a literal of the language (3000万, 5%, 500万美元, 500平方米, 5年)."""
    return format_quantity(f.value, f.kind, f.currency, f.area).replace(" ", "").replace("元/", "/")


def _type_of(f: Figure) -> str:
    if f.kind == "money":
        return "money(美元)" if f.currency == "USD" else "money"
    if f.kind == "money_per_area":
        return "money/亩" if f.area == "mu" else "money/平方米"
    return {"area": "area(平方米)" if f.area != "mu" else "area(亩)", "years": "years", "ratio": "ratio"}.get(
        f.kind, "count"
    )


def name_of(noun: str) -> str | None:
    """A fact's name from the words of the text: punctuation, spaces and 的 dropped; None when nothing is left."""
    noun = _LEAD.sub("", noun.strip())
    noun = _TRAIL.sub("", noun)
    name = re.sub(r"[^\w]|的|_", "", noun)
    if not name or not re.fullmatch(r"[^\W\d]\w*", name) or len(name) > 24:
        return None
    return name


class _Text:
    """A sentence in Arabic digits, with a way back to the words as printed (一类新药, not 1类新药)."""

    def __init__(self, text: str):
        self.text = text
        self.plain, self.spans = arabic(text)

    def printed(self, start: int, end: int) -> str:
        """The printed words behind plain[start:end]."""
        if end <= start:
            return ""
        return self.text[self.spans[start][0] : self.spans[end - 1][1]]


def _noun_before(t: _Text, end: int) -> str:
    """The noun phrase that ends at `end`: back to the previous comma, 的 of a clause, or an opening word."""
    plain = t.plain
    start = max(plain.rfind(ch, 0, end) for ch in "，,；;。、：:（(")
    phrase = t.printed(start + 1, end)
    for word in ("对在", "对", "凡", "的", "且", "并且", "和"):
        at = phrase.rfind(word)
        if at >= 0 and at + len(word) < len(phrase) - 1:
            phrase = phrase[at + len(word) :]
    return phrase


def draft_sentence(text: str) -> Rule:
    """The rule a money sentence states, as far as its words settle it."""
    rule = Rule(text)
    plain, placed = placed_figures(text)
    t = _Text(text)
    used: set[int] = set()
    names: dict[str, Input] = {}

    def fact(noun: str, f: Figure) -> str | None:
        name = name_of(noun)
        if name is None:
            return None
        names.setdefault(name, Input(name, _type_of(f), noun.strip()))
        return name

    thresholds: list[Threshold] = []
    for k, (start, end, f) in enumerate(placed):
        if k in used:
            continue
        before, after = plain[max(start - 14, 0) : start], plain[end : end + 6]
        if _CEILING.search(before) and not re.match(r"\s*(?:\(含\)|（含）)?\s*的(?!奖励|补助|资助|补贴|支持)", after):
            continue  # 最高不超过1000万元: a ceiling on the grant, not a threshold on a fact
        word = _BEFORE_WORD.search(before)
        post = _AFTER_WORD.match(after)
        if post and f.kind != "ratio":
            subject_end = start
            op = ("(含)" if post.group(1) else "") + post.group(2)
            noun = _noun_before(t, subject_end)
            noun = re.sub(r"(?:达到|为|在)$", "", noun.strip())
            if f.kind == "money" and re.search(r"亩产|亩均", noun):
                f = Figure(f.text, f.value, "money_per_area", f.currency, "mu")  # 年亩产税收达到50万元: 万元 a 亩
            name = fact(noun, f)
            if (
                name is None
                and thresholds
                and re.fullmatch(r"(?:\(含\))?(?:以上|以下)?[\s、,，至到和且]*", plain[placed[k - 1][1] : start])
            ):
                name = thresholds[-1][2]  # 1亿元以上5亿元以下: the second bound is of the same fact
            if name is not None:
                rule.conditions.append(f"{name} {literal(f)}{op}")
                used.add(k)
                thresholds.append((k, f, name))
        elif word and f.kind != "ratio":
            noun = _noun_before(t, start - len(word.group(0)))
            name = fact(noun, f)
            if name is not None:
                rule.conditions.append(f"{name} {_BEFORE[word.group(1)]} {literal(f)}")
                used.add(k)
                thresholds.append((k, f, name))
                # 首次突破10亿元、30亿元、50亿元: the figures listed after it are thresholds of the same kind.
                last = end
                for j in range(k + 1, len(placed)):
                    s2, e2, f2 = placed[j]
                    if f2.kind != f.kind or not re.fullmatch(r"[\s、和及或]*", plain[last:s2]):
                        break
                    used.add(j)
                    thresholds.append((j, f2, name))
                    last = e2

    _grant(rule, t, placed, used, thresholds, fact)
    # 一次性, or a first time (首次取得认证, 首次实际交易): paid once. (The plain text reads 一次性 as 1次性.)
    if "一次性" in text or re.search(r"首次(?:取得|获得|认定|通过|实际)", text):
        rule.items.append("once")
    term = re.search(r"(?:补贴|支持|奖励|资助)?期限\s*(\d+)\s*年|连续\s*(\d+)\s*年", plain)
    if term:
        years = term.group(1) or term.group(2)
        rule.items.append(f"duration {years}年")
        used |= {
            k for k, (s, e, f) in enumerate(placed) if f.kind == "years" and s >= term.start() and e <= term.end() + 1
        }
    if re.search(
        r"(?:包括|含|扣除|剔除|抵扣)[^，。；,;]{0,16}?已(?:获得|发放|拨付|享受|发)[^，。；,;]{0,10}?(?:资金|奖励|补助|资助)",
        text,
    ):
        # 该项奖励包括已获得的扶持资金: what was paid before is deducted.
        names.setdefault("已获扶持资金", Input("已获扶持资金", "money", "此前已获的相关扶持资金"))
        rule.items.append("offset 已获扶持资金")
    if "晋级补差" in text:
        names.setdefault("已获晋级奖励", Input("已获晋级奖励", "money", "此前已获本条晋级奖励"))
        rule.items.append("topup 已获晋级奖励")
    left = [literal(f) for k, (_, _, f) in enumerate(placed) if k not in used]
    if left:
        rule.todos.append((left, "这些数额在规则中的作用未能确定，请按原文写出"))
    _same_facts(rule, names)
    rule.inputs = list(names.values())
    return rule


def _same_facts(rule: Rule, names: dict[str, Input]) -> None:
    """One fact named twice in a sentence (新材料企业年度研发投入500万元以上的，按照研发投入的10%): the longer name
    ends with the shorter and is of the same kind, so the rule uses the shorter."""
    for long in sorted(names, key=len, reverse=True):
        short = next(
            (n for n in names if n != long and len(n) >= 3 and long.endswith(n) and names[n].type == names[long].type),
            None,
        )
        if short is None:
            continue
        pattern = re.compile(rf"(?<![\w]){re.escape(long)}(?![\w])")
        rule.conditions = [pattern.sub(short, c) for c in rule.conditions]
        rule.grant = pattern.sub(short, rule.grant) if rule.grant else rule.grant
        rule.caps = [pattern.sub(short, c) for c in rule.caps]
        names[short].label = names[long].label  # the fuller words, for the form
        del names[long]


Threshold = tuple[int, Figure, str]  # a figure's index, the figure, the fact it bounds


def _grant(
    rule: Rule,
    t: _Text,
    placed: list[tuple[int, int, Figure]],
    used: set[int],
    thresholds: list[Threshold],
    fact: Callable[[str, Figure], str | None],
) -> None:
    """The grant and its caps, from the figures no condition took."""
    plain = t.plain
    if "一事一议" in t.text:  # (in the plain text 一事一议 reads as 1事1议)
        rule.grant = "一事一议"
    rates = []
    for k, (start, _, f) in enumerate(placed):
        if k in used or f.kind != "ratio":
            continue
        window = max(start - 44, 0)
        base = _RATE_BASE.search(plain[window:start])
        if base:
            group = "base" if base.group("base") else "bare"  # 按研发投入的30%, or 不超过研发投入30%
            printed = t.printed(window + base.start(group), window + base.end(group))
            # 按不超过并购企业对目标企业的实际出资额(支付现金部分)的5%: the base without its aside or its 不超过.
            printed = re.sub(r"[(（][^)）]*[)）]", "", re.sub(r"^(?:不超过|不高于|最高)", "", printed.strip()))
            name = fact(printed, Figure("", Decimal(1), "money", "CNY", None))
            if name is not None:
                rates.append((k, f, name))
        elif (
            rates
            and rates[-1][0] == k - 1
            and re.fullmatch(r"\s*(?:至|到|~|～|-|—|–)\s*", plain[placed[k - 1][1] : start])
        ):
            rates.append((k, f, rates[-1][2]))  # 15%~30%: the high end of a range of rates, of the same base
    amounts = [
        (k, s, e, f)
        for k, (s, e, f) in enumerate(placed)
        if k not in used and f.kind in ("money", "money_per_area") and not any(r[0] == k for r in rates)
    ]
    ceilings, given = [], []
    previous: tuple[str, int] | None = None  # what the amount before was, and where it ended
    for k, s, e, f in amounts:
        before = plain[max(s - 16, 0) : s]
        listed_after = previous is not None and re.fullmatch(r"[\s、和及或]*", plain[previous[1] : s]) is not None
        if listed_after and previous is not None and previous[0] == "given":
            given.append((k, s, f))  # 分别给予100万元、300万元、500万元: each listed amount is given
        elif _CEILING.search(before) or (listed_after and previous is not None and previous[0] == "ceiling"):
            ceilings.append((k, s, f, before))
        elif _GIVE.search(before) or _AWARD_AFTER.match(plain[e : e + 10]) or "股权投资" in before:
            given.append((k, s, f))
        else:
            previous = None
            continue
        previous = ("given" if given and given[-1][0] == k else "ceiling", e)
    listed = re.search(r"分别(?:给予|奖励|补助|资助|不超过)|最高分别", plain)
    paid: list[tuple[int, int, Figure]] = given if len(given) >= 2 else [(k, s, f) for k, s, f, _ in ceilings]
    by_category = _categories(t, paid)
    if not by_category and listed and not thresholds:
        # 对新认定的国家级、省级企业，分别给予最高50万元、30万元: the categories are listed before 分别.
        by_category = _listed(t, listed.start(), paid)
    if rule.grant is None and by_category and (len(given) >= 2 or (len(ceilings) >= 2 and not rates)):
        # 一类新药给予最高不超过200万元扶持，二类新药给予最高不超过100万元扶持: a table by category.
        rule.categories = [c for c, _, _ in by_category]
        rows = ", ".join(f"{c}: {literal(f)}" for c, _, f in by_category)
        rule.grant = ("" if len(given) >= 2 else "up to ") + f"by {{类别}} {{ {rows} }}"
        used |= {k for _, k, _ in by_category}
        ceilings = [c for c in ceilings if c[0] not in used]
    elif rates and len(ceilings) >= 2 and by_category and len(rates) == 1:
        rule.categories = [c for c, _, _ in by_category]
        rows = ", ".join(f"{c}: {literal(f)}" for c, _, f in by_category)
        rule.caps.append(f"cap by {{类别}} {{ {rows} }}")
        used |= {k for _, k, _ in by_category}
        ceilings = [c for c in ceilings if c[0] not in used]
    if rule.grant is None and len(rates) == 2 and rates[0][2] == rates[1][2]:
        (k1, f1, name), (k2, f2, _) = rates
        between = plain[placed[k1][1] : placed[k2][0]]
        if re.fullmatch(r"\s*(?:至|到|~|～|-|—|–)\s*", between):
            rule.grant = f"{name} × {literal(f1)} to {name} × {literal(f2)}"  # 按15%-30%: a range of rates
            used |= {k1, k2}
    if rule.grant is None and len(rates) == 2 and rates[0][2] != rates[1][2]:
        # 外资部分按照实际到账外资金额的2%…，内资部分按照实际投资额的1%: the sum of two rates of two bases.
        (k1, f1, a), (k2, f2, b) = rates
        rule.grant = f"{a} × {literal(f1)} + {b} × {literal(f2)}"
        used |= {k1, k2}
    if rule.grant is None and len(rates) == 1:
        k, f, name = rates[0]
        start = placed[k][0]
        # 不超过研发投入30%, 最高按照项目投资额的15%: the rate is the most, not what is paid.
        up_to = re.search(
            r"(?:不超过|不高于|最高|最多)(?:按(?:照)?[^，。；,;]{1,40}的)?[^，。；,;0-9]{0,6}$|按(?:照)?(?:不超过|不高于|最高)",
            plain[max(start - 48, 0) : start],
        )
        rule.grant = ("up to " if up_to else "") + f"{name} × {literal(f)}"
        used.add(k)
    elif rule.grant is None and listed and len(given) >= 2 and len(given) == len(thresholds):
        # 首次突破10亿元、30亿元、50亿元的 … 分别给予100万元、300万元、500万元: tiers by the thresholds.
        tier_rows = [
            f"    {c}: {literal(g[2])}" for c, g in zip(_tier_conditions(rule, thresholds), given, strict=True)
        ]
        rule.grant = "tiers {\n" + "\n".join(tier_rows) + "\n  }"
        rule.conditions = [c for c in rule.conditions if not any(c.startswith(th[2] + " ") for th in thresholds)]
        used |= {g[0] for g in given}
    elif rule.grant is None and len(given) == 1:
        rule.grant = _per_unit(t, given[0][1], literal(given[0][2]), fact)
        used.add(given[0][0])
    elif rule.grant is None and not given and len(ceilings) == 1 and not rates:
        k, s, f, _ = ceilings.pop()
        rule.grant = f"up to {_per_unit(t, s, literal(f), fact)}"
        used.add(k)
    span = re.search(
        r"(?P<a>\d+(?:\.\d+)?)\s*(?:万元|万|元)?\s*(?:至|到|~|～|-|—)\s*(?P<b>\d+(?:\.\d+)?)\s*万?元", plain
    )
    if rule.grant is None and span is not None:
        inside = [
            (k, f) for k, (s, e, f) in enumerate(placed) if s >= span.start() and e <= span.end() and f.kind == "money"
        ]
        if len(inside) == 2:
            rule.grant = f"{literal(inside[0][1])} to {literal(inside[1][1])}"
            used |= {inside[0][0], inside[1][0]}
    if rule.grant is None:
        return
    if "股权投资" in plain and " as " not in rule.grant:
        rule.grant += " as equity"  # 采取股权投资500万元的方式予以支持
    for k, s, f, _ in ceilings:
        if k in used:
            continue
        scopes = next((sc for pattern, sc in _SCOPES if pattern.search(plain[max(s - 16, 0) : s])), ())
        if not scopes and len(ceilings) == 1:
            # 生物医药产业单个项目,按照设备投资额的5%、最高1000万元: an item named earlier in the sentence.
            item = re.search(r"单个项目|单品种|单个品种|单个保单", plain[:s])
            scopes = (
                {"单个项目": ("per project",), "单个保单": ("per policy",)}.get(item.group(0), ("per product",))
                if item
                else ()
            )
        rule.caps.append(" ".join([f"cap {literal(f)}", *scopes]))
        used.add(k)


_CATEGORY_TAIL = re.compile(
    r"(?:给予|奖励|补助|资助|扶持|支持)?(?:单品种|单个品种|每个)?(?:最高|最多)?(?:不超过)?(?:给予|扶持|奖励|资助|补助|支持)?(?:资金)?$"
)


_SCOPE_WORDS = re.compile(r"每年|每个|每家|单个|单一|累计|每季度|每月|同一")


def _categories(t: _Text, amounts: list[tuple[int, int, Figure]]) -> list[tuple[str, int, Figure]]:
    """Each amount with the category named just before it (一类新药 in 一类新药最高扶持3000万元), when every amount
    has its own; otherwise none."""
    out = []
    for k, s, f in amounts:
        start = max(t.plain.rfind(ch, 0, s) for ch in "，,；;。、：:")
        phrase = _CATEGORY_TAIL.sub("", t.printed(start + 1, s).strip())
        name = name_of(phrase)
        if name is None or len(name) > 12 or re.search(r"\d", name) or _SCOPE_WORDS.search(name):
            return []  # (单个保单最高50万元，每家企业每年最高500万元: scopes of caps, not categories)
        out.append((name, k, f))
    return out if len(out) >= 2 and len({c for c, _, _ in out}) == len(out) else []


_PER_ITEM = re.compile(
    r"每(?:新增|增加)?(?:一|1)?(?P<unit>个|项|件|台|套|种|名|人)(?P<what>[\u4e00-\u9fa5（）()]{0,8}?)(?:给予|奖励|补助|资助|最高|$)"
)


def _per_unit(t: _Text, start: int, amount: str, fact: Callable[[str, Figure], str | None]) -> str:
    """An amount paid for each of something (每一种产品给予最高10万元): the amount times how many, a count."""
    m = _PER_ITEM.search(t.plain[max(start - 16, 0) : start])
    per_area = re.search(r"/(亩|平方米)$", amount)
    if per_area:
        # 给予园区3万元/亩奖励: so much a 亩 of the area of whom it is given to.
        who = re.search(r"给予([\u4e00-\u9fa5]{1,4}?)\s*$", t.plain[max(start - 8, 0) : start])
        area = Figure("", Decimal(1), "area", None, "mu" if per_area.group(1) == "亩" else "m2")
        name = fact(f"{who.group(1) if who else ''}面积", area)
        return f"{amount} × {name}" if name is not None else amount
    if m is None or m.group("what").startswith(("项目", "企业")):
        return amount  # (每新增一个项目认定给予10万元: the project applying, not a count of things)
    what = re.sub(r"[（(][^）)]*[）)]", "", m.group("what")) or m.group("unit")
    name = fact(f"{what}数", Figure("", Decimal(1), "number", None, None))
    return f"{amount} × {name}" if name is not None else amount


def _listed(t: _Text, before: int, amounts: list[tuple[int, int, Figure]]) -> list[tuple[str, int, Figure]]:
    """The amounts paired with a list of as many short names printed before `before` (国家级、省级)."""
    n = len(amounts)
    if n < 2:
        return []
    item = r"[“\"‘]?([\u4e00-\u9fa5A-Za-z]{1,10})[”\"’]?"  # 省级“独角兽”、“瞪羚”: quotes around a name
    found = list(re.finditer(item + rf"(?:[、和及或]{item})" * (n - 1), t.text[: t.spans[before][0]]))
    if not found:
        return []
    names = [
        name_of(
            re.sub(
                r"(?:不同|等次|等级|级别)+$",
                "",
                re.sub(r"^(?:被)?(?:新)?(?:创|认定为|认定|评为|获得|获评|列入)", "", g),
            )
        )
        for g in found[-1].groups()
    ]
    if any(x is None for x in names) or len(set(names)) != n:
        return []
    return [(str(name), k, f) for name, (k, _, f) in zip(names, amounts, strict=True)]


def _tier_conditions(rule: Rule, thresholds: list[Threshold]) -> list[str]:
    """Each threshold's condition for the row of a tier, with the word of the first (listed figures share it)."""
    first = next((c for c in rule.conditions if c.startswith(thresholds[0][2] + " ")), None)
    word = first.split(" ")[1] if first is not None and len(first.split(" ")) == 3 else "达到"
    return [f"{name} {word} {literal(f)}" for _, f, name in thresholds]
