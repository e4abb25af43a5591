"""`pol batch --engine postgres`: the same plan run inside PostgreSQL, where a platform's register lives.

The batch's statements are written once, in DuckDB's SQL; sqlglot translates them to PostgreSQL's, and
`_postgres` changes what differs beyond its translation: RE2's end of text `\\z` is PostgreSQL's `\\Z`, a
128-bit integer is NUMERIC(38, 0), DuckDB's `regexp_extract` (a group, '' when none) is an element of
`regexp_match`, and a date read from text that may not be one goes through a function of the session that
answers NULL instead of failing (PostgreSQL has no TRY_CAST; every other cast the plan makes is reached
only by a value its test has already accepted). NUMERIC is exact, so the amounts are the evaluators'.

Applicants come from a table or view (`--input NAME`), or from a CSV or Parquet file copied into a
temporary table; results go to a table (`--out NAME`), created in the run's one transaction, or to a CSV
file. Everything happens in that transaction: a run that fails or is stopped leaves the database as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pol.compiler.backends.sql import string
from pol.compiler.files import staged
from pol.compiler.population.engines import EngineUnavailable, InputError, columnless_rows, csv_header

MARK = "pol batch results"  # the comment on a results table: pol replaces only a table it made
IDENTIFIER = 63  # PostgreSQL's longest name, in bytes; a longer one is cut short, silently

# PostgreSQL's type names (pg_type.typname) of the columns `pol batch` tells apart, as DuckDB spells them.
_TYPES = {
    "text": "VARCHAR",
    "varchar": "VARCHAR",
    "bpchar": "VARCHAR",
    "int2": "SMALLINT",
    "int4": "INTEGER",
    "int8": "BIGINT",
    "float4": "FLOAT",
    "float8": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
}
# PostgreSQL has no TRY_CAST: what is cast from text that may not be a date or a number goes through these.
_TRY = (
    "CREATE FUNCTION pg_temp.pol_date(t text) RETURNS date LANGUAGE plpgsql IMMUTABLE AS "
    "$$ BEGIN RETURN t::date; EXCEPTION WHEN others THEN RETURN NULL; END $$",
    "CREATE FUNCTION pg_temp.pol_numeric(t text) RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS "
    "$$ BEGIN RETURN t::numeric; EXCEPTION WHEN others THEN RETURN NULL; END $$",
)


def _postgres(duckdb_sql: str) -> str:
    """A statement in DuckDB's SQL as PostgreSQL's."""
    import sqlglot
    from sqlglot import exp

    def adapt(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
            return exp.DataType.build("NUMERIC(38, 0)")
        if isinstance(node, exp.TryCast) and node.to.this == exp.DataType.Type.DATE:
            return exp.Anonymous(this="pg_temp.pol_date", expressions=[exp.cast(node.this, "TEXT")])
        if isinstance(node, exp.TryCast) and isinstance(node.this, (exp.Trim, exp.Cast)):
            # Text that may not be a number (a history's amounts): NULL when it is not one.
            number = exp.Anonymous(this="pg_temp.pol_numeric", expressions=[exp.cast(node.this, "TEXT")])
            return exp.Cast(this=number, to=node.to)
        if isinstance(node, exp.TryCast):
            return exp.Cast(this=node.this, to=node.to)  # a column of numbers, reached once its test accepted it
        if isinstance(node, exp.RegexpExtract):
            group = node.args.get("group")
            match = exp.Anonymous(this="regexp_match", expressions=[node.this, node.expression])
            return exp.Bracket(this=exp.Paren(this=match), expressions=[group or exp.Literal.number(0)], offset=1)
        return node

    def fenced(node: exp.Expression) -> exp.Expression:
        # PostgreSQL pulls a subquery up into the query above it, pasting each column's expression wherever
        # the column is read: a plan of layers would be computed as many times as its columns are read.
        # OFFSET 0 keeps each layer a layer, computed once per row.
        if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select) and not node.this.args.get("offset"):
            node.this.offset(0, copy=False)
        return node

    def pattern(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and node.is_string and "\\z" in node.this:
            return exp.Literal.string(node.this.replace("\\z", "\\Z"))  # only patterns end in \z
        return node

    return (
        sqlglot.parse_one(duckdb_sql, read="duckdb")
        .transform(pattern)
        .transform(adapt)
        .transform(fenced)
        .sql(dialect="postgres")
    )


def is_table(name: str) -> bool:
    """Whether `--input`/`--out` names a table (schema.table) rather than a CSV or Parquet file."""
    return Path(name).suffix.lower() not in (".csv", ".parquet")


def _qualified(name: str) -> str:
    """A table name as SQL: each dot-separated part quoted."""
    if not re.fullmatch(r"[^.\"]+(\.[^.\"]+)?", name):
        raise InputError(f"'{name}' is not a table name (schema.table or table)")
    return ".".join('"' + part + '"' for part in name.split("."))


class PostgresEngine:
    """PostgreSQL through psycopg, in one transaction, committed only when the results are all written."""

    def __init__(self, dsn: str | None):
        try:
            import psycopg
        except ImportError as exc:
            raise EngineUnavailable("--engine postgres needs psycopg: pip install 'pol[postgres]'") from exc
        if not dsn:
            raise EngineUnavailable("--engine postgres needs --dsn (such as postgresql://user@host/db)")
        self.psycopg = psycopg
        try:
            self.con = psycopg.connect(dsn, autocommit=False)
        except psycopg.Error as exc:
            raise EngineUnavailable(f"cannot connect to PostgreSQL: {str(exc).strip().splitlines()[0]}") from None
        self.cur = self.con.cursor()
        for function in _TRY:
            self.cur.execute(function)

    def _run(self, sql: str, params: Any = None) -> None:
        try:
            self.cur.execute(_postgres(sql) if params is None else sql, params)
        except self.psycopg.errors.QueryCanceled:
            raise KeyboardInterrupt from None

    def load(self, source: Path | str, row: str, name: str = "raw") -> dict[str, str]:
        """The applicants as the view `name`, each row numbered from 1 in `row`; each column's type."""
        relation = self._copied(source, name) if isinstance(source, Path) else _qualified(source)
        try:
            with self.con.transaction():  # a savepoint: a missing table is the input's fault, said plainly
                self.cur.execute(
                    f'CREATE TEMP VIEW {name} AS SELECT row_number() OVER () AS "{row}", * FROM {relation}'
                )
        except self.psycopg.Error as exc:
            raise InputError(str(exc).strip().splitlines()[0]) from None
        self.cur.execute(f"SELECT * FROM {name} LIMIT 0")
        types = {}
        for column in self.cur.description or []:
            typname = self._typname(column.type_code)
            if typname == "numeric":
                types[column.name] = (
                    f"DECIMAL({column.precision},{column.scale})" if column.precision is not None else "DECIMAL"
                )
            else:
                types[column.name] = _TYPES.get(typname, typname.upper())
        return types

    def _typname(self, oid: int) -> str:
        self.cur.execute("SELECT typname FROM pg_type WHERE oid = %s", (oid,))
        found = self.cur.fetchone()
        return str(found[0]) if found else "unknown"

    def _copied(self, source: Path, name: str) -> str:
        """A CSV file (every column text) or a Parquet file (its types) copied into a temporary table."""
        if source.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            table = pq.ParquetFile(source)
            columns = [(f.name, _arrow_type(f.type)) for f in table.schema_arrow]
            rows: Iterator[tuple[Any, ...]] = (
                tuple(r.values()) for batch in table.iter_batches(65_536) for r in batch.to_pylist()
            )
        else:
            header = csv_header(source)
            if not header:  # applicants of a policy that reads no fact: only their number matters
                return f"(SELECT FROM generate_series(1, {columnless_rows(source)})) AS pol_{name}"
            columns = [(h, "TEXT") for h in header]
            rows = _csv_rows(source, len(header))
        listed = ", ".join(f'"{n}" {t}' for n, t in columns)
        table = f"pol_{name}"
        self.cur.execute(f"CREATE TEMP TABLE {table} ({listed})")
        names = ", ".join(f'"{n}"' for n, _ in columns)
        with self.cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        return table

    def table(self, name: str, select: str) -> None:
        self._run(f"CREATE TEMP TABLE {name} AS {select}")

    stage = table

    def view(self, name: str, select: str) -> None:
        self._run(f"CREATE TEMP VIEW {name} AS {select}")

    def values(self, name: str, columns: tuple[str, str, str], rows: list[tuple[int, str, str | None]]) -> None:
        """A small table of (integer, text, text) rows made in Python, as the table `name`."""
        i, t, v = columns
        self.cur.execute(f"CREATE TEMP TABLE {name} ({i} INTEGER, {t} TEXT, {v} TEXT)")
        with self.cur.copy(f"COPY {name} FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        self._run(sql)
        return [tuple(r) for r in self.cur.fetchall()]

    def write(self, query: str, out: Path | str, rows: int = 0) -> None:
        """The results as the table `out` (replacing one pol made, never another), or as a CSV file; then the
        transaction is committed, so the database has all of them or none."""
        if isinstance(out, Path):
            if out.suffix.lower() != ".csv":
                raise InputError("--engine postgres writes a table, or a .csv file")
            with staged(out) as staging, open(staging, "wb") as fh:
                with self.cur.copy(f"COPY ({_postgres(query)}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                    for data in copy:
                        fh.write(data)
            self.con.commit()
            return
        target = _qualified(out)
        self.cur.execute(
            "SELECT obj_description(to_regclass(%s), 'pg_class'), to_regclass(%s) IS NOT NULL", (target, target)
        )
        comment, exists = self.cur.fetchone() or (None, False)
        if exists and comment != MARK:
            raise InputError(f"--out {out}: the table exists and pol did not make it; name another")
        if exists:
            self.cur.execute(f"DROP TABLE {target}")
        self._run(f"CREATE TABLE {target} AS {query}")
        self.cur.execute(f"COMMENT ON TABLE {target} IS {string(MARK)}")
        self.con.commit()

    def close(self) -> None:
        """Roll back whatever was not committed, and disconnect."""
        try:
            self.con.rollback()
        finally:
            self.con.close()


def _arrow_type(arrow: Any) -> str:
    """PostgreSQL's type for a Parquet column's: exact numbers stay exact, floats stay floats (and are refused)."""
    import pyarrow as pa

    if pa.types.is_decimal(arrow):
        return f"NUMERIC({arrow.precision}, {arrow.scale})"
    if pa.types.is_boolean(arrow):
        return "BOOLEAN"
    if pa.types.is_date(arrow):
        return "DATE"
    if pa.types.is_integer(arrow):
        return "BIGINT"
    if pa.types.is_floating(arrow):
        return "DOUBLE PRECISION"
    return "TEXT"


def _csv_rows(source: Path, width: int) -> Iterator[tuple[str | None, ...]]:
    """The rows of a CSV file read as pol reads CSV (RFC 4180), an empty field a missing value; InputError for a
    row whose fields do not match the header's."""
    import csv

    with open(source, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            if len(row) != width:
                raise InputError(
                    f"line {reader.line_num} of the CSV file has {len(row)} field(s) where the header has {width}"
                )
            yield tuple(None if cell == "" else cell for cell in row)
