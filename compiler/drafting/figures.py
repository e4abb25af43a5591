"""Figures printed in policy texts: every amount, rate, area and term, however it is written (3000万元, 三千万元,
百分之四十, 1,000万元, 500万(或进口1500万)美元), read into exact values with their units."""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable
from decimal import Decimal

import attrs

from pol.dsl.units import UnitError, parse_quantity

NUM = r"\d+(?:\.\d+)?"
# A unit as printed in the documents; 万/亿 alone (奖励 20 万) are money unless an area or 年 follows.
UNIT = (
    r"(?:(?:万|亿|千万|百万)?美元|(?:万|亿|千万|百万)?元(?:\s*/\s*(?:亩|平方米))?|[%％]|平方米|㎡|亩"
    r"|年(?![度月级]|期(?!满))|万(?![亩人家个平])|亿(?![亩人家个]))"
)
# `100~400万元` and `15%~30%`: a bare first number takes the second number's unit.
_FIGURE = re.compile(rf"(?<![\d.])(?P<a>{NUM})\s*(?P<ua>{UNIT})?(?:\s*[~～—–\-至到]\s*(?P<b>{NUM})\s*(?P<ub>{UNIT}))?")

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


def read_figure(number: str, unit: str, printed: str) -> Figure | None:
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
    return [f for _, _, f in placed_figures(text)[1]]


def placed_figures(text: str) -> tuple[str, list[tuple[int, int, Figure]]]:
    """The text in Arabic digits, and each figure in it with where it is in that text."""
    found: list[tuple[int, int, Figure]] = []
    plain, spans = arabic(text)

    def printed(start: int, end: int) -> str:
        return text[spans[start][0] : spans[end - 1][1]] if end > start else ""

    for m in _FIGURE.finditer(plain):
        a, ua, b, ub = m.group("a", "ua", "b", "ub")
        if b is not None:
            first_end = m.start() + len(m.group().split(b)[0].rstrip(" ~～—–-至到"))
            first = read_figure(a, ua or ub, printed(m.start(), first_end))
            second = read_figure(b, ub, printed(m.start("b"), m.end()))
            if second is None or (ua is None and first is None):
                continue
            if first is not None:
                found.append((m.start(), first_end, first))
            found.append((m.start("b"), m.end(), second))
        elif ua is not None:
            if ua in ("万", "亿", "千万", "百万") and _CURRENCY_LATER.match(plain, m.end()):
                ua += "美元"  # 500万(或进口1500万)美元: the currency printed after the parenthesis is theirs too
            f = read_figure(a, ua, printed(m.start(), m.end()))
            if f is not None:
                found.append((m.start(), m.end(), f))
    return plain, found
