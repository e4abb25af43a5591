"""The runtime of generated evaluators: exact arithmetic with explanation steps, facts validation, results.

This module imports nothing from the rest of pol, so `pol build` can ship it beside the evaluators it writes.

Rounding rule: every computation is exact (decimal arithmetic, 50 significant digits for the rare
division); a clause's final amount is rounded once, to the fen (0.01 元), half up (四舍五入).
"""

from __future__ import annotations

import datetime
import difflib
import enum
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import Any

RUNTIME_VERSION = 3
CONTEXT = Context(prec=50, rounding=ROUND_HALF_UP)
FEN = Decimal("0.01")
ZERO = Decimal(0)
_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)


class Status(enum.StrEnum):
    """What a clause offers an applicant; each equals its JSON string, so `status == "granted"` holds."""

    GRANTED = "granted"  # an exact amount
    DISCRETIONARY = "discretionary"  # an amount the department sets, up to a maximum (or within a range)
    CASE_BY_CASE = "case_by_case"  # 一事一议
    NEEDS_FACTS = "needs_facts"  # facts are missing to decide
    NOT_ELIGIBLE = "not_eligible"
    EXPIRED = "expired"  # the policy is no longer in force on the evaluation date
    NOT_YET_EFFECTIVE = "not_yet_effective"


STATUS_TEXT = {
    "granted": "予以支持",
    "not_eligible": "不符合条件",
    "discretionary": "由主管部门在上限内确定",
    "case_by_case": "一事一议",
    "needs_facts": "需补充信息",
    "expired": "政策已失效",
    "not_yet_effective": "政策尚未施行",
}

# Facts pol reads: amounts below 1000万亿 in their base unit, with at most 6 decimal places, and text of at
# most 64 characters. Nothing real comes near these bounds; they keep hostile input (1E+60, 1E-999999999,
# a million digits) from hanging an explanation or overflowing an engine's DECIMAL(38, 2).
MAX_VALUE = Decimal(10) ** 15
MAX_PLACES = 6
MAX_TEXT = 64
# A facts object with more fields than this is refused before any field is looked at.
MAX_FIELDS = 10_000
# Fields reported by name before the rest are only counted, so a hostile file cannot make pol slow or loud.
MAX_PROBLEMS = 50

# ---------------------------------------------------------------- quantities: parsing and formatting

CURRENCY_NAMES = {"CNY": "元", "USD": "美元"}
AREA_NAMES = {"m2": "平方米", "mu": "亩"}
MULTIPLIERS = {"": 1, "万": 10_000, "亿": 100_000_000, "千万": 10_000_000, "百万": 1_000_000}
_CURRENCIES = {"元": "CNY", "美元": "USD"}
AREA_SPELLINGS = {"平方米": "m2", "㎡": "m2", "m²": "m2", "m2": "m2", "亩": "mu"}
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SUFFIX = re.compile(
    r"(?P<mult>千万|百万|万|亿)?(?P<cur>美元|元)?"
    r"(?:/(?P<per>平方米|㎡|m²|m2|亩)(?:[·/](?P<time>年|月|天|日))?)?"
    r"(?P<tail>%|％|平方米|㎡|m²|m2|亩|年)?"
)
# A rent given per month or per day, converted to the per-year price the evaluators compute with.
PER_YEAR = {None: 1, "年": 1, "月": 12, "天": 365, "日": 365}
_GROUPED = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
_SPACE_BEFORE_UNIT = re.compile(r"(?<=[0-9])\s+(?=[^0-9\s])")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # a date fact, as JSON Schema's "date" format


# Chinese and financial numerals as people write a figure (三千万, 一亿五千万, 壹佰万, 十二点五, 百分之四十):
# sections of 千百十 digits, grouped by 亿 and 万. The pattern is strict (万 alone or 三三 is not a number),
# and the JSON Schema of the facts and the JavaScript runtime use the same one, so all three read alike.
_CN_DIGITS = {c: i for i, cs in enumerate(("零〇", "一壹", "二贰两", "三叁", "四肆", "五伍", "六陆", "七柒", "八捌", "九玖"))
              for c in cs}  # fmt: skip
_CN_POWERS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_D = "[零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖]"
_CN_SECTION = f"(?:{_D}[千仟])?(?:零?{_D}[百佰])?(?:零?{_D}?[十拾])?(?:零?{_D})?"
CN_INTEGER = f"(?=[十拾]|{_D})(?:{_CN_SECTION}亿)?(?:{_CN_SECTION}万)?{_CN_SECTION}"
CN_NUMBER = f"{CN_INTEGER}(?:点{_D}+)?"
_CN_FIGURE = re.compile(f"(?P<pct>百分之)?(?:(?P<cn>{CN_NUMBER})(?![0-9.])|(?P<arabic>[0-9]+(?:\\.[0-9]+)?))")
_TRADITIONAL = str.maketrans({"萬": "万", "億": "亿"})


def cn_number(numeral: str) -> Decimal:
    """The value of a Chinese numeral that matches CN_NUMBER: 一亿五千万 → 150000000, 十二点五 → 12.5."""
    whole, _, decimals = numeral.partition("点")
    total = section = 0
    digit: int | None = None
    for ch in whole:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_POWERS:
            section += (1 if digit is None else digit) * _CN_POWERS[ch]
            digit = None
        elif ch == "万":  # 万 scales its own group: 一亿五千万 is 1亿 + 5000万
            total += (section + (digit or 0)) * 10_000
            section, digit = 0, None
        else:  # 亿 scales everything before it
            total = (total + section + (digit or 0)) * 100_000_000
            section, digit = 0, None
    value = Decimal(total + section + (digit or 0))
    if decimals:
        value += Decimal("0." + "".join(str(_CN_DIGITS[c]) for c in decimals))
    return value


def normalise_text(text: str) -> str:
    """A quantity as people type it, made plain: full-width forms (３０００万, Ⅲ) by NFKC, 萬 and 億,
    `3,000万`, `1 亿元`, and Chinese numerals (三千万, 壹佰万元, 百分之四十)."""
    text = unicodedata.normalize("NFKC", text).strip().translate(_TRADITIONAL)
    m = _CN_FIGURE.match(text)
    # (The pattern can match an empty numeral before a mixed form such as 零.5, which is left unread.)
    if m is not None and (m.group("cn") or (m.group("pct") and m.group("arabic"))):
        number = format(cn_number(m.group("cn")), "f") if m.group("cn") else m.group("arabic")
        text = number + ("%" if m.group("pct") else "") + text[m.end() :]
    return _SPACE_BEFORE_UNIT.sub("", _GROUPED.sub("", text))


def parse_quantity_text(text: str) -> tuple[Decimal, str, str | None, str | None]:
    """Parse `3000万`, `500万美元`, `3万元/亩`, `40%`, `500平方米`, `3年` into (value, kind, currency, area).

    Values are in base units: 元 (or 美元), 平方米 or 亩, a fraction for %, years; money per area per year.
    Full-width digits, thousands separators and a space before the unit are accepted (normalise_text).
    """
    raw, text = text, normalise_text(text)
    m = _NUMBER.match(text)
    if not m:
        if _NUMBER.match(text.lstrip("-−")):
            raise ValueError(f"must not be negative, got {raw!r}")
        raise ValueError(f"'{raw}' is not a number")
    number = Decimal(m.group())
    suffix = text[m.end() :]
    s = _SUFFIX.fullmatch(suffix)
    if s is None:
        raise ValueError(
            f"unknown unit '{suffix}' in '{raw}'; units are 元, 万元, 亿元, 美元, 万美元, %, "
            "平方米, 亩, 年, and money per area such as 万元/亩"
        )
    mult, cur, per, tail = s.group("mult") or "", s.group("cur"), s.group("per"), s.group("tail")
    value = number * MULTIPLIERS[mult]
    is_money = bool(mult or cur)
    if per:
        if not is_money or tail:
            raise ValueError(f"'{raw}': only money can be given per area, as in 3万元/亩")
        return value * PER_YEAR[s.group("time")], "money_per_area", _CURRENCIES[cur or "元"], AREA_SPELLINGS[per]
    if tail is None:
        return (value, "money", _CURRENCIES[cur or "元"], None) if is_money else (value, "number", None, None)
    if is_money:
        raise ValueError(f"'{raw}' mixes money with '{tail}'")
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

    __slots__ = ("name", "kind", "currency", "area", "label", "members", "default", "ordinal", "plain", "as_written")

    def __init__(
        self,
        name: str,
        kind: str,
        currency: str | None,
        area: str | None,
        label: str,
        members: tuple[str, ...] | None = None,
        default: Any = None,
        ordinal: bool = False,
    ):
        self.name, self.kind, self.currency, self.area = name, kind, currency, area
        self.label, self.members, self.default = label, members, default
        self.ordinal = ordinal  # a rank among peers: a whole number from 1
        # What read_fact takes without the general parser, worked out once: the plain written form of a
        # figure for this input, and the members that read as themselves.
        self.plain = _plain_figure(kind, currency, area)
        self.as_written = frozenset(m for m in members or () if unicodedata.normalize("NFKC", m).strip() == m)

    def describe(self) -> str:
        if self.kind == "enum":
            return "one of " + "、".join(self.members or ())
        return {
            "money": f'an amount in {CURRENCY_NAMES.get(self.currency or "CNY")}, such as "3000万{CURRENCY_NAMES.get(self.currency or "CNY")}"',
            "area": f"an area in {AREA_NAMES.get(self.area or 'm2')}",
            "money_per_area": f'money per {AREA_NAMES.get(self.area or "m2")}, such as "3万元/{AREA_NAMES.get(self.area or "m2")}"',
            "ratio": 'a percentage such as "40%"',
            "years": "a number of years",
            "number": "a place counted from 1" if self.ordinal else "a whole number",
            "date": 'a date such as "2021-11-01"',
            "bool": "true or false",
        }[self.kind]


class FactsError(ValueError):
    """The facts given for an evaluation do not fit the policy's inputs; `problems` names each bad field.

    `fields` gives, for each problem, the field it is about (None for the facts as a whole).
    """

    def __init__(self, problems: list[str], fields: list[str | None] | None = None):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.fields = fields if fields is not None else [None] * len(problems)


def _to_number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or isinstance(raw, float):
        return None
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    return None


def bounded(value: Decimal, raw: Any) -> Decimal:
    """The value, if it is within what pol reads (MAX_VALUE, MAX_PLACES), with -0 made 0; else ValueError."""
    if not value.is_finite():
        raise ValueError(f"{shown(raw)} is not a number")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite value's exponent is a number, not 'n', 'N' or 'F'
    if (
        value.copy_abs() >= MAX_VALUE
        or exponent < -MAX_PLACES
        and value != value.quantize(Decimal(1).scaleb(-MAX_PLACES), rounding=ROUND_HALF_UP, context=CONTEXT)
    ):
        raise ValueError(
            f"{shown(raw)} is out of range: pol reads values below 1000万亿 with at most {MAX_PLACES} decimal places"
        )
    if value < 0:
        raise ValueError(f"must not be negative, got {shown(raw)}")
    return value.copy_abs()  # JSON's -0.0 is 0


def shown(raw: Any) -> str:
    """A raw fact as a message quotes it: control characters escaped, long text cut short."""
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        digits = raw.adjusted() + 1 if isinstance(raw, Decimal) and raw.is_finite() else len(format(raw, "e"))
        text = str(raw) if abs(digits) <= 40 else f"{format(raw, '.6e')}"
    else:
        text = repr(raw)
    if len(text) > 80:
        text = text[:60] + f"…（共 {len(text)} 个字符）"
    return text


# A figure the fast path takes: at most 15 digits before the point and 6 after (4 for a percentage, which
# gains two places), so it is always within what `bounded` accepts once below MAX_VALUE.
_FIGURE = r"([0-9]{1,15}(?:\.[0-9]{1,6})?)"
_PERCENT = r"([0-9]{1,15}(?:\.[0-9]{1,4})?)"
_SCALE = {None: 1, "万": 10_000, "亿": 100_000_000}


def _plain_figure(kind: str, currency: str | None, area: str | None) -> re.Pattern[str] | None:
    """The figure as most facts write it for an input of this kind: digits, 万 or 亿, the input's own unit."""
    if kind == "money":
        return re.compile(_FIGURE + f"(万|亿)?(?:{CURRENCY_NAMES.get(currency or 'CNY', '元')})?")
    if kind == "area":
        spellings = [s for s, a in AREA_SPELLINGS.items() if a == (area or "m2")]
        return re.compile(_FIGURE + "()(?:" + "|".join(map(re.escape, spellings)) + ")?")
    if kind == "years":
        return re.compile(_FIGURE + "()(?:年)?")
    if kind == "number":
        return re.compile("([0-9]{1,15})()(?:年)?")
    if kind == "ratio":
        return re.compile(_PERCENT + "()%")
    return None


def read_fact(spec: Input, raw: Any) -> Any:
    """Convert one raw fact to its value, or raise ValueError saying what is wrong with it."""
    # The common forms first ("3000万", "40%", "III期", true): what the fast path returns is what
    # read_general returns; anything it is unsure of, read_general reads or refuses with its message.
    if type(raw) is str:
        if raw in spec.as_written:
            return raw
        plain = spec.plain
        if plain is not None and (m := plain.fullmatch(raw)) is not None:
            scale = m.group(2)
            value = Decimal(m.group(1)) if not scale else Decimal(m.group(1)) * _SCALE[scale]
            if spec.kind == "ratio":
                value = value / 100
            if value < MAX_VALUE:
                return value
    elif raw is True or raw is False:
        if spec.kind == "bool":
            return raw
    return read_general(spec, raw)


def read_general(spec: Input, raw: Any) -> Any:
    """Convert any raw fact as people write it (full-width digits, 千万, ·月, …), or say what is wrong with it."""
    kind = spec.kind
    if isinstance(raw, str) and len(raw) > MAX_TEXT:
        raise ValueError(f"{shown(raw)} is too long to be a value")
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if raw in ("是", "否"):
            return raw == "是"
        raise ValueError(f"expected {spec.describe()}, got {shown(raw)}")
    if kind == "enum":
        members = spec.members or ()
        if isinstance(raw, str):
            # Ⅲ期 (the Roman numeral character documents print) is III期; full-width letters are plain.
            plain = unicodedata.normalize("NFKC", raw).strip()
            if plain in members:
                return plain
        close = difflib.get_close_matches(str(raw), list(members), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"{shown(raw)} is not {spec.describe()}{hint}")
    if kind == "date":
        if isinstance(raw, datetime.date):
            return raw
        try:
            # Only the ISO calendar form YYYY-MM-DD, as the schema's "date" format and the JavaScript
            # runtime: fromisoformat alone also takes 20211101, or the number 12411001 as year 1241.
            if isinstance(raw, str) and ISO_DATE.fullmatch(raw):
                return datetime.date.fromisoformat(raw)
            raise ValueError
        except ValueError:
            raise ValueError(f"expected {spec.describe()}, got {shown(raw)}") from None
    if isinstance(raw, float):
        raise ValueError(
            f"got the binary float {raw!r}; give numbers as JSON numbers or strings, never floats, "
            "so amounts stay exact"
        )
    if kind == "ratio" and isinstance(raw, int) and not isinstance(raw, bool):
        # 30 could mean 30% or 3000%: only a fraction (0.3) or text with % says which.
        raise ValueError(
            f'write a percentage with %, as in "{raw}%", or as a fraction such as 0.4; '
            f"the whole number {raw} is ambiguous"
        )
    value = _to_number(raw)
    if value is None:
        if not isinstance(raw, str):
            raise ValueError(f"expected {spec.describe()}, got {shown(raw)}")
        try:
            value, got_kind, currency, area = parse_quantity_text(raw)
        except (ValueError, InvalidOperation) as exc:
            raise ValueError(f"{exc}") from None
        if kind in ("money", "money_per_area") and currency != spec.currency and "元" not in raw:
            currency = spec.currency  # 600万 for a 美元 input is 600万美元: a bare figure is in the input's currency
        want = (kind, spec.currency, spec.area)
        if got_kind == "number":
            if kind in ("ratio",):
                raise ValueError(f'write a percentage with %, as in "40%", not {shown(raw)}')
        elif (got_kind, currency, area) != want and not (kind == "number" and got_kind == "years"):
            got = format_quantity(Decimal(1), got_kind, currency, area).lstrip("1")
            raise ValueError(f"expected {spec.describe()}, got {shown(raw)} in {got or got_kind}")
    value = bounded(value, raw)
    if kind == "number" and value != value.to_integral_value():
        raise ValueError(f"expected a whole number, got {shown(raw)}")
    if spec.ordinal and value < 1:
        raise ValueError(f"a rank counts from 1 (the first place), got {shown(raw)}")
    return value


def read_facts(
    inputs: Mapping[str, Input], raw: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Validate and convert an applicant's facts; raises FactsError naming every bad field at once.

    `defaults` (each input's declared default, by name) may be given by a caller that keeps them.
    """
    if not isinstance(raw, Mapping):
        raise FactsError([f"facts must be an object of field names to values, got {type(raw).__name__}"])
    if len(raw) > MAX_FIELDS:
        raise FactsError([f"the facts have {len(raw)} fields; pol reads at most {MAX_FIELDS}"])
    facts: dict[str, Any] = {}
    problems: list[str] = []
    fields: list[str | None] = []
    for name, value in raw.items():
        spec = inputs.get(name)
        if spec is None:
            problems.append(unknown_field(name, inputs, "not an input of this policy", len(problems)))
            fields.append(str(name))
            continue
        if value is None:
            continue
        try:
            facts[name] = read_fact(spec, value)
        except ValueError as exc:
            problems.append(f"{shown_name(name)} ({spec.label}): {exc}")
            fields.append(name)
    if problems:
        shown_problems = few(problems)
        raise FactsError(shown_problems, (fields + [None])[: len(shown_problems)])
    if defaults is None:
        return with_defaults(inputs, facts)
    out = dict(defaults)
    out.update(facts)
    return out


def shown_name(name: Any) -> str:
    """A field name as a message shows it: as written, unless it holds control characters or is long."""
    text = str(name)
    if len(text) > MAX_TEXT or any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        return shown(text)
    return text


def unknown_field(name: Any, known: Iterable[str], what: str, reported: int) -> str:
    """The problem with a field that is not known, with the nearest known name while few are reported."""
    close = difflib.get_close_matches(str(name), list(known), n=1) if reported < MAX_PROBLEMS else []
    return f"{shown_name(name)}: {what}" + (f"; did you mean '{close[0]}'?" if close else "")


def few(problems: list[str]) -> list[str]:
    """At most MAX_PROBLEMS problems, and a count of the rest."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return problems[:MAX_PROBLEMS] + [f"…and {len(problems) - MAX_PROBLEMS} more problems"]


def with_defaults(inputs: Mapping[str, Input], facts: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of already validated facts, with the declared default of every input not given."""
    out = dict(facts)
    for name, spec in inputs.items():
        if spec.default is not None and name not in out:
            out[name] = spec.default
    return out


# ---------------------------------------------------------------- explanation traces


def whole_steps(a: Decimal, b: Decimal, db: tuple[Any, ...]) -> Decimal:
    """How many whole steps `b` the quantity `a` holds (每满/每增加): none when `a` is not above zero."""
    if b <= 0:
        raise Undefined(f"{_described(b, db, db[1])}，不能作为“每满”的步长，无法计算")
    return a // b if a > 0 else ZERO


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
            raise Undefined(f"{_described(b, db, unit)}，不能作除数，无法计算")
        r = a / b
        self.steps.append(("op", "÷", a, b, r, da, db, unit))
        return r

    def every(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        r = whole_steps(a, b, db)
        self.steps.append(("every", a, b, r, da, db))
        return r

    def add(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        r = a + b
        self.steps.append(("op", "+", a, b, r, da, db, unit))
        return r

    def sub(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        r = a - b
        if b:  # deducting nothing (nothing received yet) is no step worth reading
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

    def worked(self) -> Trace:
        """A trace for the steps that compute a cap, shown only if the cap binds."""
        return Trace()

    def lines(self) -> list[str]:
        return [_explain(s) for s in self.steps]


class Plain:
    """Computes as a Trace does and records nothing: for a clause run without its explanation, and for values
    explained by their label alone. Each method returns exactly what Trace's does."""

    __slots__ = ()
    steps: tuple[Any, ...] = ()

    def cond(self, ok: bool, text: str, shown: tuple[tuple[str, Any], ...], facts: Mapping[str, Any]) -> bool:
        return ok

    def mul(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        return a * b

    def div(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        if not b:
            raise Undefined(f"{_described(b, db, unit)}，不能作除数，无法计算")
        return a / b

    def every(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        return whole_steps(a, b, db)

    def add(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        return a + b

    def sub(self, a: Decimal, b: Decimal, da: tuple[Any, ...], db: tuple[Any, ...], unit: tuple[Any, ...]) -> Decimal:
        return a - b

    def least(self, values: tuple[Decimal, ...], labels: tuple[tuple[Any, ...], ...], unit: tuple[Any, ...]) -> Decimal:
        return min(values)

    def most(self, values: tuple[Decimal, ...], labels: tuple[tuple[Any, ...], ...], unit: tuple[Any, ...]) -> Decimal:
        return max(values)

    def row(self, key_label: str, key: Any, key_unit: tuple[Any, ...], value: Any, unit: tuple[Any, ...]) -> Any:
        return value

    def tier(self, number: int, text: str, value: Any, unit: tuple[Any, ...]) -> Any:
        return value

    def cap(self, amount: Decimal, limit: Decimal, label: str, worked: Any = None) -> Decimal:
        if limit < 0:
            limit = ZERO
        return limit if amount > limit else amount

    def offset(self, amount: Decimal, paid: Decimal, label: str, kind: str) -> Decimal:
        r = amount - paid
        return ZERO if r < 0 else r

    def note(self, text: str) -> None:
        pass

    def worked(self) -> Plain:
        return self

    def lines(self) -> list[str]:
        return []


# A trace that computes like any other but keeps no steps: for values explained by their label alone, and for
# clauses evaluated before anyone reads their explanation.
PLAIN = QUIET = Plain()


class Replay:
    """A clause's explanation not yet written: read, it runs the clause again on the same facts with a Trace."""

    __slots__ = ("run", "facts", "_steps")

    def __init__(self, run: Callable[[dict[str, Any], Any], Any], facts: dict[str, Any]):
        self.run, self.facts = run, facts
        self._steps: list[tuple[Any, ...]] | None = None

    @property
    def steps(self) -> list[tuple[Any, ...]]:
        if self._steps is None:
            with localcontext(CONTEXT):
                self._steps = self.run(self.facts, Trace()).trace.steps
        return self._steps

    def lines(self) -> list[str]:
        return [_explain(s) for s in self.steps]


class NoRow(Exception):
    """No row of a table or tier applies to the facts: the clause gives nothing."""


class Undefined(ArithmeticError):
    """The facts make a computation impossible (a division by zero): the clause gives nothing and says why."""


class Unknowable:
    """A definition (let) the facts make impossible: any use of it raises Undefined with the reason."""

    __slots__ = ("reason",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, reason: str):
        self.reason = reason

    def _fail(self, *_: Any) -> Any:
        raise Undefined(self.reason)

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = __bool__ = __neg__ = _fail


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
    if kind == "every":
        _, a, b, r, da, db = step
        return f"{_described(a, da, da[1])} 每满 {_described(b, db, db[1])}，计 {_plain(r)} 份"
    if kind in ("least", "most"):
        _, first, first_label, r, label, unit = step
        word = "超过" if kind == "least" else "低于"
        return (
            f"{_described(first, first_label, unit)}{word}{_described(r, label, unit)}，按 {format_value(r, unit)} 计"
        )
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

    def __init__(
        self,
        id: str,
        article: str | None,
        title: str | None,
        beneficiary: str | None,
        support: str | None,
        line: int,
        parties: tuple[str, ...] = (),
    ):
        self.id, self.article, self.title, self.beneficiary = id, article, title, beneficiary
        self.support, self.line, self.parties = support, line, parties


class ClauseResult:
    """The outcome of one clause for one applicant, with the steps that led to it."""

    __slots__ = ("clause", "status", "amount", "max_amount", "min_amount", "missing", "trace")

    def __init__(
        self,
        clause: Clause,
        status: Status,
        trace: Trace | Plain | Replay,
        amount: Decimal | None = None,
        max_amount: Decimal | None = None,
        min_amount: Decimal | None = None,
        missing: tuple[str, ...] = (),
    ):
        self.clause, self.status, self.trace = clause, status, trace
        self.amount, self.max_amount, self.min_amount, self.missing = amount, max_amount, min_amount, missing

    @property
    def id(self) -> str:
        return self.clause.id

    def __repr__(self) -> str:
        amount = (
            ""
            if self.max_amount is None
            else f" {format_money(self.amount if self.amount is not None else self.max_amount)}"
        )
        if self.status in (Status.DISCRETIONARY, Status.CASE_BY_CASE) and self.max_amount is not None:
            amount = f" 最高{format_money(self.max_amount)}"
        missing = f" 需补充 {'、'.join(self.missing)}" if self.missing else ""
        return f"<ClauseResult {self.clause.id} {self.status.value}{amount}{missing}>"

    @property
    def explanation(self) -> list[str]:
        lines = self.trace.lines()
        if self.status == "needs_facts":
            lines.append("需补充：" + "、".join(self.missing))
        elif self.status == "granted" and self.amount is not None:
            lines.append(f"应得 {format_money(self.amount)}")
        elif self.status == "discretionary":
            if self.min_amount is not None and self.max_amount is not None and self.min_amount == self.max_amount:
                # A range whose both ends the cap cuts to one figure: not "在 1000万元 至 1000万元 之间".
                lines.append(f"区间上下限均为 {format_money(self.max_amount)}，由主管部门确定")
            elif self.min_amount is not None and self.max_amount is not None:
                lines.append(
                    f"由主管部门在 {format_money(self.min_amount)} 至 {format_money(self.max_amount)} 之间确定"
                )
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
            "status": self.status.value,
            "amount": money(self.amount),
            "max_amount": money(self.max_amount),
            "min_amount": money(self.min_amount),
            "beneficiary": self.clause.beneficiary,
            "parties": list(self.clause.parties),
            "support": self.clause.support,
            "missing": list(self.missing),
            "explanation": self.explanation,
        }


def finish(
    clause: Clause, trace: Trace | Plain, mode: str, amount: Decimal | None, low: Decimal | None = None
) -> ClauseResult:
    """Round the computed amount to the fen and give it the status its grant mode calls for."""
    if amount is not None:
        amount = amount.quantize(FEN, rounding=ROUND_HALF_UP)
    if low is not None:
        low = low.quantize(FEN, rounding=ROUND_HALF_UP)
        if amount is not None and low > amount:
            low = amount
    # Positional arguments and the statuses bound once: this runs for every clause of every evaluation.
    if mode == "exact":
        return ClauseResult(clause, _GRANTED, trace, amount, amount)
    if mode == "case_by_case":
        return ClauseResult(clause, _CASE_BY_CASE, trace, None, amount)
    return ClauseResult(clause, _DISCRETIONARY, trace, None, amount, low)


_GRANTED, _CASE_BY_CASE, _DISCRETIONARY = Status.GRANTED, Status.CASE_BY_CASE, Status.DISCRETIONARY


def underlying(missing: Iterable[str], let_inputs: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The inputs behind missing names: a missing definition stands for the inputs it is computed from."""
    out: set[str] = set()
    for name in missing:
        out.update(let_inputs.get(name) or (name,))
    return out


def out_of_force(clause: Clause, standing: tuple[str, str]) -> ClauseResult:
    """The result of a clause of a policy not in force on the evaluation date: `expired` or `not_yet_effective`."""
    status, reason = standing
    trace = Trace()
    trace.note(reason)
    return ClauseResult(clause, Status(status), trace)


def not_eligible(clause: Clause, trace: Trace | Plain) -> ClauseResult:
    return ClauseResult(clause, _NOT_ELIGIBLE, trace)


_NOT_ELIGIBLE = Status.NOT_ELIGIBLE


def needs_facts(clause: Clause, trace: Trace | Plain, missing: Iterable[str]) -> ClauseResult:
    return ClauseResult(clause, Status.NEEDS_FACTS, trace, missing=tuple(sorted(set(missing))))


class Limit:
    """A limit on the sum of several clauses' amounts, such as a per-enterprise yearly total."""

    __slots__ = ("amount", "clauses", "label")

    def __init__(self, amount: Decimal, clauses: tuple[str, ...] | None, label: str):
        self.amount, self.clauses, self.label = amount, clauses, label


class Evaluation:
    """Every clause's result for one applicant, and the totals after the document's limits (worked out when read)."""

    __slots__ = ("policy", "title", "as_of", "results", "limits", "_totals")

    def __init__(
        self, policy: str, title: str, as_of: datetime.date, results: list[ClauseResult], limits: Iterable[Limit]
    ):
        self.policy, self.title, self.as_of, self.results = policy, title, as_of, results
        self.limits = tuple(limits)  # with the applicant's facts applied, for callers that keep a ledger
        self._totals: tuple[Decimal, Decimal, dict[str, Decimal], list[str]] | None = None

    @property
    def determined(self) -> Decimal:
        """The cash total of the exact amounts, after the limits."""
        return self.totals()[0]

    @property
    def maximum(self) -> Decimal:
        """The cash total of the amounts at their most, after the limits."""
        return self.totals()[1]

    @property
    def in_kind(self) -> dict[str, Decimal]:
        """Equity, tax refunds and services, summed by kind (at their most): not money paid out."""
        return self.totals()[2]

    @property
    def notes(self) -> list[str]:
        """How the totals were limited, and what is not counted in them, in Chinese."""
        return self.totals()[3]

    def totals(self) -> tuple[Decimal, Decimal, dict[str, Decimal], list[str]]:
        if self._totals is None:
            notes: list[str] = []
            offered = [
                r
                for r in self.results
                if r.status in (Status.GRANTED, Status.DISCRETIONARY) and r.max_amount is not None
            ]
            # Equity, tax refunds and services are not money paid out, so the cash totals leave them out
            # and they are summed by kind instead.
            cash = [r for r in offered if r.clause.support in CASH]
            determined = {r.id: r.amount for r in cash if r.status == Status.GRANTED and r.amount is not None}
            maximum = {r.id: r.max_amount for r in cash if r.max_amount is not None}
            in_kind: dict[str, Decimal] = {}
            for r in offered:
                if r.clause.support not in CASH and r.max_amount is not None:
                    in_kind[str(r.clause.support)] = in_kind.get(str(r.clause.support), ZERO) + r.max_amount
            notes += spent_limits(self.limits)
            with localcontext(CONTEXT):  # read after the evaluation: its context is gone
                totals = (
                    _limited(determined, self.limits, "确定金额", notes),
                    _limited(maximum, self.limits, "最高金额", notes),
                )
            for kind, amount in in_kind.items():
                notes.append(f"另有{kind} {format_money(amount)}（最高），不计入资金合计")
            self._totals = (totals[0], totals[1], in_kind, notes)
        return self._totals

    def result(self, clause_id: str) -> ClauseResult:
        """The result of the clause with this id; UnknownClauseError if it was not evaluated."""
        for r in self.results:
            if r.id == clause_id:
                return r
        raise UnknownClauseError(clause_id, [r.id for r in self.results], self.policy)

    def __repr__(self) -> str:
        return (
            f"<Evaluation {self.policy} as of {self.as_of.isoformat()}: {len(self.results)} clause(s), "
            f"determined {format_money(self.determined)}, maximum {format_money(self.maximum)}>"
        )

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


def _limited(amounts: dict[str, Decimal], limits: Iterable[Limit], what: str, notes: list[str]) -> Decimal:
    """The total of the amounts with each limit applied, noting in Chinese every limit that cut it.

    Limits are nested or apart (the checker refuses limits that partly overlap), and apply innermost
    first: a cut made by a limit on some clauses counts against every limit containing them, so a
    total is cut once for each excess and never below zero. A limit whose remainder is negative (more
    already received than the limit) leaves nothing, not less than nothing.
    """
    total = sum(amounts.values(), ZERO)
    cuts: list[tuple[frozenset[str] | None, Decimal]] = []
    for lim in sorted(limits, key=_breadth):
        covered = None if lim.clauses is None else frozenset(lim.clauses)
        subtotal = sum((v for k, v in amounts.items() if covered is None or k in covered), ZERO)
        subtotal -= sum((cut for inner, cut in cuts if _within(inner, covered)), ZERO)
        room = max(lim.amount, ZERO)
        if subtotal > room:
            cuts.append((covered, subtotal - room))
            total -= subtotal - room
            notes.append(
                f"{what}合计 {format_money(subtotal)} 超过{lim.label} {format_money(room)}，按 {format_money(room)} 计"
            )
    return total


def _breadth(lim: Limit) -> float:
    """Inner limits first: a limit on some clauses before one on more, a limit on every clause last."""
    return float("inf") if lim.clauses is None else len(lim.clauses)


def _within(inner: frozenset[str] | None, outer: frozenset[str] | None) -> bool:
    return outer is None or (inner is not None and inner <= outer)


def spent_limits(limits: Iterable[Limit]) -> list[str]:
    """A note, in Chinese, for each limit already used up: its remainder counts as 0, never less."""
    return [
        f"{lim.label}：已获金额已超过上限，余额为 {format_money(lim.amount)}，按 0元 计"
        for lim in limits
        if lim.amount < 0
    ]


# The statuses of a clause whose policy is not in force on the evaluation date.
OUT_OF_FORCE = ("expired", "not_yet_effective")


def in_force(
    as_of: datetime.date, effective: datetime.date | None, expires: datetime.date | None
) -> tuple[str, str] | None:
    """None when the policy is in force on `as_of`; else its status (OUT_OF_FORCE) and why, in Chinese."""
    if effective is not None and as_of < effective:
        return "not_yet_effective", f"政策自 {effective.isoformat()} 起施行，{as_of.isoformat()} 尚未施行"
    if expires is not None and as_of > expires:
        return "expired", f"政策有效期至 {expires.isoformat()}，{as_of.isoformat()} 已失效"
    return None


def exact() -> Any:
    """The decimal context every evaluation runs in."""
    return localcontext(CONTEXT)


class UnknownClauseError(LookupError):
    """A clause id asked for that the policy does not have."""

    def __init__(self, clause_id: Any, known: Iterable[str], policy: str):
        known = list(known)
        close = difflib.get_close_matches(str(clause_id), known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        super().__init__(f"{shown_name(clause_id)}: no such clause in {policy}{hint}")
        self.clause_id, self.policy = clause_id, policy


# What a generated module gives the Evaluator for each clause: its description and the function computing it.
ClauseEntry = tuple[Clause, Callable[[dict[str, Any], Any], ClauseResult]]


class Evaluator:
    """A policy's evaluation, with what every call needs (defaults, clause selection) worked out once."""

    def __init__(
        self,
        policy: str,
        title: str,
        effective: datetime.date | None,
        expires: datetime.date | None,
        inputs: Mapping[str, Input],
        clauses: Sequence[ClauseEntry],
        lets: Callable[[dict[str, Any]], Any],
        limits: Callable[[dict[str, Any]], tuple[Limit, ...]],
    ):
        self.policy, self.title, self.effective, self.expires = policy, title, effective, expires
        self.inputs, self.clauses, self.lets, self.limits = inputs, tuple(clauses), lets, limits
        self.defaults = {name: spec.default for name, spec in inputs.items() if spec.default is not None}
        self._ids = {clause.id for clause, _ in self.clauses}
        self._selections: dict[tuple[str, ...], tuple[ClauseEntry, ...]] = {}

    def select(self, clauses: str | Iterable[str] | None) -> tuple[ClauseEntry, ...]:
        """The clauses asked for by exact id (one id, or several), in the document's order."""
        if clauses is None:
            return self.clauses
        key = (clauses,) if isinstance(clauses, str) else tuple(clauses)
        found = self._selections.get(key)
        if found is None:
            for clause_id in key:
                if clause_id not in self._ids:
                    raise UnknownClauseError(clause_id, [c.id for c, _ in self.clauses], self.policy)
            wanted = set(key)
            found = tuple(entry for entry in self.clauses if entry[0].id in wanted)
            if len(self._selections) < 1024:  # a caller asking for ever new selections gets no cache, not a leak
                self._selections[key] = found
        return found

    def evaluate(
        self,
        facts: Mapping[str, Any],
        as_of: datetime.date | None = None,
        clauses: str | Iterable[str] | None = None,
        validated: bool = False,
    ) -> Evaluation:
        """Evaluate the policy for one applicant: raw facts are validated unless `validated` says they were."""
        selected = self.select(clauses)
        if validated:
            f = dict(self.defaults)
            f.update(facts)
        else:
            f = read_facts(self.inputs, facts, self.defaults)
        as_of = as_of or datetime.date.today()
        with localcontext(CONTEXT):
            self.lets(f)
            standing = in_force(as_of, self.effective, self.expires)
            if standing is None:
                # Run plain; each result's explanation is written, by running its clause again with a trace,
                # only if someone reads it.
                results = []
                for _, run in selected:
                    result = run(f, PLAIN)
                    result.trace = Replay(run, f)
                    results.append(result)
            else:
                results = [out_of_force(clause, standing) for clause, _ in selected]
            return Evaluation(self.policy, self.title, as_of, results, self.limits(f))

    def keeps(self, facts: Mapping[str, Any], tests: Iterable[Callable[[dict[str, Any]], Any]]) -> list[bool | None]:
        """Whether raw facts keep each obligation's condition: True, False, or None when a fact it reads is missing."""
        f = read_facts(self.inputs, facts, self.defaults)
        out: list[bool | None] = []
        with localcontext(CONTEXT):
            self.lets(f)
            for test in tests:
                try:
                    out.append(bool(test(f)))
                except (KeyError, NoRow, Undefined):
                    out.append(None)
        return out
