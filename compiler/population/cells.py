"""How `pol batch` reads a value of its input: as the evaluators read the same fact in a JSON facts file.

A cell stands for the JSON value written bare: `true`/`false` are the booleans, a JSON number (`1.5`, `1e5`,
`-0`) is a number, anything else (`3000万`, `40%`, `１００`, `Ⅲ期`, `2022-06-30`) a string; an empty cell (or one
of spaces, tabs and line breaks only) is a missing fact. Each value is then read by `runtime.read_fact`, the one reader of facts. So that a population runs
in the engine, the forms most cells take are read in SQL by the very pattern `read_fact` tries first (`Input.plain`)
and a few more whose reading is plain; every other distinct text of a column goes once through `read_fact`,
and its value (or that it is refused) is joined back. `tests/test_cells.py` holds the two paths equal on
generated cells of every kind.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import attrs

from pol.compiler import ir
from pol.compiler.backends.sql import NUM, string
from pol.compiler.evaluate.jsonfile import loads
from pol.compiler.runtime import MAX_PLACES, MAX_VALUE, Input, read_fact

# RFC 8259's number: what a facts file would hold as a JSON number when the cell is written bare.
JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")

# Kinds whose value is a number; a column of exact numbers (integers, DECIMAL) is taken as JSON numbers.
NUMERIC = ("money", "money_per_area", "area", "ratio", "years", "number")
EXACT_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "DECIMAL",
)
_INTEGER_TYPES = EXACT_TYPES[:-1]
# Column types that hold more than one value (DuckDB's LIST `X[]`, STRUCT, MAP, UNION; Spark's array<…> …).
_NESTED = re.compile(r"(?:.*\[\d*\]|(?:STRUCT|MAP|UNION|LIST|ARRAY)\b.*)$", re.S)

# A JSON number of at most 15 digits before the point and 6 after: read as itself (bounded takes it).
_DECIMAL = r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,6})?"
_ISO_DATE = r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}"  # years 1000–9999: DuckDB and Spark read them as Python does
# Patterns end in \z, not $: Java's $ (Spark) also matches before a final line break, which fullmatch does not.


BLANK = " \t\r\n"  # a cell of nothing but these is empty: a missing fact, as in every CSV tool
_BLANK_CELL = r"^[ \t\r\n]*\z"


def runtime_input(spec: ir.Input) -> Input:
    """The runtime's description of an input, as the generated evaluators build it."""
    return Input(spec.name, spec.kind, spec.currency, spec.area, spec.label, spec.members, ordinal=spec.ordinal)


def cell_fact(text: str) -> Any:
    """The JSON value a cell written bare stands for: a boolean, a number (int or Decimal), or the text."""
    if text in ("true", "false"):
        return text == "true"
    if JSON_NUMBER.fullmatch(text):
        return loads(text)
    return text


def read_cell(spec: Input, text: str) -> Any:
    """The value of a non-empty cell for this input, or ValueError with the evaluators' message."""
    return read_fact(spec, cell_fact(text))


def value_text(value: Any) -> str:
    """A value read as text SQL casts back to its type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def nested(sql_type: str) -> bool:
    """Whether a column of this type holds several values in a row (a list, a struct, a map)."""
    return bool(_NESTED.match(sql_type.upper()))


@attrs.frozen
class Column:
    """SQL reading one input's column: `native` says which non-empty cells SQL reads itself, `value` what it reads."""

    spec: ir.Input
    raw: str  # the column, quoted
    sql_type: str
    num: str = NUM  # the type a numeric value is read as (narrower when the population's bounds allow)

    def digits(self) -> tuple[int, int] | None:
        """The digits before and after the point the column's exact type can hold, or None for another type."""
        t = self.sql_type.upper()
        found = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", t)
        if found:
            return int(found.group(1)) - int(found.group(2)), int(found.group(2))
        return {"TINYINT": (3, 0), "SMALLINT": (5, 0), "INTEGER": (10, 0), "UTINYINT": (3, 0)}.get(
            t, {"USMALLINT": (5, 0), "UINTEGER": (10, 0)}.get(t)
        )

    @property
    def exact(self) -> bool:
        """Whether the column holds exact numbers for a numeric input, taken as JSON numbers with no text between."""
        return self.spec.kind in NUMERIC and self.sql_type.upper().startswith(EXACT_TYPES)

    @property
    def text(self) -> str:
        return f"CAST({self.raw} AS VARCHAR)"

    @property
    def typed(self) -> bool:
        """Whether the column already holds values of the input's type (BOOLEAN for yes/no, DATE for a date),
        read as the same value its text would be, without the text."""
        t = self.sql_type.upper()
        return (self.spec.kind == "bool" and t == "BOOLEAN") or (self.spec.kind == "date" and t == "DATE")

    @property
    def empty(self) -> str:
        """The cell is missing: NULL, or text of nothing but blanks (`BLANK`)."""
        if self.exact or self.typed:
            return f"({self.raw} IS NULL)"
        # The pattern is tried only on a cell that starts with a blank: most cells are settled by one byte.
        t = self.text
        blank = f"(ascii({t}) IN (9, 10, 13, 32) AND regexp_matches({t}, {string(_BLANK_CELL)}))"
        return f"({self.raw} IS NULL OR {t} = '' OR {blank})"

    def _patterns(self) -> list[tuple[str, str]]:
        """(regular expression, SQL value of a matching cell) for the plain forms of this kind."""
        spec, t = self.spec, self.text
        kind = spec.kind
        out: list[tuple[str, str]] = []
        plain = runtime_input(spec).plain
        if plain is not None:  # read_fact's own first pattern: a figure, then 万 or 亿 (group 2), then the unit
            pattern = f"^(?:{plain.pattern})\\z"
            figure = f"CAST(regexp_extract({t}, {string(pattern)}, 1) AS {NUM})"
            if kind == "ratio":  # times 0.01, not divided by 100: the engines divide decimals in floating point
                value = f"CAST({figure} * 0.01 AS {self.num})"
            elif kind == "money":
                scale = f"regexp_extract({t}, {string(pattern)}, 2)"
                value = f"CAST(({figure} * CASE {scale} WHEN '万' THEN 10000 WHEN '亿' THEN 100000000 ELSE 1 END) AS {self.num})"
            else:
                value = f"CAST({figure} AS {self.num})"
            out.append((pattern, value))
        # A JSON number written plainly: read_fact bounds it and takes it as it is, but a whole number for a
        # ratio (30: 30% or 3000%?) and a fraction for a count, which it refuses.
        json = {"ratio": r"(?:0|[1-9][0-9]{0,14})\.[0-9]{1,6}", "number": r"(?:0|[1-9][0-9]{0,14})"}.get(kind, _DECIMAL)
        out.append((f"^{json}\\z", f"CAST({t} AS {self.num})"))
        return out

    def native(self) -> tuple[str, str]:
        """(SQL true when SQL reads a non-empty cell itself, SQL of its value then)."""
        spec, t = self.spec, self.text
        if self.exact:
            r = self.raw
            integer = self.sql_type.upper().startswith(_INTEGER_TYPES)
            # What the type cannot hold is not tested for: too many digits, too many decimals.
            whole, places = self.digits() or (99, 99)
            refused = [f"{r} < 0"]
            refused += [f"{r} >= {int(MAX_VALUE)}"] if whole > len(str(int(MAX_VALUE))) - 1 else []
            refused += [f"{r} <> round({r}, {MAX_PLACES})"] if places > MAX_PLACES else []
            if spec.kind == "number" and places > 0:
                refused.append(f"{r} <> round({r}, 0)")
            if spec.ordinal:
                refused.append(f"{r} < 1")  # a rank counts from the first place
            if spec.kind == "ratio" and integer:
                refused.append("TRUE")  # a whole number for a rate is ambiguous, as in a facts file
            return f"NOT ({' OR '.join(refused)})", f"TRY_CAST({r} AS {self.num})"
        if self.typed and spec.kind == "bool":
            return "TRUE", self.raw
        if self.typed:  # a date of a year from 1000 to 9999 reads as its ISO text does; others go to read_fact
            return f"(year({self.raw}) BETWEEN 1000 AND 9999)", self.raw
        if spec.kind == "enum":
            members = ", ".join(string(m) for m in sorted(runtime_input(spec).as_written))
            return (f"({t} IN ({members}))", t) if members else ("FALSE", "NULL")
        if spec.kind == "bool":
            return f"({t} IN ('true', 'false'))", f"({t} = 'true')"
        if spec.kind == "date":
            iso = string(f"^{_ISO_DATE}\\z")
            return f"(regexp_matches({t}, {iso}) AND TRY_CAST({t} AS DATE) IS NOT NULL)", f"TRY_CAST({t} AS DATE)"
        patterns = self._patterns()
        test = " OR ".join(f"regexp_matches({t}, {string(p)})" for p, _ in patterns)
        value = " ".join(f"WHEN regexp_matches({t}, {string(p)}) THEN {v}" for p, v in patterns)
        # A figure of 15 digits and 亿 goes past what pol reads: read_fact refuses it, so it is not native.
        within = f"(CASE {value} END) < {int(MAX_VALUE)}"
        if spec.ordinal:
            within += f" AND (CASE {value} END) >= 1"  # a rank counts from the first place
        return f"(({test}) AND {within})", f"(CASE {value} END)"

    def trusted(self) -> str | None:
        """SQL of a non-empty cell's value once a pass over the column refused none of them, so no test is
        needed; None where reading a cell is more than a cast (figures and dates written as text)."""
        if self.exact:
            # CAST, not TRY_CAST: the type was chosen from the largest value the pass found.
            return f"CAST({self.raw} AS {self.num})"
        if self.typed:
            return self.raw
        if self.spec.kind == "enum":
            return self.text
        return None

    @property
    def missing(self) -> str:
        """A missing value of the input's type: a bare NULL has no type, which Spark cannot compare or write."""
        kind = self.spec.kind
        sql_type = {"bool": "BOOLEAN", "date": "DATE", "enum": "VARCHAR"}.get(kind, self.num)
        return f"CAST(NULL AS {sql_type})"

    def cast(self, text: str) -> str:
        """SQL turning the text read_fact's value was written as (`value_text`) back into the input's type."""
        kind = self.spec.kind
        if kind == "bool":
            return f"({text} = 'true')"
        if kind == "date":
            return f"CAST({text} AS DATE)"
        if kind == "enum":
            return text
        return f"CAST({text} AS {self.num})"


def problem(spec: ir.Input, raw: Any, exact: bool) -> str:
    """What the evaluators say of a refused value (fetched from the engine as it is, or as text)."""
    try:
        read_fact(runtime_input(spec), raw) if exact else read_cell(runtime_input(spec), str(raw))
    except ValueError as exc:
        return str(exc)
    return f"{raw!r} is not {runtime_input(spec).describe()}"  # only if SQL and read_fact disagree
