"""`pol batch`: a whole population of applicants evaluated at once, exactly, from the lowered form, on DuckDB or Spark."""

from __future__ import annotations

import datetime
import difflib
from decimal import Decimal
from pathlib import Path

import attrs

from pol.compiler import ir
from pol.compiler.backends.sql import NUM, decimal_type, quote, string
from pol.compiler.backends.sql_policy import PolicySql
from pol.compiler.population import cells, history
from pol.compiler.population.engines import MEMORY, Engine, InputError, engine

KEPT = "__keep."  # before a --keep column's name while it rides with the facts
ROW = "__row"  # the input's row number, from 1, kept in the output so results join back to the input
MAX_REPORTED = 20
MONEY = "DECIMAL(38, 2)"  # an amount in the output: rounded to the fen


__all__ = ["BadValue", "BatchResult", "InputError", "run"]


@attrs.frozen
class BadValue:
    """A value in the input that does not fit its input: the row (from 1), the column, the value and what is wrong."""

    row: int
    column: str
    value: str
    problem: str  # as the evaluators say it of the same fact in a facts file


@attrs.frozen
class ColumnRead:
    """What was read of one input: from which column (None: no column, so missing in every row), how many values
    were given, and how many of them were refused."""

    input: str
    column: str | None
    given: int
    refused: int


@attrs.frozen
class BatchResult:
    rows: int  # rows evaluated
    bad: list[BadValue]  # the first few bad values; `bad_rows` counts every row left out
    bad_rows: int
    columns: list[ColumnRead] = attrs.Factory(list)  # for each input, what the input file gave of it


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


@attrs.frozen
class _Check:
    """A column's test for a bad value, and how to say what is wrong with one."""

    column: str
    spec: ir.Input | None  # None: a key column of --history
    shown: str  # SQL of the value as the report fetches it
    bad: str
    exact: bool = False
    empty: str = "FALSE"  # SQL: the cell is missing
    sql_type: str = ""  # the column's type in the input

    def problem(self, value: object) -> str:
        if self.spec is None:
            return f"{value!r} is not a date such as 2022-06-30"
        return cells.problem(self.spec, value, self.exact)


@attrs.frozen
class _Value:
    """An input's typed value in SQL, given the SQL type a numeric value is read as: its default when the cell
    is empty (or there is no column), what SQL reads itself, else the evaluators' reading joined from `cells`."""

    column: cells.Column
    alias: str | None  # the join of the evaluators' readings of this column's other texts
    given: bool = True  # the input has a column

    def __call__(self, num: str, clean: bool = False, full: bool = False) -> str:
        """The value typed `num`; `clean` when no cell of the column was refused, `full` when none is empty."""
        column = attrs.evolve(self.column, num=num)
        spec = column.spec
        default = (
            column.cast(string(cells.value_text(spec.default.value))) if spec.default is not None else column.missing
        )
        if not self.given:
            return default
        # A column the counting pass found clean needs no test of its cells, only their cast.
        if clean and self.alias is None and (value := column.trusted()) is not None:
            if full:
                return value
            if column.exact or column.typed:  # empty is NULL alone
                return f"(CASE WHEN {column.empty} THEN {default} ELSE {value} END)"
        test, native = column.native()
        lookup = f" WHEN {self.alias}.__t IS NOT NULL THEN {column.cast(f'{self.alias}.__v')}" if self.alias else ""
        return f"(CASE WHEN {column.empty} THEN {default} WHEN {test} THEN {native}{lookup} END)"


Typed = _Value  # an input's typed value in SQL, given the SQL type of a numeric value


def _read(
    db: Engine, present: dict[str, str], inputs: dict[str, ir.Input], columns: dict[str, str]
) -> tuple[dict[str, Typed], list[_Check], str]:
    """SQL for each input's typed value, the checks for bad values, and the joins they need (compiler/population/cells.py).

    Cells SQL reads itself are read in the engine; every other distinct text of a column is read once by the
    evaluators' reader, and its value joined back from the table `cells`.
    """
    nested = sorted(col for col in (columns.get(n, n) for n in inputs) if cells.nested(present.get(col, "")))
    if nested:
        raise InputError(
            f"the columns {', '.join(nested)} hold several values in a row "
            f"({', '.join(present[c] for c in nested)}); an input takes one value per applicant"
        )
    read: list[tuple[str, cells.Column]] = []
    for name, spec in inputs.items():
        col = columns.get(name, name)
        if col in present:
            read.append((name, cells.Column(spec, f"raw.{quote(col)}", present[col])))
    others = [
        f"SELECT DISTINCT {k} AS __i, {c.text} AS __t FROM raw "
        f"WHERE NOT {c.empty} AND NOT COALESCE({c.native()[0]}, FALSE)"
        for k, (_, c) in enumerate(read)
        if not c.exact
    ]
    found: dict[int, list[tuple[int, str, str | None]]] = {}
    readers = [cells.runtime_input(c.spec) for _, c in read]
    for k, text in db.rows(" UNION ALL ".join(others)) if others else []:
        try:
            value: str | None = cells.value_text(cells.read_cell(readers[k], text))
        except ValueError:
            value = None  # refused; the report says why
        found.setdefault(k, []).append((k, text, value))
    if found:
        db.values("cells", ("__i", "__t", "__v"), [r for rows in found.values() for r in rows])
    typed: dict[str, Typed] = {}
    checks, joins = [], []
    by_name = dict(read)

    for name, spec in inputs.items():
        column = by_name.get(name) or cells.Column(spec, "NULL", "VARCHAR")
        if name not in by_name:
            typed[name] = _Value(column, None, given=False)
            continue
        k = read.index((name, column))
        test, native = column.native()
        refused = [f"NOT {column.empty}", f"NOT COALESCE({test}, FALSE)"]
        alias = None
        if k in found:
            alias = f"__c{k}"
            joins.append(f"LEFT JOIN cells AS {alias} ON {alias}.__i = {k} AND {alias}.__t = {column.text}")
            refused.append(f"{alias}.__v IS NULL")
        typed[name] = _Value(column, alias)
        shown = column.raw if column.exact else column.text
        checks.append(
            _Check(
                columns.get(name, name),
                spec,
                shown,
                f"({' AND '.join(refused)})",
                column.exact,
                column.empty,
                column.sql_type,
            )
        )
    return typed, checks, " ".join(joins)


@attrs.frozen
class _Counts:
    """One pass over the input: its rows, the rows with a bad value, and what each input's column gave."""

    rows: int
    bad_rows: int
    columns: list[ColumnRead]
    bounds: dict[str, tuple[int, int]] = attrs.Factory(dict)  # numeric input -> digits before and after the point

    def given(self, inputs: dict[str, ir.Input]) -> frozenset[str]:
        """The inputs every kept row has a value of: a default fills a gap, or the column has none."""
        full = {c.input for c in self.columns if c.column is not None and c.given == self.rows}
        return frozenset(n for n, spec in inputs.items() if spec.default is not None or n in full)

    def absent(self, inputs: dict[str, ir.Input]) -> frozenset[str]:
        """The inputs no row has a value of: no column, no default."""
        none = {c.input for c in self.columns if c.column is None}
        return frozenset(n for n, spec in inputs.items() if spec.default is None and n in none)


def _count(
    db: Engine, inputs: dict[str, ir.Input], checks: list[_Check], joins: str, typed: dict[str, Typed]
) -> _Counts:
    """The rows, the bad rows, for each input the values its column gave and refused, and the largest value
    of each numeric input among the rows kept, in one pass."""
    counted = [(i, c) for i, c in enumerate(checks) if c.spec is not None]  # one per input with a column
    by_input = {c.spec.name: c for _, c in counted if c.spec is not None}
    numeric = [n for n, spec in inputs.items() if spec.kind in cells.NUMERIC]
    # Each cell's tests once, in a subquery; the counts over them.
    inner = [f"COALESCE({c.bad}, FALSE) AS __r{i}" for i, c in enumerate(checks)]
    inner += [f"COALESCE({c.empty}, FALSE) AS __e{i}" for i, c in counted]
    # A column of exact numbers is its own value (its largest need not be converted to be found).
    inner += [
        f"abs({by_input[n].shown if n in by_input and by_input[n].exact else typed[n](NUM)}) AS __v{j}"
        for j, n in enumerate(numeric)
    ]
    bad = " OR ".join(f"__r{i}" for i in range(len(checks))) or "FALSE"

    def counted_if(test: str) -> str:
        # count_if, not count(*) FILTER: DuckDB runs a FILTER per aggregate, three times slower over 200
        # of them. COALESCE: PostgreSQL's translation, a SUM, is NULL over no rows.
        return f"COALESCE(count_if({test}), 0)"

    parts = [counted_if("__bad")]
    parts += [f"{counted_if(f'NOT __e{i}')}, {counted_if(f'__r{i}')}" for i, _ in counted]
    parts += [f"max(__v{j}) FILTER (WHERE NOT __bad)" for j in range(len(numeric))]
    cells_read = f"SELECT {', '.join(inner) or 'NULL AS __none'} FROM raw {joins}"
    [(rows, bad_rows, *counts)] = db.rows(
        f"SELECT count(*), {', '.join(parts)} FROM (SELECT *, ({bad}) AS __bad FROM ({cells_read}) AS cells) AS cells_read"
    )
    largest = dict(zip(numeric, counts[2 * len(counted) :], strict=True))
    read = {
        c.spec.name: (c.column, int(counts[2 * k]), int(counts[2 * k + 1]))
        for k, (_, c) in enumerate(counted)
        if c.spec is not None
    }
    columns = [ColumnRead(name, *read.get(name, (None, 0, 0))) for name in inputs]
    bounds = {n: _bound(largest[n], inputs[n], by_input.get(n)) for n in numeric}
    return _Counts(int(rows), int(bad_rows), columns, bounds)


def _bound(largest: object, spec: ir.Input, check: _Check | None) -> tuple[int, int]:
    """The digits before and after the point of an input's values: before, from the largest value read (or its
    default); after, from the column's DECIMAL type, or the 6 decimals a fact may have."""
    values = [Decimal(str(v)) for v in (largest, spec.default.value if spec.default else None) if v is not None]
    whole = max((len(str(int(v))) for v in values), default=1)
    places = 6
    if check is not None and check.exact:
        found = cells.Column(spec, check.shown, check.sql_type).digits()
        # An integer column has no decimals; a DECIMAL of no stated scale (PostgreSQL's NUMERIC) up to a fact's 6.
        places = min(found[1], 6) if found else (6 if check.sql_type.upper().startswith("DECIMAL") else 0)
    return whole, places


def _clause_columns(
    key: str, program: ir.Program, clause: ir.Clause, at: str, name: str, money: str, match: bool
) -> list[str]:
    """A clause's columns of the output: status, amount, maximum, minimum (each amount typed `money`, even
    one the clause never fills: a bare NULL has no type, and Spark writes no CSV column of none), and with
    `match` its pol match group. The plan computed each field as the column `at` + `name` + field."""

    def cell(field: str) -> str:
        return at + quote(name + field)

    out = []
    for field in ("status", "amount", "max_amount", "min_amount"):
        value = cell(field) if field == "status" else f"CAST({cell(field)} AS {money})"
        out.append(f"{value} AS {quote(f'{key}.{clause.id}.{field}')}")
    if match:
        out.append(f"{_match(program, clause, cell('status'))} AS {quote(f'{key}.{clause.id}.match')}")
    return out


def _streamed(
    programs: dict[str, ir.Program], as_of: datetime.date, match: bool, counts: _Counts, keep: tuple[str, ...]
) -> str:
    """The results of every row as one query over `facts`: each policy's layers (compiler/backends/sql_policy.py) in
    turn, each adding its columns to the row, so the engine streams rows through and holds none."""
    relation = "facts"
    selects = [f"{quote(ROW)} AS {quote('row')}", *(f"{quote(KEPT + c)} AS {quote(c)}" for c in keep)]
    inputs = {spec.name: spec for program in programs.values() for spec in program.inputs}
    given, absent = counts.given(inputs), counts.absent(inputs)
    depth = 0
    for key, program in programs.items():
        gen = PolicySql(program, given=given, absent=absent, bounds=counts.bounds)
        for layer in gen.layers(as_of, prefix=f"{key}."):
            depth += 1
            relation = f"(SELECT *, {', '.join(layer)} FROM {relation}) AS l{depth}"
        widest = 1
        for clause in program.clauses:
            # Amounts in 64-bit DECIMAL(18, 2) when the clause's bound allows (half the bytes to buffer and
            # write of DECIMAL(38, 2)): the bound of its grant, which caps and deductions only lower.
            digits = gen.amount_digits(clause)
            widest = max(widest, digits)
            money = MONEY if digits > 16 else "DECIMAL(18, 2)"
            selects += _clause_columns(
                key,
                program,
                clause,
                "",
                f"{key}.{clause.id}.",
                money,
                match,
            )
        total = MONEY if widest + len(str(len(program.clauses))) > 16 else "DECIMAL(18, 2)"
        selects += [
            f"CAST({quote(f'{key}.totals.{w}')} AS {total}) AS {quote(f'{key}.totals.{w}')}"
            for w in ("determined", "maximum")
        ]
    return f"SELECT {', '.join(selects)} FROM {relation}"


def _with_history(
    db: Engine,
    programs: dict[str, ir.Program],
    as_of: datetime.date,
    match: bool,
    fact_columns: list[str],
    keep: tuple[str, ...],
) -> str:
    """The results when each application is judged against its enterprise's earlier grants: tables per policy
    (compiler/population/history.py), joined by row."""
    selects = [f"facts.{quote(ROW)} AS {quote('row')}", *(f"facts.{quote(KEPT + c)} AS {quote(c)}" for c in keep)]
    for key, program in programs.items():
        gen = PolicySql(program)
        # Each application judged on its own date, against the grants before it.
        parts, amounts, maxima = gen.select(as_of, ROW, day=history.APP_DATE)
        facts = history.plan(key, program, fact_columns, parts, db.table, db.stage)
        for clause in program.clauses:
            selects += _clause_columns(
                key,
                program,
                clause,
                f"{quote('p_' + key)}.",
                f"{clause.id}.",
                MONEY,
                match,
            )
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
    results = " ".join(f"JOIN {quote(v + key)} USING ({quote(ROW)})" for key in programs for v in ("p_", "t_"))
    return f"SELECT {', '.join(selects)} FROM facts {results} ORDER BY facts.{quote(ROW)}"


def run(
    programs: dict[str, ir.Program],
    source: Path | str,
    out: Path | str,
    as_of: datetime.date,
    columns: dict[str, str] | None = None,
    progress: bool = False,
    match: bool = False,
    on: str = "duckdb",
    grants: Path | str | None = None,
    ignore: tuple[str, ...] = (),
    memory: str = MEMORY,
    keep: tuple[str, ...] = (),
    spill_limit: str | None = None,
    dsn: str | None = None,
) -> BatchResult:
    """Evaluate every row of `source` (CSV or Parquet) under each program; write one row per applicant to `out`.

    The statements are DuckDB's SQL; `on="spark"` runs them on Spark (compiler/population/engines.py translates them).
    With `grants`, a table of earlier grants, each application is evaluated against its enterprise's
    history as the ledger does (compiler/population/history.py).
    """
    columns = columns or {}
    db = engine(on, progress, memory, spill_limit, dsn)
    try:
        # The input as a view (DuckDB and Spark read the file again on each pass below; PostgreSQL reads the
        # table), each row numbered: the checks and the facts come from it.
        present = db.load(source, ROW)  # type: ignore[arg-type]  # a table name reaches only PostgreSQL
        if grants is not None:
            past = db.load(grants, "__grant", "history_raw")  # type: ignore[arg-type]
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
        missing = [c for c in keep if c not in present]
        if missing or "row" in keep:
            raise InputError(
                f"--keep: {', '.join(missing) or 'row'} "
                + ("is no column of the input" if missing else "is the results' own row number; keep another column")
            )
        _columns_fit(present, inputs, columns, (*ignore, *keep), grants is not None)
        # Kept columns ride with the facts under names no input has, and come out under their own.
        carried = [f"raw.{quote(c)} AS {quote(KEPT + c)}" for c in keep]
        typed, checks, joins = _read(db, present, inputs, columns)
        keys: list[str] = []
        if grants is not None:
            keys = history.key_columns(present)
            date = f"raw.{quote(history.DATE)}"
            checks.append(_Check(history.DATE, None, date, f"TRY_CAST({date} AS DATE) IS NULL"))
        bad_any = " OR ".join(f"COALESCE({c.bad}, FALSE)" for c in checks) or "FALSE"
        counts = _count(db, inputs, checks, joins, typed)
        # Each row's typed facts, the rows with a bad value left out: a view, read again by each pass below
        # (DuckDB streams the input file each time; nothing holds all its rows). Each numeric input is typed
        # to what its values need (a 64-bit DECIMAL where they fit), so the plan's arithmetic is as narrow as
        # the population allows (compiler/backends/sql.py, `bounds`); a bad value is never cast.
        read = {c.input: c for c in counts.columns if c.column is not None}
        listed = [
            sql(
                decimal_type(*counts.bounds[n]) if n in counts.bounds and grants is None else NUM,
                clean=n in read and read[n].refused == 0,
                full=n in read and read[n].given == counts.rows,
            )
            + f" AS {quote(n)}"
            for n, sql in typed.items()
        ]
        db.view(
            "facts",
            f"SELECT raw.{quote(ROW)}, {', '.join([*listed, *keys, *carried]) or 'NULL AS __none'} FROM raw {joins}"
            + (f" WHERE NOT ({bad_any})" if counts.bad_rows else ""),
        )
        fact_columns = [ROW, *inputs] if inputs else [ROW, "__none"]
        if keys:
            fact_columns += list(history.KEYS.values())
        bad: list[BadValue] = []
        if counts.bad_rows:
            # The first rows with a bad value, each bad value of them named by its column and said wrong as
            # the evaluators say it.
            cells_sql = ", ".join(f"CASE WHEN COALESCE({c.bad}, FALSE) THEN {c.shown} END" for c in checks)
            found = db.rows(
                f"SELECT raw.{quote(ROW)}, {cells_sql} FROM raw {joins} WHERE {bad_any} "
                f"ORDER BY raw.{quote(ROW)} LIMIT {MAX_REPORTED}"
            )
            for row, *values in found:
                bad += [
                    BadValue(int(row), c.column, str(v), c.problem(v))
                    for c, v in zip(checks, values, strict=True)
                    if v is not None
                ]
        if grants is None:
            query = _streamed(programs, as_of, match, counts, keep)
            if joins:  # a join does not keep the input's order: the output is put back in it
                query += f" ORDER BY {quote('row')}"
        else:
            query = _with_history(db, programs, as_of, match, fact_columns, keep)
        if isinstance(out, Path):
            out.parent.mkdir(parents=True, exist_ok=True)
        db.write(query, out, counts.rows - counts.bad_rows)  # type: ignore[arg-type]
        return BatchResult(counts.rows - counts.bad_rows, bad[:MAX_REPORTED], counts.bad_rows, counts.columns)
    finally:
        db.close()  # its spill folder too, whether the run ended or was stopped
