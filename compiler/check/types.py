"""The types of values in a policy: quantities with units, dates, booleans, enumerations."""

from __future__ import annotations

import attrs

from pol.dsl.diagnostics import T, Text
from pol.dsl.units import AREA_NAMES, CNY, M2, MU, NUMBER, RATIO, USD, YEARS, Unit


@attrs.frozen
class QuantityT:
    """A number with a unit: money, area, money per area, ratio, years or a plain count."""

    unit: Unit

    def describe(self) -> str:
        return self.unit.describe()


@attrs.frozen
class DateT:
    """A calendar date."""

    def describe(self) -> str:
        return "日期"


@attrs.frozen
class BoolT:
    """Yes or no."""

    def describe(self) -> str:
        return "是/否"


@attrs.frozen
class EnumT:
    """One of the members of a declared enumeration."""

    name: str
    members: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.name}（{'、'.join(self.members)}）"


@attrs.frozen
class ErrorT:
    """The type of an expression already reported as wrong; silences follow-on errors."""

    def describe(self) -> str:
        return "?"


Ty = QuantityT | DateT | BoolT | EnumT | ErrorT

ERROR = ErrorT()
BOOL = BoolT()
DATE = DateT()
MONEY = QuantityT(CNY)

_CURRENCY_ARGS = {"元": "CNY", "人民币": "CNY", "CNY": "CNY", "美元": "USD", "USD": "USD"}
_AREA_ARGS = {"平方米": "m2", "m2": "m2", "㎡": "m2", "亩": "mu", "mu": "mu"}

# Type names a drafter may write, English and Chinese, before any argument.
SIMPLE_TYPES: dict[str, Ty] = {
    "money": MONEY,
    "金额": MONEY,
    "area": QuantityT(M2),
    "面积": QuantityT(M2),
    "ratio": QuantityT(RATIO),
    "比例": QuantityT(RATIO),
    "count": QuantityT(NUMBER),
    # A rank among peers (第几名, 1 for the first): a whole number, only compared (compiler/check/ranks.py).
    "rank": QuantityT(NUMBER),
    "排名": QuantityT(NUMBER),
    "名次": QuantityT(NUMBER),
    "number": QuantityT(NUMBER),
    "数量": QuantityT(NUMBER),
    "years": QuantityT(YEARS),
    "年数": QuantityT(YEARS),
    "date": DATE,
    "日期": DATE,
    "bool": BOOL,
    "是否": BOOL,
}


def resolve_type(name: str, arg: str | None, per: str | None) -> Ty | Text:
    """The type a `TypeRef` names, or a message saying why it names none."""
    base = SIMPLE_TYPES.get(name)
    if base is None:
        return T(f"未知的类型“{name}”", f"unknown type '{name}'")
    if not isinstance(base, QuantityT) or base.unit.kind not in ("money", "area"):
        if arg or per:
            return T(f"类型“{name}”不带单位", f"type '{name}' takes no unit")
        return base
    if base.unit.kind == "area":
        if per:
            return T(f"类型“{name}”不能按面积计", f"type '{name}' cannot be given per area")
        if arg is None:
            return base
        area = _AREA_ARGS.get(arg)
        if area is None:
            return T(f"未知的面积单位“{arg}”；请用平方米或亩", f"unknown area unit '{arg}'; use 平方米 or 亩")
        return QuantityT(MU if area == "mu" else M2)
    currency = "CNY"
    if arg is not None:
        if arg not in _CURRENCY_ARGS:
            return T(f"未知的币种“{arg}”；请用元或美元", f"unknown currency '{arg}'; use 元 or 美元")
        currency = _CURRENCY_ARGS[arg]
    if per is None:
        return QuantityT(USD if currency == "USD" else CNY)
    if per not in _AREA_ARGS:
        return T(f"未知的面积单位“{per}”；请用平方米或亩", f"unknown area unit '{per}'; use 平方米 or 亩")
    return QuantityT(Unit("money_per_area", currency, _AREA_ARGS[per]))


def type_keyword(ty: Ty) -> str:
    """How the type is written in a `.pol` file, for messages and generated docs."""
    match ty:
        case QuantityT(unit=u):
            if u.kind == "money":
                return "money(美元)" if u.currency == "USD" else "money"
            if u.kind == "area":
                return f"area({AREA_NAMES[u.area or 'm2']})"
            if u.kind == "money_per_area":
                return f"money/{AREA_NAMES[u.area or 'm2']}"
            return {"ratio": "ratio", "years": "years", "number": "count"}[u.kind]
        case DateT():
            return "date"
        case BoolT():
            return "bool"
        case EnumT(name=n):
            return n
        case _:
            return "?"
