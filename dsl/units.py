"""Units of measure and the parsing of literals such as `3000万`, `500万美元`, `3万元/亩`, `40%`."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

import attrs

Kind = Literal["money", "area", "money_per_area", "ratio", "years", "number"]

CURRENCY_NAMES = {"CNY": "元", "USD": "美元"}
AREA_NAMES = {"m2": "平方米", "mu": "亩"}


@attrs.frozen
class Unit:
    """The dimension of a quantity, with its currency and area unit where it has one."""

    kind: Kind
    currency: str | None = None
    area: str | None = None

    def describe(self) -> str:
        """A plain Chinese name for the unit, used in messages."""
        match self.kind:
            case "money":
                return f"金额（{CURRENCY_NAMES[self.currency or 'CNY']}）"
            case "area":
                return f"面积（{AREA_NAMES[self.area or 'm2']}）"
            case "money_per_area":
                return f"单价（{CURRENCY_NAMES[self.currency or 'CNY']}/{AREA_NAMES[self.area or 'm2']}）"
            case "ratio":
                return "比例"
            case "years":
                return "年数"
            case "number":
                return "数值"


CNY = Unit("money", "CNY")
USD = Unit("money", "USD")
RATIO = Unit("ratio")
NUMBER = Unit("number")
YEARS = Unit("years")
M2 = Unit("area", area="m2")
MU = Unit("area", area="mu")

_MULTIPLIERS = {"": 1, "万": 10_000, "亿": 100_000_000, "千万": 10_000_000, "百万": 1_000_000}
_CURRENCIES = {"元": "CNY", "美元": "USD"}
_AREAS = {"平方米": "m2", "㎡": "m2", "m²": "m2", "m2": "m2", "亩": "mu"}

_SUFFIX = re.compile(
    r"(?P<mult>千万|百万|万|亿)?(?P<cur>美元|元)?"
    r"(?:/(?P<per>平方米|㎡|m²|m2|亩))?"
    r"(?P<tail>%|％|平方米|㎡|m²|m2|亩|年)?"
)
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class UnitError(ValueError):
    """A literal whose number or unit cannot be understood."""


def canonical(value: Decimal) -> Decimal:
    """The same number without trailing zeros after the point and never in exponent form."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return Decimal(format(value.normalize(), "f"))


def parse_quantity(text: str) -> tuple[Decimal, Unit]:
    """Parse a literal into its value in base units (元, 平方米, 亩, a fraction, years) and its unit."""
    value, unit = _parse_quantity(text)
    return canonical(value), unit


def _parse_quantity(text: str) -> tuple[Decimal, Unit]:
    m = _NUMBER.match(text)
    if not m:
        raise UnitError(f"'{text}' is not a number")
    number = Decimal(m.group())
    suffix = text[m.end():]
    s = _SUFFIX.fullmatch(suffix)
    if s is None:
        raise UnitError(
            f"unknown unit '{suffix}' in '{text}'; units are 元, 万元, 亿元, 美元, 万美元, %, "
            "平方米, 亩, 年, and money per area such as 万元/亩"
        )
    mult, cur, per, tail = s.group("mult") or "", s.group("cur"), s.group("per"), s.group("tail")
    value = number * _MULTIPLIERS[mult]
    is_money = bool(mult or cur)
    if per:
        if not is_money or tail:
            raise UnitError(f"'{text}': only money can be given per area, as in 3万元/亩")
        return value, Unit("money_per_area", _CURRENCIES.get(cur or "元"), _AREAS[per])
    if tail is None:
        return value, Unit("money", _CURRENCIES.get(cur or "元")) if is_money else NUMBER
    if is_money:
        raise UnitError(f"'{text}' mixes money with '{tail}'")
    if tail in ("%", "％"):
        return number / 100, RATIO
    if tail == "年":
        return number, YEARS
    return number, Unit("area", area=_AREAS[tail])


_THRESHOLD = re.compile(r"(?P<q>.*?)\s*(?P<incl>[(（]含[)）])?\s*(?P<word>以上|以下|以内)$")


def split_threshold(text: str) -> tuple[str, str, bool]:
    """Split `500万元(含)以上` into the quantity text, the legal word and whether 含 was written."""
    m = _THRESHOLD.match(text)
    assert m, text
    return m.group("q"), m.group("word"), bool(m.group("incl"))
