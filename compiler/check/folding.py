"""Constant values and bounds read off expressions without running them, and figures shown in messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from decimal import Decimal

from pol.compiler.check.types import BoolT, DateT, EnumT, ErrorT, QuantityT, Ty
from pol.dsl import ast
from pol.dsl.diagnostics import T, Text
from pol.dsl.units import CNY, RATIO, Unit
from pol.dsl.words import POSTFIX_WORDS


def format_figure(value: Decimal, unit: Unit) -> str:
    from pol.compiler.runtime import format_quantity  # the runtime owns number formatting

    return format_quantity(value, unit.kind, unit.currency, unit.area)


def constant(e: ast.Expr) -> Decimal | None:
    """The value of an expression made only of literals, else None."""
    match e:
        case ast.Quantity(value=v):
            return v
        case ast.BinOp(op=op, left=left, right=right):
            a, b = constant(left), constant(right)
            if a is None or b is None:
                return None
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "every":
                return max(a, Decimal(0)) // b if b > 0 else None
            return a / b if b else None
        case _:
            return None


def upper_bound(e: ast.Expr) -> Decimal | None:
    """The largest value an expression can take, where that is fixed by the text; None when unbounded."""
    match e:
        case ast.ByTable(entries=entries, default=default):
            values = [upper_bound(x.value) for x in entries] + ([upper_bound(default)] if default is not None else [])
            return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]
        case ast.Tiers(entries=entries):
            values = [upper_bound(t.value) for t in entries]
            return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]
        case ast.Call(func="min", args=args):
            bounded = [v for v in (upper_bound(a) for a in args) if v is not None]
            return min(bounded) if bounded else None
        case _:
            return constant(e)


def lower_bound(e: ast.Expr, lets: dict[str, ast.Expr], seen: set[str]) -> Decimal | None:
    """The smallest value an expression can take, given that facts are never negative; None when unbounded."""
    match e:
        case ast.Quantity(value=v):
            return v
        case ast.Name(id=name):
            if name in lets:
                # A cycle is POL501's to report; it proves nothing here.
                return Decimal(0) if name in seen else lower_bound(lets[name], lets, seen | {name})
            return Decimal(0)
        case ast.BinOp(op="every"):
            return Decimal(0)  # a count of whole steps is never negative
        case ast.BinOp(op=op, left=left, right=right):
            a, b = lower_bound(left, lets, seen), lower_bound(right, lets, seen)
            if op == "-":
                most = upper_bound(right)
                return None if a is None or most is None else a - most
            if a is None or b is None:
                return None
            if op == "+":
                return a + b
            return a * b if op == "*" and a >= 0 and b >= 0 else Decimal(0) if a >= 0 and b >= 0 else None
        case ast.Call(func=func, args=args):
            lows = [lower_bound(a, lets, seen) for a in args]
            if func == "min":
                return None if any(v is None for v in lows) else min(lows)  # type: ignore[type-var]
            known = [v for v in lows if v is not None]
            return max(known) if known else None
        case ast.ByTable(entries=entries, default=default):
            lows = [lower_bound(x.value, lets, seen) for x in entries]
            lows += [lower_bound(default, lets, seen)] if default is not None else []
            return None if any(v is None for v in lows) else min(lows)  # type: ignore[type-var]
        case ast.Tiers(entries=entries):
            lows = [lower_bound(t.value, lets, seen) for t in entries]
            return None if any(v is None for v in lows) else min(lows)  # type: ignore[type-var]
    return None


def key_text(k: ast.Expr) -> str:
    match k:
        case ast.Name(id=i):
            return i
        case ast.Quantity(text=t):
            return t
        case ast.BoolLit(value=v):
            return "true" if v else "false"
        case _:
            return "?"


def tier_bounds(cond: ast.Expr) -> dict[str, dict[str, tuple[Decimal, ast.Compare]]]:
    """Lower and upper thresholds on names in a tier condition: {"low": {name: (value, cmp)}, "high": …}."""
    out: dict[str, dict[str, tuple[Decimal, ast.Compare]]] = {"low": {}, "high": {}}
    items = cond.items if isinstance(cond, ast.And) else (cond,)
    for item in items:
        if isinstance(item, ast.Compare) and isinstance(item.left, ast.Name):
            v = constant(item.right)
            if v is None:
                continue
            if item.op in (">=", ">"):
                out["low"][item.left.id] = (v, item)
            elif item.op in ("<=", "<"):
                out["high"][item.left.id] = (v, item)
    return out


def show_value(c: ast.Compare) -> str:
    return c.right.text if isinstance(c.right, ast.Quantity) else "?"


def show_compare(c: ast.Compare) -> str:
    value = show_value(c)
    if c.word == "前":
        return f"前{value}名"
    return f"{value}{c.word}" if c.word in POSTFIX_WORDS else f"{c.word} {value}"


def money_text(v: Decimal) -> str:
    return format_figure(v, CNY)


def percent_text(v: Decimal) -> str:
    return format_figure(v, RATIO)


def literal_fits(value: ast.Expr, ty: Ty) -> Text | None:
    """Why a literal fact cannot be a value of `ty`, or None when it can."""
    match ty:
        case ErrorT():
            return None
        case QuantityT(unit=unit):
            if not isinstance(value, ast.Quantity):
                shown = type(value).__name__.lower()
                return T(f"应为{unit.describe()}，却是 {shown}", f"expected {unit.describe()}, got {shown}")
            got = value.unit
            zero = got.kind == "number" and value.value == 0  # nothing is nothing in any unit
            if got == unit or zero or {got.kind, unit.kind} <= {"number", "years"}:
                if unit.kind == "number" and value.value != value.value.to_integral_value():
                    return T(
                        f"个数必须是整数，而不是 {value.text}", f"a count must be a whole number, not {value.text}"
                    )
                return None
            return T(
                f"应为{unit.describe()}，却是“{value.text}”，即{got.describe()}",
                f"expected {unit.describe()}, got '{value.text}' which is {got.describe()}",
            )
        case DateT():
            if isinstance(value, ast.DateLit):
                return None
            return T("应为日期，例如 2021-11-01", "expected a date such as 2021-11-01")
        case BoolT():
            if isinstance(value, ast.BoolLit):
                return None
            return T("应为 true 或 false（是/否）", "expected true or false (是/否)")
        case EnumT(members=members):
            if isinstance(value, ast.Name) and value.id in members:
                return None
            shown = value.id if isinstance(value, ast.Name) else getattr(value, "text", "?")
            close = did_you_mean(str(shown), members)
            return T(
                f"“{shown}”不是{'、'.join(members)}之一" + "".join(f"（{n.zh}）" for n in close),
                f"'{shown}' is not one of {', '.join(members)}" + "".join(f" ({n.en})" for n in close),
            )
        case _:
            return T("意外的值", "unexpected value")


def did_you_mean(word: str, candidates: Iterable[str]) -> tuple[Text, ...]:
    """The closest known word as a note, if one is close enough."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return (T(f"是不是“{close[0]}”？", f"did you mean '{close[0]}'?"),) if close else ()
