"""The runtime of generated evaluators: exact arithmetic with explanation steps, facts validation, results.

This module imports nothing from the rest of pol, so `pol build` can ship it beside the evaluators it writes.

Rounding rule: every computation is exact (decimal arithmetic, 50 significant digits for the rare
division); a clause's final amount is rounded once, to the fen (0.01 元), half up (四舍五入).
"""

from __future__ import annotations

import datetime
import difflib
import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import Any, Iterable, Mapping

RUNTIME_VERSION = 1
CONTEXT = Context(prec=50, rounding=ROUND_HALF_UP)
FEN = Decimal("0.01")
ZERO = Decimal(0)
_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)

STATUS_TEXT = {
    "granted": "予以支持",
    "not_eligible": "不符合条件",
    "discretionary": "由主管部门在上限内确定",
    "case_by_case": "一事一议",
    "needs_facts": "需补充信息",
}

# ---------------------------------------------------------------- quantities: parsing and formatting

CURRENCY_NAMES = {"CNY": "元", "USD": "美元"}
AREA_NAMES = {"m2": "平方米", "mu": "亩"}
MULTIPLIERS = {"": 1, "万": 10_000, "亿": 100_000_000, "千万": 10_000_000, "百万": 1_000_000}
_CURRENCIES = {"元": "CNY", "美元": "USD"}
AREA_SPELLINGS = {"平方米": "m2", "㎡": "m2", "m²": "m2", "m2": "m2", "亩": "mu"}
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SUFFIX = re.compile(
    r"(?P<mult>千万|百万|万|亿)?(?P<cur>美元|元)?"
    r"(?:/(?P<per>平方米|㎡|m²|m2|亩))?"
    r"(?P<tail>%|％|平方米|㎡|m²|m2|亩|年)?"
)


def parse_quantity_text(text: str) -> tuple[Decimal, str, str | None, str | None]:
    """Parse `3000万`, `500万美元`, `3万元/亩`, `40%`, `500平方米`, `3年` into (value, kind, currency, area).

    Values are in base units: 元 (or 美元), 平方米 or 亩, a fraction for %, years.
    """
    m = _NUMBER.match(text)
    if not m:
        if _NUMBER.match(text.lstrip("-−")):
            raise ValueError(f"must not be negative, got {text!r}")
        raise ValueError(f"'{text}' is not a number")
    number = Decimal(m.group())
    suffix = text[m.end():]
    s = _SUFFIX.fullmatch(suffix)
    if s is None:
        raise ValueError(
            f"unknown unit '{suffix}' in '{text}'; units are 元, 万元, 亿元, 美元, 万美元, %, "
            "平方米, 亩, 年, and money per area such as 万元/亩"
        )
    mult, cur, per, tail = s.group("mult") or "", s.group("cur"), s.group("per"), s.group("tail")
    value = number * MULTIPLIERS[mult]
    is_money = bool(mult or cur)
    if per:
        if not is_money or tail:
            raise ValueError(f"'{text}': only money can be given per area, as in 3万元/亩")
        return value, "money_per_area", _CURRENCIES[cur or "元"], AREA_SPELLINGS[per]
    if tail is None:
        return (value, "money", _CURRENCIES[cur or "元"], None) if is_money else (value, "number", None, None)
    if is_money:
        raise ValueError(f"'{text}' mixes money with '{tail}'")
    if tail in ("%", "％"):
        return number / 100, "ratio", None, None
    if tail == "年":
        return number, "years", None, None
    return number, "area", None, AREA_SPELLINGS[tail]


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _scaled(value: Decimal, unit: Decimal) -> str | None:
    """`value / unit` written out, when that takes at most four decimals."""
    q = value / unit
    return _plain(q) if q == q.quantize(Decimal("0.0001")) else None


def format_money(value: Decimal, currency: str | None = "CNY") -> str:
    """Write an amount the way Chinese documents do: 1亿元, 4000万元, 15.5万元, 1234.56元."""
    name = CURRENCY_NAMES[currency or "CNY"]
    magnitude = abs(value)
    if magnitude >= _YI and (text := _scaled(value, _YI)) is not None:
        return f"{text}亿{name}"
    if magnitude >= _WAN and (text := _scaled(value, _WAN)) is not None:
        return f"{text}万{name}"
    return f"{_plain(value)}{name}"


def format_quantity(value: Any, kind: str, currency: str | None = None, area: str | None = None) -> str:
    """Write a value of any kind for a person to read."""
    if kind == "money":
        return format_money(value, currency)
    if kind == "money_per_area":
        return f"{format_money(value, currency)}/{AREA_NAMES[area or 'm2']}"
    if kind == "area":
        return f"{_plain(value)}{AREA_NAMES[area or 'm2']}"
    if kind == "ratio":
        return f"{_plain(value * 100)}%"
    if kind == "years":
        return f"{_plain(value)}年"
    if kind == "number":
        return _plain(value)
    if kind == "bool":
        return "是" if value else "否"
    if kind == "date":
        return value.isoformat()
    return str(value)


def format_value(value: Any, unit: tuple[str, str | None, str | None]) -> str:
    return format_quantity(value, *unit)


# ---------------------------------------------------------------- inputs and facts


class Input:
    """A fact an evaluator needs: its name, kind, unit, Chinese label and, for enumerations, its members."""

    __slots__ = ("name", "kind", "currency", "area", "label", "members", "default")

    def __init__(self, name: str, kind: str, currency: str | None, area: str | None, label: str,
                 members: tuple[str, ...] | None = None, default: Any = None):
        self.name, self.kind, self.currency, self.area = name, kind, currency, area
        self.label, self.members, self.default = label, members, default

    def describe(self) -> str:
        if self.kind == "enum":
            return "one of " + "、".join(self.members or ())
        return {
            "money": f"an amount in {CURRENCY_NAMES.get(self.currency or 'CNY')}, such as \"3000万{CURRENCY_NAMES.get(self.currency or 'CNY')}\"",
            "area": f"an area in {AREA_NAMES.get(self.area or 'm2')}",
            "money_per_area": f"money per {AREA_NAMES.get(self.area or 'm2')}, such as \"3万元/{AREA_NAMES.get(self.area or 'm2')}\"",
            "ratio": "a percentage such as \"40%\"",
            "years": "a number of years",
            "number": "a whole number",
            "date": "a date such as \"2021-11-01\"",
            "bool": "true or false",
        }[self.kind]


class FactsError(ValueError):
    """The facts given for an evaluation do not fit the policy's inputs; `problems` names each bad field."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _to_number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or isinstance(raw, float):
        return None
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    return None


def read_fact(spec: Input, raw: Any) -> Any:
    """Convert one raw fact to its value, or raise ValueError saying what is wrong with it."""
    kind = spec.kind
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if raw in ("是", "否"):
            return raw == "是"
        raise ValueError(f"expected {spec.describe()}, got {raw!r}")
    if kind == "enum":
        if isinstance(raw, str) and raw in (spec.members or ()):
            return raw
        close = difflib.get_close_matches(str(raw), list(spec.members or ()), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"{raw!r} is not {spec.describe()}{hint}")
    if kind == "date":
        if isinstance(raw, datetime.date):
            return raw
        try:
            return datetime.date.fromisoformat(str(raw))
        except ValueError:
            raise ValueError(f"expected {spec.describe()}, got {raw!r}") from None
    if isinstance(raw, float):
        raise ValueError(f"got the binary float {raw!r}; give numbers as JSON numbers or strings, never floats, "
                         "so amounts stay exact")
    value = _to_number(raw)
    if value is None:
        if not isinstance(raw, str):
            raise ValueError(f"expected {spec.describe()}, got {raw!r}")
        try:
            value, got_kind, currency, area = parse_quantity_text(raw.strip())
        except (ValueError, InvalidOperation) as exc:
            raise ValueError(f"{exc}") from None
        want = (kind, spec.currency, spec.area)
        if got_kind == "number":
            if kind in ("ratio",):
                raise ValueError(f"write a percentage with %, as in \"40%\", not {raw!r}")
        elif (got_kind, currency, area) != want and not (kind == "number" and got_kind == "years"):
            got = format_quantity(Decimal(1), got_kind, currency, area).lstrip("1")
            raise ValueError(f"expected {spec.describe()}, got {raw!r} in {got or got_kind}")
    if not value.is_finite():
        raise ValueError(f"expected {spec.describe()}, got {raw!r}")
    if value < 0:
        raise ValueError(f"must not be negative, got {raw!r}")
    if kind == "number" and value != value.to_integral_value():
        raise ValueError(f"expected a whole number, got {raw!r}")
    return value


def read_facts(inputs: Mapping[str, Input], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and convert an applicant's facts; raises FactsError naming every bad field at once."""
    if not isinstance(raw, Mapping):
        raise FactsError([f"facts must be an object of field names to values, got {type(raw).__name__}"])
    facts: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in raw.items():
        spec = inputs.get(name)
        if spec is None:
            close = difflib.get_close_matches(str(name), list(inputs), n=1)
            problems.append(f"{name}: not an input of this policy" + (f"; did you mean '{close[0]}'?" if close else ""))
            continue
        if value is None:
            continue
        try:
            facts[name] = read_fact(spec, value)
        except ValueError as exc:
            problems.append(f"{name} ({spec.label}): {exc}")
    if problems:
        raise FactsError(problems)
    return with_defaults(inputs, facts)


def with_defaults(inputs: Mapping[str, Input], facts: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of already validated facts, with the declared default of every input not given."""
    out = dict(facts)
    for name, spec in inputs.items():
        if spec.default is not None and name not in out:
            out[name] = spec.default
    return out


# ---------------------------------------------------------------- explanation traces


class Trace:
    """The steps of one clause's evaluation, recorded cheaply and written out in Chinese only when asked."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps: list[tuple[Any, ...]] = []

    def cond(self, ok: bool, text: str, shown: tuple[tuple[str, Any], ...], facts: Mapping[str, Any]) -> bool:
        """Record a condition's verdict; the facts it mentions are looked up only if the step is written out."""
        self.steps.append(("cond", ok, text, shown, facts))
        return ok

    def mul(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        r = a * b
        self.steps.append(("op", "×", a, b, r, da, db, unit))
        return r

    def div(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        if not b:
            raise ZeroDivisionError(db[0] or "divisor")
        r = a / b
        self.steps.append(("op", "÷", a, b, r, da, db, unit))
        return r

    def add(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        r = a + b
        self.steps.append(("op", "+", a, b, r, da, db, unit))
        return r

    def sub(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        r = a - b
        self.steps.append(("op", "−", a, b, r, da, db, unit))
        return r

    def least(self, values: tuple[Decimal, ...], labels: tuple[tuple[Any, ...], ...], unit: tuple[Any, ...]) -> Decimal:
        r = min(values)
        i = values.index(r)
        if i:
            self.steps.append(("least", values[0], labels[0], r, labels[i], unit))
        return r

    def most(self, values: tuple[Decimal, ...], labels: tuple[tuple[Any, ...], ...], unit: tuple[Any, ...]) -> Decimal:
        r = max(values)
        i = values.index(r)
        if i:
            self.steps.append(("most", values[0], labels[0], r, labels[i], unit))
        return r

    def row(self, key_label: str, key: Any, key_unit: tuple[Any, ...], value: Any, unit: tuple[Any, ...]) -> Any:
        self.steps.append(("row", key_label, key, key_unit, value, unit))
        return value

    def tier(self, number: int, text: str, value: Any, unit: tuple[Any, ...]) -> Any:
        self.steps.append(("tier", number, text, value, unit))
        return value

    def cap(self, amount: Decimal, limit: Decimal, label: str, worked: Trace | None = None) -> Decimal:
        """The amount, limited by a cap; `worked` holds the steps that computed the cap, shown if it binds."""
        if limit < 0:
            limit = ZERO
        if amount > limit:
            if worked is not None:
                self.steps.extend(worked.steps)
            self.steps.append(("cap", amount, limit, label))
            return limit
        return amount

    def offset(self, amount: Decimal, paid: Decimal, label: str, kind: str) -> Decimal:
        r = amount - paid
        if r < 0:
            r = ZERO
        self.steps.append(("offset", amount, paid, r, label, kind))
        return r

    def note(self, text: str) -> None:
        self.steps.append(("note", text))

    def lines(self) -> list[str]:
        return [_explain(s) for s in self.steps]


class _Discard(list):  # type: ignore[type-arg]
    """A list that keeps nothing appended to it."""

    def append(self, item: Any) -> None:
        pass


# A trace that computes like any other but keeps no steps: for values explained by their label alone.
QUIET = Trace()
QUIET.steps = _Discard()


class NoRow(Exception):
    """No row of a table or tier applies to the facts: the clause gives nothing."""


def _described(value: Any, desc: tuple[Any, ...], unit: tuple[Any, ...]) -> str:
    """A value with its name if it has one: '临床研发费用 1亿元', or just '40%'."""
    label, vunit = desc
    text = format_value(value, vunit or unit)
    return f"{label} {text}" if label else text


def _explain(step: tuple[Any, ...]) -> str:
    kind = step[0]
    if kind == "cond":
        _, ok, text, shown, values = step
        facts = "，".join(f"{label}为{format_value(values[label], u)}" for label, u in shown if label in values)
        verdict = "符合" if ok else "不符合"
        return f"{facts}：{verdict}“{text}”" if facts else f"{verdict}“{text}”"
    if kind == "op":
        _, sym, a, b, r, da, db, unit = step
        return f"{_described(a, da, unit)} {sym} {_described(b, db, unit)} = {format_value(r, unit)}"
    if kind in ("least", "most"):
        _, first, first_label, r, label, unit = step
        word = "超过" if kind == "least" else "低于"
        return f"{_described(first, first_label, unit)}{word}{_described(r, label, unit)}，按 {format_value(r, unit)} 计"
    if kind == "row":
        _, key_label, key, key_unit, value, unit = step
        return f"{key_label}为{format_value(key, key_unit)}，适用 {format_value(value, unit)}"
    if kind == "tier":
        _, number, text, value, unit = step
        return f"符合第{number}档“{text}”，适用 {format_value(value, unit)}"
    if kind == "cap":
        _, amount, limit, label = step
        return f"{format_money(amount)} 超过{label} {format_money(limit)}，按 {format_money(limit)} 计"
    if kind == "offset":
        _, amount, paid, r, label, how = step
        principle = "按照晋级补差原则，" if how == "topup" else ""
        return f"{principle}{format_money(amount)} 扣除{label} {format_money(paid)}，为 {format_money(r)}"
    if kind == "note":
        return step[1]
    return repr(step)


# ---------------------------------------------------------------- results


# The kinds of support that are money paid out: no `as …`, or `as cash`.
CASH = (None, "资金")


class Clause:
    """What the evaluator knows of a clause before evaluating it."""

    __slots__ = ("id", "article", "title", "beneficiary", "support", "line", "parties")

    def __init__(self, id: str, article: str | None, title: str | None, beneficiary: str | None,
                 support: str | None, line: int, parties: tuple[str, ...] = ()):
        self.id, self.article, self.title, self.beneficiary = id, article, title, beneficiary
        self.support, self.line, self.parties = support, line, parties


class ClauseResult:
    """The outcome of one clause for one applicant, with the steps that led to it."""

    __slots__ = ("clause", "status", "amount", "max_amount", "min_amount", "missing", "trace")

    def __init__(self, clause: Clause, status: str, trace: Trace, amount: Decimal | None = None,
                 max_amount: Decimal | None = None, min_amount: Decimal | None = None,
                 missing: tuple[str, ...] = ()):
        self.clause, self.status, self.trace = clause, status, trace
        self.amount, self.max_amount, self.min_amount, self.missing = amount, max_amount, min_amount, missing

    @property
    def id(self) -> str:
        return self.clause.id

    @property
    def explanation(self) -> list[str]:
        lines = self.trace.lines()
        if self.status == "needs_facts":
            lines.append("需补充：" + "、".join(self.missing))
        elif self.status == "granted" and self.amount is not None:
            lines.append(f"应得 {format_money(self.amount)}")
        elif self.status == "discretionary":
            if self.min_amount is not None and self.max_amount is not None:
                lines.append(f"由主管部门在 {format_money(self.min_amount)} 至 {format_money(self.max_amount)} 之间确定")
            elif self.max_amount is not None:
                lines.append(f"最高 {format_money(self.max_amount)}，具体金额由主管部门确定")
        elif self.status == "case_by_case":
            top = f"，最高 {format_money(self.max_amount)}" if self.max_amount is not None else ""
            lines.append(f"采取“一事一议”方式确定{top}")
        if self.clause.parties and self.status in ("granted", "discretionary"):
            lines.append("、".join(self.clause.parties) + "各自按此计算")
        return lines

    def to_json(self) -> dict[str, Any]:
        def money(v: Decimal | None) -> str | None:
            return None if v is None else str(v.quantize(FEN))

        return {
            "id": self.clause.id,
            "article": self.clause.article,
            "title": self.clause.title,
            "status": self.status,
            "amount": money(self.amount),
            "max_amount": money(self.max_amount),
            "min_amount": money(self.min_amount),
            "beneficiary": self.clause.beneficiary,
            "parties": list(self.clause.parties),
            "support": self.clause.support,
            "missing": list(self.missing),
            "explanation": self.explanation,
        }


def finish(clause: Clause, trace: Trace, mode: str, amount: Decimal | None,
           low: Decimal | None = None) -> ClauseResult:
    """Round the computed amount to the fen and give it the status its grant mode calls for."""
    if amount is not None:
        amount = amount.quantize(FEN, rounding=ROUND_HALF_UP)
    if low is not None:
        low = low.quantize(FEN, rounding=ROUND_HALF_UP)
        if amount is not None and low > amount:
            low = amount
    if mode == "exact":
        return ClauseResult(clause, "granted", trace, amount=amount, max_amount=amount)
    if mode == "case_by_case":
        return ClauseResult(clause, "case_by_case", trace, max_amount=amount)
    return ClauseResult(clause, "discretionary", trace, max_amount=amount, min_amount=low)


def underlying(missing: Iterable[str], let_inputs: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The inputs behind missing names: a missing definition stands for the inputs it is computed from."""
    out: set[str] = set()
    for name in missing:
        out.update(let_inputs.get(name) or (name,))
    return out


def out_of_force(clause: Clause, reason: str) -> ClauseResult:
    """The result of a clause of a policy that is not in force on the evaluation date."""
    trace = Trace()
    trace.note(reason)
    return ClauseResult(clause, "not_eligible", trace)


def not_eligible(clause: Clause, trace: Trace) -> ClauseResult:
    return ClauseResult(clause, "not_eligible", trace)


def needs_facts(clause: Clause, trace: Trace, missing: Iterable[str]) -> ClauseResult:
    return ClauseResult(clause, "needs_facts", trace, missing=tuple(sorted(set(missing))))


class Limit:
    """A limit on the sum of several clauses' amounts, such as a per-enterprise yearly total."""

    __slots__ = ("amount", "clauses", "label")

    def __init__(self, amount: Decimal, clauses: tuple[str, ...] | None, label: str):
        self.amount, self.clauses, self.label = amount, clauses, label


class Evaluation:
    """Every clause's result for one applicant, and the totals after the document's limits."""

    __slots__ = ("policy", "title", "as_of", "results", "determined", "maximum", "in_kind", "notes", "limits")

    def __init__(self, policy: str, title: str, as_of: datetime.date, results: list[ClauseResult],
                 limits: Iterable[Limit]):
        self.policy, self.title, self.as_of, self.results = policy, title, as_of, results
        self.limits = tuple(limits)  # with the applicant's facts applied, for callers that keep a ledger
        self.notes: list[str] = []
        offered = [r for r in results if r.status in ("granted", "discretionary") and r.max_amount is not None]
        # Equity, tax refunds and services are not money paid out, so the cash totals leave them out
        # and they are summed by kind instead.
        cash = [r for r in offered if r.clause.support in CASH]
        determined = {r.id: r.amount for r in cash if r.status == "granted" and r.amount is not None}
        maximum = {r.id: r.max_amount for r in cash}
        self.determined = self._limited(determined, self.limits, "确定金额")
        self.maximum = self._limited(maximum, self.limits, "最高金额")
        self.in_kind: dict[str, Decimal] = {}
        for r in offered:
            if r.clause.support not in CASH:
                self.in_kind[r.clause.support] = self.in_kind.get(r.clause.support, ZERO) + r.max_amount
        for kind, amount in self.in_kind.items():
            self.notes.append(f"另有{kind} {format_money(amount)}（最高），不计入资金合计")

    def _limited(self, amounts: dict[str, Decimal], limits: Iterable[Limit], what: str) -> Decimal:
        total = sum(amounts.values(), ZERO)
        for lim in limits:
            covered = amounts if lim.clauses is None else {k: v for k, v in amounts.items() if k in lim.clauses}
            subtotal = sum(covered.values(), ZERO)
            if subtotal > lim.amount:
                total -= subtotal - lim.amount
                self.notes.append(f"{what}合计 {format_money(subtotal)} 超过{lim.label} {format_money(lim.amount)}，"
                                  f"按 {format_money(lim.amount)} 计")
        return total

    def result(self, clause_id: str) -> ClauseResult:
        return next(r for r in self.results if r.id == clause_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "clauses": [r.to_json() for r in self.results],
            "totals": {
                "determined": str(self.determined.quantize(FEN)),
                "maximum": str(self.maximum.quantize(FEN)),
                "in_kind": {kind: str(v.quantize(FEN)) for kind, v in self.in_kind.items()},
                "explanation": list(self.notes),
            },
        }


def in_force(as_of: datetime.date, effective: datetime.date | None, expires: datetime.date | None) -> str | None:
    """Why the policy is not in force on `as_of`, or None when it is."""
    if effective is not None and as_of < effective:
        return f"政策自 {effective.isoformat()} 起施行，{as_of.isoformat()} 尚未施行"
    if expires is not None and as_of > expires:
        return f"政策有效期至 {expires.isoformat()}，{as_of.isoformat()} 已失效"
    return None


def exact() -> Any:
    """The decimal context every evaluation runs in."""
    return localcontext(CONTEXT)
