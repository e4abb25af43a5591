"""`pol batch --engine postgres`: the plan run inside a real PostgreSQL server (tests/postgres_server.py), in one
transaction, equal to the Python evaluator on every worked example and (marked long) on over 10,000 generated
applicants; a results table pol did not make is never replaced, and a failed run leaves the database as it was."""

from __future__ import annotations

import psycopg
import pytest
from conftest import FUZZ_COUNTS, POLICIES
from test_batch import STEMS, _result, _write, engine_agrees_with_python, read_results

from pol.compiler.cli import main
from pol.compiler.evaluate.examples import _matches, example_date, example_facts
from pol.compiler.evaluate.pipeline import compile_file
from pol.compiler.lower import lower
from pol.compiler.population import batch

ROWS = 1_250  # per bundled policy with facts, in the long suite: over 10,000 in all


def test_every_worked_example_of_every_policy_in_one_run(postgres_dsn, tmp_path) -> None:
    programs, pairs, days = {}, [], {}
    for stem in STEMS:
        policy = compile_file(POLICIES / f"{stem}.pol").policy
        found = [(stem, c, ex) for c in policy.clauses for ex in c.examples]
        if found:
            programs[stem], days[stem] = lower(policy, f"{stem}.pol"), example_date(policy)
            pairs += found
    # One applicant per worked example, the policies of one date in one run.
    failed = []
    for day in sorted(set(days.values())):
        chosen = [(s, c, ex) for s, c, ex in pairs if days[s] == day]
        keys = sorted({s for s, _, _ in chosen})
        names = dict.fromkeys(i.name for k in keys for i in programs[k].inputs)
        _write(tmp_path / "in.csv", list(names), [example_facts(ex) for _, _, ex in chosen])
        result = batch.run(
            {k: programs[k] for k in keys}, tmp_path / "in.csv", "examples", day, on="postgres", dsn=postgres_dsn
        )
        assert (result.rows, result.bad_rows) == (len(chosen), 0)
        rows = read_results("examples", postgres_dsn)
        failed += [
            (s, c.id, ex.name)
            for (s, c, ex), row in zip(chosen, rows, strict=True)
            if not _matches(ex.expect, _result(row, s, c.id))
        ]
    assert failed == []


def test_a_table_in_the_database_is_read_and_the_results_replace_only_what_pol_made(
    postgres_dsn, tmp_path, capsys
) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS applicants, kept, results_pol")
        con.execute(
            'CREATE TABLE applicants (id TEXT, "新药类别" TEXT, "临床阶段" TEXT, "临床研发费用" NUMERIC(18, 2))'
        )
        con.execute(
            "INSERT INTO applicants VALUES ('91370600A', '一类新药', 'III期', 60000000), "
            "('91370600B', '二类新药', 'I期', 1000000.01)"
        )
        con.execute("CREATE TABLE kept (x INTEGER)")
    argv = ["batch", str(POLICIES / "yantai.pol"), "--engine", "postgres", "--dsn", postgres_dsn]
    argv += ["--input", "applicants", "--as-of", "2022-06-30", "--clause", "创新药研发", "--keep", "id"]
    assert main([*argv, "--out", "results_pol"]) == 0
    rows = read_results("results_pol", postgres_dsn)
    # Joined back by the enterprise's id, whatever order the server read the rows in.
    by_id = {r["id"]: r["yantai.创新药研发.amount"] for r in rows}
    assert by_id == {"91370600A": 20000000, "91370600B": 400000}  # 40%, capped by III期's 2000万
    assert main([*argv, "--out", "results_pol"]) == 0  # pol's own table: replaced
    assert main([*argv, "--out", "kept"]) == 2
    assert "the table exists and pol did not make it" in capsys.readouterr().err
    with psycopg.connect(postgres_dsn) as con:
        assert con.execute("SELECT count(*) FROM kept").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM results_pol").fetchone() == (2,)


def test_a_failed_run_leaves_the_database_as_it_was(postgres_dsn, tmp_path, capsys) -> None:
    source = tmp_path / "people.csv"
    source.write_text("新药类别,临床阶段,临床研发费用\n一类新药,III期,100\n二类新药,I期\n", encoding="utf-8")
    argv = ["batch", str(POLICIES / "yantai.pol"), "--engine", "postgres", "--dsn", postgres_dsn]
    argv += ["--out", "never_made", "--as-of", "2022-06-30", "--clause", "创新药研发"]
    assert main([*argv, "--input", str(source)]) == 2
    assert "line 3 of the CSV file has 2 field(s) where the header has 3" in capsys.readouterr().err
    with psycopg.connect(postgres_dsn) as con:
        assert con.execute("SELECT to_regclass('never_made')").fetchone() == (None,)
    assert main([*argv, "--input", "no_such_table"]) == 2
    assert 'relation "no_such_table" does not exist' in capsys.readouterr().err


def test_applications_against_a_history_of_grants_agree_with_the_ledger(postgres_dsn, tmp_path) -> None:
    from test_history import _run

    FUZZ_COUNTS["history on PostgreSQL agrees with the ledger: applications"] += _run(
        200, tmp_path, on="postgres", dsn=postgres_dsn
    )


@pytest.mark.long
@pytest.mark.parametrize("stem", STEMS)
def test_postgres_agrees_with_python_on_generated_applicants(stem, postgres_dsn, tmp_path, monkeypatch) -> None:
    FUZZ_COUNTS["postgres agrees: applicants"] += engine_agrees_with_python(
        stem, ROWS, tmp_path, monkeypatch, "postgres", out=f"agree_{stem}", dsn=postgres_dsn
    )


def test_the_translation_keeps_patterns_dates_and_layers_as_postgresql_needs() -> None:
    from pol.compiler.population.postgres import _postgres

    sql = _postgres(
        "SELECT regexp_extract(t, '^([0-9]+)(万)?\\z', 2), TRY_CAST(t AS DATE), CAST(a AS HUGEINT) // 2 "
        "FROM (SELECT * FROM raw) AS l1"
    )
    assert "(REGEXP_MATCH(t, '^([0-9]+)(万)?\\Z'))[2]" in sql  # RE2's end of text, PostgreSQL's words
    assert "PG_TEMP.POL_DATE(CAST(t AS TEXT))" in sql and "DECIMAL(38, 0)" in sql
    assert "OFFSET 0" in sql  # a layer is not pulled up into the next and computed again
