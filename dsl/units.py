"""Units of measure and the parsing of literals such as `3000万`, `500万美元`, `3万元/亩`, `40%`."""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Literal

import attrs

from pol.compiler.runtime import AREA_NAMES, CURRENCY_NAMES, bounded, parse_quantity_text

Kind = Literal["money", "area", "money_per_area", "ratio", "years", "number"]


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


class UnitError(ValueError):
    """A literal whose number or unit cannot be understood."""


class RangeError(UnitError):
    """A literal too large, or with more decimals, than any amount pol computes with."""


def canonical(value: Decimal) -> Decimal:
    """The same number without trailing zeros after the point and never in exponent form."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return Decimal(format(value.normalize(), "f"))


# A policy writes the same few figures again and again (50%, 100万元); each is read once.
@functools.lru_cache(maxsize=4096)
def parse_quantity(text: str) -> tuple[Decimal, Unit]:
    """Parse a literal into its value in base units (元, 平方米, 亩, a fraction, years) and its unit."""
    try:
        value, kind, currency, area = parse_quantity_text(text)
    except ValueError as exc:
        raise UnitError(str(exc)) from None
    try:
        bounded(value, text)
    except ValueError as exc:
        raise RangeError(str(exc)) from None
    return canonical(value), Unit(kind, currency, area)  # type: ignore[arg-type]


_THRESHOLD = re.compile(r"(?P<q>.*?)\s*(?P<incl>[(（]含[)）])?\s*(?P<word>以上|以下|以内)$")


def split_threshold(text: str) -> tuple[str, str, bool]:
    """Split `500万元(含)以上` into the quantity text, the legal word and whether 含 was written."""
    m = _THRESHOLD.match(text)
    assert m, text
    return m.group("q"), m.group("word"), bool(m.group("incl"))
