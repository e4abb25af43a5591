"""`pol batch`: a whole population of applicants evaluated at once, exactly, from the lowered form, on DuckDB or Spark."""

from __future__ import annotations

import datetime
import difflib
from pathlib import Path

import attrs

from pol.compiler import history, ir
from pol.compiler.backends.sql import NUM, SqlGenerator, quote, string
from pol.compiler.engines import InputError, engine
from pol.compiler.runtime import MAX_VALUE

ROW = "__row"  # the input's row number, from 1, kept in the output so results join back to the input
MAX_REPORTED = 20


__all__ = ["BadValue", "BatchResult", "InputError", "run"]


@attrs.frozen
class BadValue:
    """A value in the input that does not fit its input: the row (from 1), the column and the value."""

    row: int
    column: str
    value: str
    expected: str


@attrs.frozen
class BatchResult:
    rows: int  # rows evaluated
    bad: list[BadValue]  # the first few bad values; `bad_rows` counts every row left out
    bad_rows: int


_EXACT_NUMBERS = (
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


def _typed(spec: ir.Input, raw: str, sql_type: str = "VARCHAR") -> tuple[str, str, str]:
    """SQL for an input column: its typed value, whether a given value is bad, and what was expected.

    Text is read as the evaluators read facts in base units; a column of exact numbers (integers, DECIMAL)
    is taken as it is, with no detour through text.
    """
    if spec.kind in ("money", "money_per_area", "area", "ratio", "years", "number") and sql_type.startswith(
        _EXACT_NUMBERS
    ):
        number = f"CAST({raw} AS {NUM})"
        bad = (
            f"({raw} IS NOT NULL AND ({number} < 0 OR {number} >= {int(MAX_VALUE)}"
            + (f" OR {number} <> round({number}, 0)" if spec.kind == "number" else "")
            + "))"
        )
        default = f"CAST({string(format(spec.default.value, 'f'))} AS {NUM})" if spec.default is not None else None
        value = f"(CASE WHEN NOT {bad} THEN {number} END)"
        return (f"COALESCE({value}, {default})" if default else value), bad, "a non-negative number"
    text = f"NULLIF(TRIM(CAST({raw} AS VARCHAR)), '')"
    default = (
        f"CAST({string(format(spec.default.value, 'f'))} AS {NUM})"
        if spec.default is not None and spec.kind not in ("bool", "enum", "date")
        else None
    )
    if spec.kind == "enum":
        members = ", ".join(string(m) for m in spec.members or ())
        value = f"(CASE WHEN {text} IN ({members}) THEN {text} END)"
        return (
            value if spec.default is None else f"COALESCE({value}, {string(str(spec.default.value))})",
            f"({text} IS NOT NULL AND {text} NOT IN ({members}))",
            "one of " + "、".join(spec.members or ()),
        )
    if spec.kind == "bool":
        value = (
            f"(CASE WHEN lower({text}) IN ('true', '1', '是') THEN TRUE "
            f"WHEN lower({text}) IN ('false', '0', '否') THEN FALSE END)"
        )
        if spec.default is not None:
            value = f"COALESCE({value}, {'TRUE' if spec.default.value else 'FALSE'})"
        return (
            value,
            f"({text} IS NOT NULL AND lower({text}) NOT IN ('true', '1', '是', 'false', '0', '否'))",
            "true or false",
        )
    if spec.kind == "date":
        return (
            f"TRY_CAST({text} AS DATE)",
            f"({text} IS NOT NULL AND TRY_CAST({text} AS DATE) IS NULL)",
            "a date such as 2022-06-30",
        )
    number = f"TRY_CAST({text} AS {NUM})"
    bad = (
        f"({text} IS NOT NULL AND ({number} IS NULL OR {number} < 0 OR abs({number}) >= {int(MAX_VALUE)}"
        + (f" OR {number} <> round({number}, 0)" if spec.kind == "number" else "")
        + "))"
    )
    value = f"(CASE WHEN NOT {bad} THEN {number} END)"
    unit = {
        "money": "元",
        "money_per_area": "元 per area",
        "area": "the area",
        "ratio": "a fraction such as 0.4",
        "years": "years",
        "number": "a whole number",
    }[spec.kind]
    return (f"COALESCE({value}, {default})" if default else value), bad, f"a non-negative number ({unit})"


# `--match`: how `pol match` groups a clause's result, by its status and whether the facts decide the amount.
MATCH = {"automatic": "免申即享", "maybe": "可能符合", "missing": "尚缺信息"}


def _match(program: ir.Program, clause: ir.Clause, status: str) -> str:
    """The `pol match` group of a clause's result, or NULL when it is ruled out or its policy is a draft."""
    if program.draft:
        return "NULL"
    automatic = string(MATCH["automatic"]) if clause.grant.mode == "exact" else string(MATCH["maybe"])
    return (
        f"(CASE {status} WHEN 'granted' THEN {automatic} WHEN 'discretionary' THEN {string(MATCH['maybe'])} "
        f"WHEN 'case_by_case' THEN {string(MATCH['maybe'])} WHEN 'needs_facts' THEN {string(MATCH['missing'])} END)"
    )


def _columns_fit(
    present: dict[str, str], inputs: dict[str, ir.Input], columns: dict[str, str], ignore: tuple[str, ...], keys: bool
) -> None:
    """InputError naming every column that is no input (a misspelt header would leave its input missing on every
    row) and every --columns entry naming no column, as pol eval refuses an unknown fact."""
    mapped = {columns.get(name, name) for name in inputs}
    known = mapped | set(ignore) | {ROW} | ({history.ENTERPRISE, history.DATE, history.ITEM} if keys else set())
    problems = []
    for col in present:
        if col not in known:
            close = difflib.get_close_matches(col, sorted(inputs), n=1)
            problems.append(
                f"column '{col}' is no input of the policies" + (f" (did you mean '{close[0]}'?)" if close else "")
            )
    for name, col in columns.items():
        if col not in present:
            problems.append(f"--columns maps {name} to '{col}', which is no column of the input")
    if problems:
        raise InputError(
            "; ".join(problems[:MAX_REPORTED])
            + "; rename the column, map it with --columns, or name columns that are no input with --ignore"
        )


def run(
    programs: dict[str, ir.Program],
    source: Path,
    out: Path,
    as_of: datetime.date,
    columns: dict[str, str] | None = None,
    progress: bool = False,
    match: bool = False,
    on: str = "duckdb",
    grants: Path | None = None,
    ignore: tuple[str, ...] = (),
) -> BatchResult:
    """Evaluate every row of `source` (CSV or Parquet) under each program; write one row per applicant to `out`.

    The statements are DuckDB's SQL; `on="spark"` runs them on Spark (compiler/engines.py translates them).
    With `grants`, a table of earlier grants, each application is evaluated against its enterprise's
    history as the ledger does (compiler/history.py).
    """
    columns = columns or {}
    db = engine(on, progress)
    # Read once: the checks, the facts and the row numbers all come from this table (DuckDB spills it to
    # disk when it does not fit in memory; Spark caches it across its executors).
    present = db.load(source, ROW)
    if grants is not None:
        past = db.load(grants, "__grant", "history_raw")
        history.check_columns(present, past)
        db.table("origins", history.origins(programs))
        db.table("grants", history.grants(past, history.summed(programs)))
        wrong = [row for (row,) in db.rows(history.BAD_GRANTS)]
        if wrong:
            raise InputError(
                f"--history: grants {', '.join(map(str, wrong))} (counting from 1) have no readable date "
                "(2022-06-30) or amount (a non-negative number of 元)"
            )
    floats = sorted(name for name, t in present.items() if t in ("FLOAT", "DOUBLE", "REAL"))
    if floats:
        raise InputError(
            f"the columns {', '.join(floats)} hold binary floating point; give exact decimals "
            "(DECIMAL, integers, or text) so amounts stay exact"
        )
    inputs: dict[str, ir.Input] = {}
    for program in programs.values():
        for spec in program.inputs:
            inputs.setdefault(spec.name, spec)
    _columns_fit(present, inputs, columns, ignore, grants is not None)
    typed, checks = [], []
    for name, spec in inputs.items():
        col = columns.get(name, name)
        raw = quote(col) if col in present else "NULL"
        value, is_bad, expected = _typed(spec, raw, present.get(col, "VARCHAR"))
        typed.append(f"{value} AS {quote(name)}")
        if col in present:
            checks.append((col, raw, is_bad, expected))
    keys: list[str] = []
    if grants is not None:
        keys = history.key_columns(present)
        date = quote(history.DATE)
        checks.append((history.DATE, date, f"TRY_CAST({date} AS DATE) IS NULL", "a date such as 2022-06-30"))
    bad_any = " OR ".join(f"COALESCE({b}, FALSE)" for _, _, b, _ in checks) or "FALSE"
    # One pass over the input: each row's typed facts and whether any of its values is bad.
    db.table("checked", f"SELECT {ROW}, {bad_any} AS __bad, {', '.join([*typed, *keys]) or 'NULL AS __none'} FROM raw")
    fact_columns = [ROW, *inputs] if inputs else [ROW, "__none"]
    if keys:
        fact_columns += list(history.KEYS.values())
    kept = ", ".join(quote(c) for c in fact_columns)
    db.view("facts", f"SELECT {kept} FROM checked WHERE NOT __bad")
    bad: list[BadValue] = []
    [(bad_rows,)] = db.rows("SELECT count(*) FROM checked WHERE __bad")
    if bad_rows:
        # The first rows with a bad value, each bad value of them named by its column.
        cells = ", ".join(
            f"CASE WHEN COALESCE({check}, FALSE) THEN CAST({raw} AS VARCHAR) END" for _, raw, check, _ in checks
        )
        first = f"SELECT {ROW} FROM checked WHERE __bad ORDER BY {ROW} LIMIT {MAX_REPORTED}"
        for row, *values in db.rows(f"SELECT {ROW}, {cells} FROM raw WHERE {ROW} IN ({first}) ORDER BY {ROW}"):
            bad += [
                BadValue(int(row), col, str(v), expected)
                for (col, _, _, expected), v in zip(checks, values, strict=True)
                if v is not None
            ]
    selects = [f"facts.{quote(ROW)} AS {quote('row')}"]
    for key, program in programs.items():
        gen = SqlGenerator(program)
        if grants is None:
            parts, amounts, maxima = gen.select(as_of, ROW)
            # Materialised once: the totals and the output both read it.
            db.table(quote("p_" + key), f"SELECT {parts} FROM facts")
            facts = "facts"
        else:
            # Each application judged on its own date, against the grants before it.
            parts, amounts, maxima = gen.select(as_of, ROW, day=history.APP_DATE)
            facts = history.plan(key, program, fact_columns, parts, db.table, db.stage)
        for clause in program.clauses:
            n = clause.id
            for field in ("status", "amount", "max_amount", "min_amount"):
                selects.append(f"{quote('p_' + key)}.{quote(n + '.' + field)} AS {quote(f'{key}.{n}.{field}')}")
            if match:
                status = f"{quote('p_' + key)}.{quote(n + '.status')}"
                selects.append(f"{_match(program, clause, status)} AS {quote(f'{key}.{n}.match')}")
        totals = gen.totals(amounts, maxima)
        # A limit may deduct what was already received, a fact: the totals read the facts beside the results.
        db.table(
            quote("t_" + key),
            f"SELECT {quote(ROW)}, {', '.join(totals)} FROM {quote('p_' + key)} JOIN {facts} USING ({quote(ROW)})",
        )
        selects += [
            f"{quote('t_' + key)}.{quote('totals.' + w)} AS {quote(f'{key}.totals.{w}')}"
            for w in ("determined", "maximum")
        ]
    joins = " ".join(f"JOIN {quote(v + key)} USING ({quote(ROW)})" for key in programs for v in ("p_", "t_"))
    query = f"SELECT {', '.join(selects)} FROM facts {joins} ORDER BY facts.{quote(ROW)}"
    out.parent.mkdir(parents=True, exist_ok=True)
    db.write(query, out)
    [(rows,)] = db.rows("SELECT count(*) FROM facts")
    return BatchResult(int(rows), bad[:MAX_REPORTED], int(bad_rows))
