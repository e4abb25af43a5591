"""`pol batch` on DuckDB: every worked example as one row gives its expected amount, bad rows are reported by row
and column and left out, and (marked long) over 100,000 generated applicants agree with the Python evaluator."""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FUZZ_COUNTS, POLICIES
from test_backends import generated

from pol.compiler.cli import main
from pol.compiler.evaluate.examples import _matches, example_date, example_facts
from pol.compiler.evaluate.jsrun import JsonResult
from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source
from pol.compiler.lower import lower
from pol.compiler.population import batch
from pol.compiler.population.synth import write_csv

pq = pytest.importorskip("pyarrow.parquet")
STEMS = sorted(p.stem for p in POLICIES.glob("*.pol"))
ROWS = 11_200  # per bundled policy: over 100,000 in all


def _write(path: Path, names: list[str], rows: list[dict]) -> None:
    write_csv(path, names, rows)


def _result(row: dict, key: str, clause: str) -> JsonResult:
    def money(field: str) -> Decimal | None:
        v = row[f"{key}.{clause}.{field}"]
        return None if v is None else Decimal(v)

    return JsonResult(row[f"{key}.{clause}.status"], money("amount"), money("max_amount"), money("min_amount"), (), ())


@pytest.mark.parametrize("stem", STEMS)
def test_every_worked_example_as_a_row_gives_its_expected_amount(stem, tmp_path) -> None:
    compiled = compile_file(POLICIES / f"{stem}.pol")
    policy = compiled.policy
    pairs = [(c, ex) for c in policy.clauses for ex in c.examples]
    if not pairs:
        pytest.skip("no worked examples")
    program = lower(policy, f"{stem}.pol")
    _write(tmp_path / "in.csv", [i.name for i in program.inputs], [example_facts(ex) for _, ex in pairs])
    result = batch.run({stem: program}, tmp_path / "in.csv", tmp_path / "out.parquet", example_date(policy))
    assert (result.rows, result.bad_rows) == (len(pairs), 0)
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    failed = [
        (c.id, ex.name)
        for (c, ex), row in zip(pairs, rows, strict=True)
        if not _matches(ex.expect, _result(row, stem, c.id))
    ]
    assert failed == []


def test_bad_rows_are_reported_by_row_and_column_and_left_out_of_the_totals(tmp_path, capsys) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "新药类别,临床阶段,临床研发费用\n一类新药,III期,100000000\n一类新药,IV期,5000\n"
        "二类新药,I期,-3\n一类新药,II期,abc\n一类新药,II期,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    assert (
        main(
            ["batch", str(POLICIES / "yantai.pol"), "--input", str(source), "--out", str(out), "--as-of", "2022-06-30"]
        )
        == 0
    )
    err = capsys.readouterr().err
    # Said as pol eval says it of the same fact in a facts file.
    assert (
        "row 2, column 临床阶段: 'IV期' is not one of I期、II期、III期; did you mean 'I期'?; the row is left out" in err
    )
    assert "row 3, column 临床研发费用: must not be negative, got -3; the row is left out" in err
    assert "row 4, column 临床研发费用: 'abc' is not a number; the row is left out" in err
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["row"] for r in rows] == ["1", "5"]  # the input's row numbers, bad rows left out
    assert (rows[0]["yantai.创新药研发.status"], rows[0]["yantai.创新药研发.amount"]) == ("granted", "20000000.00")
    assert rows[1]["yantai.创新药研发.status"] == "needs_facts" and rows[1]["yantai.创新药研发.amount"] == ""
    assert rows[0]["yantai.totals.determined"] == "20000000.00"


def test_columns_named_otherwise_are_mapped_and_outputs_never_overwrite_inputs(tmp_path, capsys) -> None:
    source = tmp_path / "people.csv"
    source.write_text("category,stage,cost\n一类新药,III期,50000000\n", encoding="utf-8")
    mapping = tmp_path / "columns.toml"
    mapping.write_text('"新药类别" = "category"\n"临床阶段" = "stage"\n"临床研发费用" = "cost"\n', encoding="utf-8")
    out = tmp_path / "out.parquet"
    args = [
        "batch",
        str(POLICIES / "yantai.pol"),
        "--input",
        str(source),
        "--as-of",
        "2022-06-30",
        "--columns",
        str(mapping),
    ]
    assert main([*args, "--out", str(out)]) == 0
    row = pq.read_table(out).to_pylist()[0]
    assert (row["yantai.创新药研发.status"], row["yantai.创新药研发.amount"]) == ("granted", Decimal("20000000.00"))
    before = source.read_bytes()
    assert main([*args[:4], "--out", str(source), *args[4:]]) == 2
    assert source.read_bytes() == before


def read_results(out: Path | str, dsn: str | None = None) -> list[dict]:
    """The rows `pol batch` wrote: a Parquet file, or a PostgreSQL table (in row order)."""
    if isinstance(out, Path):
        return pq.read_table(out).to_pylist()
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(dsn, row_factory=dict_row) as con:
        return con.execute(f'SELECT * FROM "{out}" ORDER BY "row"').fetchall()


def engine_agrees_with_python(
    stem: str, cases: int, tmp_path, monkeypatch, on: str, out: Path | str | None = None, dsn: str | None = None
) -> int:
    """Generated applicants through `pol batch` on an engine, each cell equal to the Python evaluator's; how many."""
    import test_backends

    monkeypatch.setattr(test_backends, "CASES", cases)
    compiled = compile_file(POLICIES / f"{stem}.pol")
    module = load_evaluator(python_source(compiled), f"{on}_{stem}")
    program = lower(compiled.policy, f"{stem}.pol")
    as_of = datetime.date(2022, 6, 30)
    facts = [f for f, _ in generated(stem, module, program, example_date(compiled.policy))]
    _write(tmp_path / "in.csv", list(module.INPUTS), facts)
    out = out or tmp_path / "out.parquet"
    result = batch.run({stem: program}, tmp_path / "in.csv", out, as_of, on=on, dsn=dsn)
    assert (result.rows, result.bad_rows) == (len(facts), 0)
    rows = read_results(out, dsn)
    for f, row in zip(facts, rows, strict=True):
        ev = module.evaluate(f, as_of=as_of, validated=True)
        for r in ev.results:
            got = _result(row, stem, r.id)
            assert (got.status, got.amount, got.max_amount, got.min_amount) == (
                r.status,
                r.amount,
                r.max_amount,
                r.min_amount,
            ), (r.id, f)
        assert (row[f"{stem}.totals.determined"], row[f"{stem}.totals.maximum"]) == (ev.determined, ev.maximum), f
    return len(facts)


@pytest.mark.long
@pytest.mark.parametrize("stem", STEMS)
def test_duckdb_agrees_with_python_on_generated_applicants(stem, tmp_path, monkeypatch) -> None:
    FUZZ_COUNTS["duckdb agrees: applicants"] += engine_agrees_with_python(stem, ROWS, tmp_path, monkeypatch, "duckdb")


def test_match_groups_every_row_as_pol_match_does(tmp_path, capsys) -> None:
    import json

    facts = {"新药类别": "一类新药", "临床阶段": "III期", "临床研发费用": "100000000", "企业类型": "研发型企业"}
    source = tmp_path / "people.csv"
    _write(source, list(facts), [facts])
    out = tmp_path / "out.parquet"
    policies = [str(POLICIES / f"{s}.pol") for s in ("yantai", "suzhou", "liaocheng_draft")]
    assert (
        main(["batch", *policies, "--input", str(source), "--out", str(out), "--as-of", "2022-06-30", "--match"]) == 0
    )
    row = pq.read_table(out).to_pylist()[0]
    got = {(k.split(".")[0], k.split(".")[1]): v for k, v in row.items() if k.endswith(".match") and v is not None}
    profile = tmp_path / "profile.json"
    profile.write_text(
        json.dumps({"enterprise": "甲", "facts": {**facts, "临床研发费用": "1亿"}}, ensure_ascii=False),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["match", str(profile), "--policies", *policies, "--as-of", "2022-06-30", "--json"]) == 0
    matches = json.loads(capsys.readouterr().out)["matches"]
    groups = {True: "免申即享", False: None}
    expected = {
        (m["policy"], m["clause"]): "尚缺信息" if m["status"] == "needs_facts" else groups[m["automatic"]] or "可能符合"
        for m in matches
    }
    assert got == expected
    assert got[("yantai", "创新药研发")] == "免申即享"


def test_the_sql_spark_runs_is_the_same_sql_translated_with_exact_types() -> None:
    from pol.compiler.backends.sql_policy import PolicySql
    from pol.compiler.population.engines import to_spark

    program = lower(compile_file(POLICIES / "yantai.pol").policy, "yantai.pol")
    parts, _, _ = PolicySql(program).select(datetime.date(2022, 6, 30), batch.ROW)
    duck = f"SELECT {parts} FROM facts"
    spark = to_spark(duck)
    assert "HUGEINT" in duck and "HUGEINT" not in spark and "INT128" not in spark
    assert "DECIMAL(38, 0)" in spark and " DIV " in spark  # 128-bit integer division, exactly, in Spark's words
    assert "`yantai`" not in spark and "`创新药研发.status`" in spark  # Chinese column names quoted Spark's way


def test_a_columns_file_with_a_chinese_bare_key_says_to_quote_it(tmp_path, capsys) -> None:
    source = tmp_path / "people.csv"
    source.write_text("cost,新药类别,临床阶段\n100,一类新药,III期\n", encoding="utf-8")
    mapping = tmp_path / "columns.toml"
    mapping.write_text('# 列名\n临床研发费用 = "cost"\n', encoding="utf-8")
    argv = ["batch", str(POLICIES / "yantai.pol"), "--input", str(source), "--out", str(tmp_path / "o.csv")]
    assert main([*argv, "--columns", str(mapping)]) == 2
    assert 'line 2: a name in Chinese is quoted in TOML, as in "临床研发费用" = "column"' in capsys.readouterr().err


def test_the_run_says_what_each_column_gave_and_which_inputs_had_none(tmp_path, capsys) -> None:
    import json

    source = tmp_path / "people.csv"
    source.write_text(
        "新药类别,临床阶段,临床研发费用\n一类新药,III期,1亿\n一类新药,IV期,\n,II期,abc\n", encoding="utf-8"
    )
    argv = ["batch", str(POLICIES / "yantai.pol"), "--input", str(source), "--out", str(tmp_path / "o.csv")]
    assert main([*argv, "--format", "json"]) == 0
    columns = {c["input"]: c for c in json.loads(capsys.readouterr().out)["columns"]}
    assert columns["新药类别"] == {"input": "新药类别", "column": "新药类别", "given": 2, "refused": 0}
    assert columns["临床阶段"] == {"input": "临床阶段", "column": "临床阶段", "given": 3, "refused": 1}
    assert columns["临床研发费用"] == {"input": "临床研发费用", "column": "临床研发费用", "given": 2, "refused": 1}
    assert columns["医疗器械类别"] == {"input": "医疗器械类别", "column": None, "given": 0, "refused": 0}
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "have no column, so are missing in every row: 该品种已获研发扶持、医疗器械类别" in err


def test_clause_evaluates_only_the_named_clauses_with_the_same_amounts(tmp_path, capsys) -> None:
    compiled = compile_file(POLICIES / "yantai.pol")
    program = lower(compiled.policy, "yantai.pol")  # type: ignore[arg-type]
    policy = compiled.policy
    assert policy is not None
    examples = [example_facts(ex) for c in policy.clauses for ex in c.examples]
    source = tmp_path / "all.csv"
    _write(source, [i.name for i in program.inputs], examples)  # a file with every input's column
    argv = ["batch", str(POLICIES / "yantai.pol"), "--input", str(source), "--as-of", "2022-06-30"]
    assert main([*argv, "--out", str(tmp_path / "all.parquet")]) == 0
    assert main([*argv, "--out", str(tmp_path / "two.parquet"), "--clause", "创新药研发", "研发型企业房租补贴"]) == 0
    whole, two = (
        pq.read_table(tmp_path / "all.parquet").to_pylist(),
        pq.read_table(tmp_path / "two.parquet").to_pylist(),
    )
    assert [k for k in two[0] if k != "row"] == [
        f"yantai.{c}.{f}"
        for c in ("创新药研发", "研发型企业房租补贴")
        for f in ("status", "amount", "max_amount", "min_amount")
    ] + ["yantai.totals.determined", "yantai.totals.maximum"]
    for a, b in zip(whole, two, strict=True):  # each clause as the whole run computes it
        assert all(a[k] == v for k, v in b.items() if ".totals." not in k)
    capsys.readouterr()
    assert main([*argv, "--out", str(tmp_path / "x.csv"), "--clause", "创新药研法", "--format", "json"]) == 2
    assert "no clause 创新药研法 (did you mean 创新药研发?)" in capsys.readouterr().err


def test_kept_columns_ride_to_the_results_beside_the_row(tmp_path, capsys) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "统一社会信用代码,新药类别,临床阶段,临床研发费用\n91A,一类新药,III期,6000万\n91B,二类新药,I期,x\n91C,二类新药,I期,100\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    argv = ["batch", str(POLICIES / "yantai.pol"), "--input", str(source), "--out", str(out), "--as-of", "2022-06-30"]
    argv += ["--clause", "创新药研发"]
    assert main([*argv, "--keep", "统一社会信用代码"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    # The bad row (x is no amount) is left out; the others keep their own id beside their number.
    assert [(r["row"], r["统一社会信用代码"], r["yantai.创新药研发.amount"]) for r in rows] == [
        ("1", "91A", "20000000.00"),
        ("3", "91C", "40.00"),
    ]
    capsys.readouterr()
    assert main([*argv, "--keep", "编号"]) == 2
    assert "--keep: 编号 is no column of the input" in capsys.readouterr().err
