"""The engines `pol batch` runs its SQL on: DuckDB embedded, or Spark in local mode or on a cluster.

The batch's statements are written once, in DuckDB's SQL (the dialect of the SQL backend). DuckDB runs
them as they are; Spark runs them translated by sqlglot into Spark SQL, with one type spelled otherwise
(DuckDB's 128-bit HUGEINT is Spark's DECIMAL(38, 0)) and decimal arithmetic kept exact
(`spark.sql.decimalOperations.allowPrecisionLoss=false`: a product keeps every decimal place instead of
being rounded to six).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import os
import re
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pol.compiler.backends.sql import string
from pol.compiler.files import staged

ENGINES = ("duckdb", "spark", "postgres")
# DuckDB's own memory by default: with the interpreter beside it, a run stays under 1 GB whatever the rows.
MEMORY = "768MB"


class InputError(ValueError):
    """The input file cannot be read as a table of applicants; the message says why."""


class SpillFull(RuntimeError):
    """The engine ran out of memory and of the disk it may spill to; the message says which limit to raise."""


class EngineUnavailable(RuntimeError):
    """The engine asked for cannot run here: its library or Java is missing; the message says what to install."""


def csv_header(source: Path) -> list[str]:
    """The column names of a CSV file's header line; InputError for no header or a name given twice."""
    try:
        with open(source, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the CSV file: {exc}") from None
    if header is None:
        raise InputError("the CSV file is empty: it needs a header line naming the columns")
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InputError(f"the CSV header names {', '.join(twice)} more than once; each column needs its own name")
    return header


def columnless_rows(source: Path) -> int:
    """The rows of a CSV file with no columns (a policy that reads no fact): every line after the header empty."""
    with open(source, encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(fh)
        next(rows, None)
        count = 0
        for row in rows:
            if any(row):
                raise InputError(
                    f"line {rows.line_num} of the CSV file has {len(row)} field(s) where the header has none"
                )
            count += 1
    return count


class DuckDBEngine:
    """DuckDB, in this process: nothing to start, spills to disk when a table does not fit in memory."""

    def __init__(self, progress: bool = False, memory: str = MEMORY, spill_limit: str | None = None):
        import duckdb  # imported here: only `pol batch` needs it

        self.duckdb = duckdb
        # Every statement runs on one thread of its own while the calling thread waits, so that a signal
        # (Ctrl-C, SIGTERM) is handled at once and stops the query (`interrupt`), instead of waiting for DuckDB
        # to look for it between operators. DuckDB's connection is used by that one thread only.
        self.worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pol-batch")
        self.con = self.worker.submit(duckdb.connect).result()
        # A folder of pol's own for what DuckDB spills to disk (by default `.tmp` in the current folder, left
        # behind by a run that is stopped), removed by close().
        self.watch: Callable[[float], None] | None = None  # told each query's progress while it runs
        self.progress = progress
        self.spill = tempfile.mkdtemp(prefix="pol-batch-spill-")
        weakref.finalize(self, shutil.rmtree, self.spill, True)  # gone even if close() is never called
        self.memory, self.spill_limit = memory, spill_limit or "90% of the free disk"
        try:
            self._execute(f"SET temp_directory = {string(self.spill)}")
            # The engine's own memory: what it cannot hold it spills, so a run's peak stays near this.
            self._execute(f"SET memory_limit = {string(memory)}")
            if spill_limit is not None:
                self._execute(f"SET max_temp_directory_size = {string(spill_limit)}")
        except self.duckdb.Error as exc:
            self.close()
            raise InputError(f"--memory {memory} / --spill-limit {spill_limit}: {str(exc).splitlines()[0]}") from None
        self._execute("SET enable_progress_bar = false")  # pol shows its own, in rows (`write`)
        self._execute("SET preserve_insertion_order = true")

    def _execute(self, sql: str, *params: Any, fetch: bool = False) -> Any:
        """Run a statement on the engine's thread (and fetch its rows there, with `fetch`); KeyboardInterrupt
        when a signal stops it."""

        def run() -> Any:
            cursor = self.con.execute(sql, *params)
            return cursor.fetchall() if fetch else None

        future = self.worker.submit(run)
        try:
            while True:
                try:
                    return future.result(timeout=0.05)
                except concurrent.futures.TimeoutError:
                    if self.watch is not None:
                        self.watch(self.con.query_progress())
        except KeyboardInterrupt:
            self.con.interrupt()
            concurrent.futures.wait([future])
            raise
        except self.duckdb.Error as exc:
            raise self._explained(exc) from None
        except RuntimeError as exc:
            # DuckDB stops a query when a signal arrives and says so in its own error.
            if "interrupted" in str(exc).lower():
                raise KeyboardInterrupt from None
            raise

    def _explained(self, exc: Exception) -> BaseException:
        """DuckDB's error as what pol reports: the input's fault (InputError), a full disk, or else itself."""
        text = str(exc)
        if "interrupted" in text.lower():
            return KeyboardInterrupt()
        if "CSV Error" in text or "Invalid Input Error" in text and "CSV" in text:
            lines = text.split("\n")
            # DuckDB's first line says where (CSV Error on Line: 3), another what (Expected … Found …).
            where = lines[0].removeprefix("Invalid Input Error: ")
            what = next((x for x in lines if x.startswith("Expected Number of Columns")), "")
            return InputError(f"{where}{'; ' + what if what else ''}")
        if "max_temp_directory_size" in text or "No space left on device" in text:
            return SpillFull(
                f"the engine ran out of room to spill to disk ({self.spill}, at most {self.spill_limit}): free "
                "disk space, raise --spill-limit, or give more memory with --memory"
            )
        if isinstance(exc, self.duckdb.OutOfMemoryException):
            return SpillFull(f"the engine ran out of memory ({self.memory}); give more with --memory")
        return exc

    def load(self, source: Path, row: str, name: str = "raw") -> dict[str, str]:
        """Read the input as the table `name`, each row numbered from 1 in `row`; each column's type."""
        if source.suffix.lower() == ".parquet":
            reader = f"read_parquet({string(str(source))})"
        else:
            # Comma-separated with the header's columns, as pol writes it and the docs say; not sniffed, and
            # strict, so a ragged row is an error rather than a reason to read the file as something else.
            header = csv_header(source)
            if not header:  # applicants of a policy that reads no fact: only their number matters
                rows = columnless_rows(source)
                self._execute(f'CREATE TEMP TABLE {name} AS SELECT range + 1 AS "{row}" FROM range({rows})')
                return {row: "BIGINT"}
            names = ", ".join(f"{string(h)}: 'VARCHAR'" for h in header)
            reader = (
                f"read_csv({string(str(source))}, header = true, auto_detect = false, delim = ',', quote = '\"', "
                f"escape = '\"', strict_mode = true, null_padding = false, columns = {{{names}}})"
            )
        # A view: every pass reads the file again, in batches, so no pass holds its rows (row_number over the
        # whole input, with the insertion order kept, is a streaming window in DuckDB).
        try:
            self._execute(f'CREATE TEMP VIEW {name} AS SELECT row_number() OVER () AS "{row}", * FROM {reader}')
            return {r[0]: str(r[1]) for r in self._execute(f"DESCRIBE {name}", fetch=True)}
        except self.duckdb.Error as exc:
            raise InputError(str(exc).split("\n")[0].removeprefix("Invalid Input Error: ")) from None

    def table(self, name: str, select: str) -> None:
        self._execute(f"CREATE TEMP TABLE {name} AS {select}")

    def close(self) -> None:
        """Close the database and remove its spill folder."""
        self.worker.submit(self.con.close).result()
        self.worker.shutdown()
        shutil.rmtree(self.spill, ignore_errors=True)

    def values(self, name: str, columns: tuple[str, str, str], rows: list[tuple[int, str, str | None]]) -> None:
        """A small table of (integer, text, text) rows made in Python, as the table `name`."""
        i, t, v = columns
        lists = [list(x) for x in zip(*rows, strict=True)] if rows else [[], [], []]
        self._execute(
            f"CREATE TEMP TABLE {name} AS SELECT unnest($1::INTEGER[]) AS {i}, unnest($2::VARCHAR[]) AS {t}, "
            f"unnest($3::VARCHAR[]) AS {v}",
            lists,
        )

    stage = table  # DuckDB keeps no plan behind a table

    def view(self, name: str, select: str) -> None:
        self._execute(f"CREATE TEMP VIEW {name} AS {select}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._execute(sql, fetch=True)]

    def write(self, query: str, out: Path, rows: int = 0) -> None:
        """Write the query's rows to `out` (Parquet or CSV), swapped in only when complete; with a terminal,
        a progress bar of the `rows` expected, and their rate."""
        fmt = "PARQUET" if out.suffix.lower() == ".parquet" else "CSV, HEADER"
        with staged(out) as staging, _progress_bar(self.progress, rows) as watch:
            self.watch = watch
            try:
                self._execute(f"COPY ({query}) TO {string(str(staging))} (FORMAT {fmt})")
            finally:
                self.watch = None


@contextlib.contextmanager
def _progress_bar(shown: bool, rows: int) -> Iterator[Callable[[float], None] | None]:
    """A bar on standard error of the rows written and their rate, told the query's progress in percent."""
    if not shown or rows == 0:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows, {task.fields[rate]} rows/s"),
        TimeRemainingColumn(),
        transient=True,
        console=Console(stderr=True),  # standard output may be the JSON a caller reads
    ) as bar:
        task = bar.add_task("rows", total=rows, rate="…")
        start = time.monotonic()

        def watch(percent: float) -> None:
            if percent >= 0:
                done = int(rows * percent / 100)
                rate = done / max(time.monotonic() - start, 1e-9)
                bar.update(task, completed=done, rate=f"{rate:,.0f}")

        yield watch
        bar.update(task, completed=rows)


def to_spark(duckdb_sql: str) -> str:
    """A statement in DuckDB's SQL as Spark SQL: sqlglot's translation, with HUGEINT as DECIMAL(38, 0)."""
    import sqlglot
    from sqlglot import exp

    def exact(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
            return exp.DataType.build("DECIMAL(38, 0)")
        return node

    return sqlglot.parse_one(duckdb_sql, read="duckdb").transform(exact).sql(dialect="spark")


# Spark's names of the column types `pol batch` tells apart, as DuckDB spells them.
_SPARK_TYPES = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
}


class SparkEngine:
    """Spark through PySpark: `local[*]` unless SPARK_MASTER (or spark-submit) says where the cluster is."""

    def __init__(self, progress: bool = False):
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise EngineUnavailable("--engine spark needs PySpark: pip install 'pol[spark]'") from exc
        builder = (
            SparkSession.builder.appName("pol batch")
            .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
            .config("spark.sql.session.timeZone", "UTC")
            # A clause compiles to one very large expression: generated Java for it overflows the JVM's
            # 64 KB method limit and is thrown away, so Spark is told not to try.
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.ui.showConsoleProgress", "true" if progress else "false")
            # No web UI for a batch run: its server costs half a second of the start, and nobody browses it.
            .config("spark.ui.enabled", "true" if progress else "false")
        )
        self.local = False
        if os.environ.get("SPARK_MASTER"):
            builder = builder.master(os.environ["SPARK_MASTER"])
        elif not os.environ.get("PYSPARK_GATEWAY_PORT"):  # not started by spark-submit, which sets the master
            self.local = True
            # Local mode: a few partitions, not the 200 a cluster's shuffles are sized for.
            builder = builder.master(os.environ.get("POL_SPARK_MASTER", "local[*]"))
            builder = builder.config("spark.sql.shuffle.partitions", str(os.cpu_count() or 2))
        try:
            self.spark = builder.getOrCreate()
        except Exception as exc:  # py4j's own errors: the JVM did not start
            raise EngineUnavailable(
                f"Spark could not start ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                "it needs Java 17 or later on PATH or in JAVA_HOME"
            ) from exc
        # pol reports what fails, by row and column where it can; Spark's own log lines would only repeat it.
        self.spark.sparkContext.setLogLevel("FATAL")

    def sql(self, duckdb_sql: str) -> Any:
        """Run a statement written in DuckDB's SQL, translated to Spark's."""
        return self.spark.sql(to_spark(duckdb_sql))

    def load(self, source: Path, row: str, name: str = "raw") -> dict[str, str]:
        from pyspark.sql import functions as F
        from pyspark.sql.utils import AnalysisException

        try:
            if source.suffix.lower() == ".parquet":
                if self.local:
                    # A split per few row groups, so that every core has a share (128 MB splits gave one of
                    # the two cores two thirds of a 180 MB file).
                    split = max(4 << 20, source.stat().st_size // (4 * (os.cpu_count() or 2)) + 1)
                    self.spark.conf.set("spark.sql.files.maxPartitionBytes", str(split))
                frame = self.spark.read.parquet(str(source))
            else:
                # Read as DuckDB reads it: the header's columns, all text, RFC 4180 quotes (a quote doubled
                # inside a field, a line break inside quotes), and a ragged row an error, not a null-padded row.
                header = csv_header(source)
                if not header:
                    frame = self.spark.range(1, columnless_rows(source) + 1).toDF(row)
                    frame.cache().createOrReplaceTempView(name)
                    return {row: "BIGINT"}
                from pyspark.sql.types import StringType, StructField, StructType

                schema = StructType([StructField(h, StringType()) for h in header])
                frame = (
                    self.spark.read.schema(schema)
                    .options(header=True, quote='"', escape='"', multiLine=True, mode="FAILFAST", enforceSchema=False)
                    .csv(str(source))
                )
                # FAILFAST only fails when the rows are read: count them now, while the error can be named.
                frame = frame.cache()
                frame.count()
        except AnalysisException as exc:
            raise InputError(str(exc).split("\n")[0]) from None
        except Exception as exc:  # py4j's wrapper of Spark's malformed-record error
            if "Malformed" not in str(exc) and "FAILFAST" not in str(exc):
                raise
            record = re.search(r"Malformed records are detected in record parsing: (\[.*?\])", str(exc))
            raise InputError(
                "a row of the CSV file has more or fewer fields than its header"
                + (f": {record.group(1)}" if record else "")
            ) from None
        # Row numbers in the file's order, computed where the rows are: a partition holds a run of the file
        # after the runs of the partitions before it, and monotonically_increasing_id() is its partition's
        # number (upper bits) and the row's place in it (lower 33 bits). One count per partition gives each
        # partition's first row; a window over the whole file would move every row to one partition.
        # Not cached: each pass reads the file again, split as before, so the numbers come out the same, and
        # no copy of the input fills Spark's memory (a CSV's rows were cached above, to be checked).
        frame = frame.select(
            F.spark_partition_id().alias("__part"), F.monotonically_increasing_id().alias("__id"), *frame.columns
        )
        first, offsets = 1, []
        for part, count in sorted(frame.groupBy("__part").count().collect()):
            offsets.append(f"WHEN {int(part)} THEN {first}")
            first += int(count)
        start = f"(CASE __part {' '.join(offsets)} END)" if offsets else "1"
        numbered = F.expr(f"{start} + (__id & {(1 << 33) - 1})").cast("bigint").alias(row)
        frame = frame.select(
            numbered, *[F.col("`" + c.replace("`", "``") + "`") for c in frame.columns if c not in ("__part", "__id")]
        )
        frame.createOrReplaceTempView(name)
        types = {}
        for name, spark_type in frame.dtypes:
            types[name] = _SPARK_TYPES.get(spark_type, spark_type.upper())
        return types

    def table(self, name: str, select: str) -> None:
        self.sql(select).cache().createOrReplaceTempView(name.strip('"'))

    def values(self, name: str, columns: tuple[str, str, str], rows: list[tuple[int, str, str | None]]) -> None:
        """A small table of (integer, text, text) rows made in Python, as the table `name`."""
        i, t, v = columns
        self.spark.createDataFrame(rows, f"{i} INT, {t} STRING, {v} STRING").createOrReplaceTempView(name)

    def stage(self, name: str, select: str) -> None:
        """A table whose plan later statements do not carry: computed now, its lineage cut, so a query built
        on wide stages stays small for Spark's analyser."""
        self.sql(select).localCheckpoint(eager=True).createOrReplaceTempView(name.strip('"'))

    def view(self, name: str, select: str) -> None:
        self.sql(select).createOrReplaceTempView(name.strip('"'))

    def close(self) -> None:
        """Nothing to remove: Spark keeps its files under spark.local.dir and stops with the process."""

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.sql(sql).collect()]

    def write(self, query: str, out: Path, rows: int = 0) -> None:
        """Write the query's rows to `out` as one file: Spark writes a folder of parts, joined in order and moved
        into place."""
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            # Each partition computed and written by its own task (coalesce(1) ran the whole plan in one), the
            # parts then joined in partition order, which is the rows' order.
            writer = self.sql(query).write.mode("overwrite")
            if out.suffix.lower() == ".parquet":
                writer.parquet(str(staging / "data"))
            else:
                writer.option("header", True).csv(str(staging / "data"))
            parts = sorted(p for p in (staging / "data").iterdir() if p.name.startswith("part-"))
            _join_parts(parts, staging / "joined", out.suffix.lower() == ".parquet")
            os.replace(staging / "joined", out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _join_parts(parts: list[Path], out: Path, parquet: bool) -> None:
    """Spark's part files as one file, in their order: Parquet through DuckDB (which reads a list of files in
    the order given), CSV by bytes, each part's header line after the first left out."""
    if parquet:
        import duckdb

        con = duckdb.connect()
        con.execute("SET preserve_insertion_order = true")
        files = ", ".join(string(str(p)) for p in parts)
        con.execute(f"COPY (SELECT * FROM read_parquet([{files}])) TO {string(str(out))} (FORMAT PARQUET)")
        con.close()
        return
    with open(out, "wb") as joined:
        header = False
        for part in parts:
            with open(part, "rb") as fh:
                first = fh.readline()
                if not first:
                    continue  # an empty partition
                if not header:
                    joined.write(first)
                    header = True
                shutil.copyfileobj(fh, joined)


Engine = DuckDBEngine | SparkEngine


def engine(
    name: str, progress: bool = False, memory: str = MEMORY, spill_limit: str | None = None, dsn: str | None = None
) -> Engine:
    """The engine called `name`."""
    if name == "spark":
        return SparkEngine(progress)
    if name == "postgres":
        from pol.compiler.population.postgres import PostgresEngine

        return PostgresEngine(dsn)  # type: ignore[return-value]
    return DuckDBEngine(progress, memory, spill_limit)
