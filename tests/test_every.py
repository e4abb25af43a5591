"""每满/每增加 N (whole increments): checked, read, explained, and computed alike by every backend."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from test_backends import _python_json
from test_batch import _result, _write

from pol.compiler.evaluate import jsrun
from pol.compiler.evaluate.pipeline import compile_text, load_evaluator, python_source
from pol.compiler.lower import lower
from pol.compiler.population import batch

SOURCE = '''policy 外资 { title: "外资奖励" effective: 2022-01-01 }
input 实际到位外资: money(美元) "实际到位外资"
input 新增面积: area "新增厂房面积"
clause 外资奖励 "一" {
  original: """实际到位外资1000万美元以上的，给予50万元奖励；每增加100万美元再给予5万元，最高不超过200万元。"""
  when 实际到位外资 1000万美元以上
  grant 50万 + (实际到位外资 - 1000万美元) 每增加 100万美元 × 5万
  cap 200万
  example "刚到门槛" { 实际到位外资 = 1000万美元  expect 50万 }
  example "差一点满一份" { 实际到位外资 = 1099万美元  expect 50万 }
  example "满两份" { 实际到位外资 = 1200万美元  expect 60万 }
  example "封顶" { 实际到位外资 = 1亿美元  expect 200万 }
}
clause 厂房奖励 "二" {
  original: """新增厂房面积每满1000平方米奖励10万元。"""
  grant 新增面积 every 1000平方米 × 10万
}
'''
AS_OF = datetime.date(2022, 6, 30)
STEP = Decimal(1_000_000)
BASE = Decimal(10_000_000)


@pytest.fixture(scope="module")
def compiled():
    c = compile_text(SOURCE, "every.pol")
    assert c.ok, c.diagnostics
    return c


def _applicants() -> list[dict[str, Decimal]]:
    """Facts at every edge of the steps: just below, on and just above each whole increment, and far out."""
    cent = Decimal("0.01")
    out = []
    for k in (0, 1, 2, 29, 30, 31, 90):
        for delta in (-cent, Decimal(0), cent):
            out.append(
                {
                    "实际到位外资": max(BASE + k * STEP + delta, Decimal(0)),
                    "新增面积": max(k * 1000 + delta * 100, Decimal(0)),
                }
            )
    return [*out, {"实际到位外资": Decimal(0), "新增面积": Decimal(0)}]


def test_whole_increments_are_computed_and_explained(compiled) -> None:
    module = load_evaluator(python_source(compiled), "every")
    ev = module.evaluate({"实际到位外资": "2550万美元", "新增面积": "2999平方米"}, as_of=AS_OF)
    assert ev.result("外资奖励").amount == Decimal("1250000.00")  # 50万 + 15 × 5万
    assert ev.result("外资奖励").explanation[2:4] == ["1550万美元 每满 100万美元，计 15 份", "15 × 5万元 = 75万元"]
    assert ev.result("厂房奖励").amount == Decimal("200000.00")  # 2999 m² holds two whole 1000 m²
    assert module.evaluate({"新增面积": 0}, as_of=AS_OF).result("厂房奖励").amount == Decimal("0.00")


def test_the_reading_keeps_the_texts_wording(compiled) -> None:
    from pol.compiler.check.chinese import Reading

    clause = next(c for c in compiled.policy.clauses if c.id == "外资奖励")
    assert Reading().expr(clause.grant.value) == "50万元 ＋ （实际到位外资 － 1000万美元）每满100万美元计5万元"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("实际到位外资 每满 100平方米 × 5万", "cannot combine 金额（美元） with 面积（平方米）"),
        ("实际到位外资 每满 0美元 × 5万", "the step of 每满 must be above zero, not 0"),
    ],
)
def test_the_two_sides_must_agree_and_the_step_be_positive(rule, message) -> None:
    source = SOURCE.split("clause")[0] + f'clause c "一" {{ grant {rule} }}\n'
    found = [d.message for d in compile_text(source, "bad.pol").diagnostics]
    assert any(message in m for m in found), found


def test_javascript_and_duckdb_agree_with_python_at_every_step_edge(compiled, tmp_path) -> None:
    module = load_evaluator(python_source(compiled), "every_diff")
    applicants = _applicants()
    cases = [{"module": "every", "facts": f, "as_of": AS_OF, "clauses": None, "validated": True} for f in applicants]
    for case, js_json in zip(cases, jsrun.run([compiled], cases), strict=True):
        assert js_json == _python_json(module, case["facts"], AS_OF), case["facts"]
    program = lower(compiled.policy, "every.pol")
    _write(tmp_path / "in.csv", list(module.INPUTS), applicants)
    result = batch.run({"every": program}, tmp_path / "in.csv", tmp_path / "out.parquet", AS_OF)
    assert (result.rows, result.bad_rows) == (len(applicants), 0)
    import pyarrow.parquet as pq

    amounts = set()
    for facts, row in zip(applicants, pq.read_table(tmp_path / "out.parquet").to_pylist(), strict=True):
        ev = module.evaluate(facts, as_of=AS_OF, validated=True)
        for r in ev.results:
            got = _result(row, "every", r.id)
            assert (got.status, got.amount, got.max_amount) == (r.status, r.amount, r.max_amount), (r.id, facts)
            amounts.add(r.amount)
    assert len(amounts) > 8  # the edges give many different amounts, not one


@pytest.mark.long
def test_spark_agrees_with_python_at_every_step_edge(compiled, tmp_path) -> None:
    pytest.importorskip("pyspark")
    import pyarrow.parquet as pq

    module = load_evaluator(python_source(compiled), "every_spark")
    applicants = _applicants()
    _write(tmp_path / "in.csv", list(module.INPUTS), applicants)
    result = batch.run(
        {"every": lower(compiled.policy, "every.pol")}, tmp_path / "in.csv", tmp_path / "out.parquet", AS_OF, on="spark"
    )
    assert (result.rows, result.bad_rows) == (len(applicants), 0)
    for facts, row in zip(applicants, pq.read_table(tmp_path / "out.parquet").to_pylist(), strict=True):
        for r in module.evaluate(facts, as_of=AS_OF, validated=True).results:
            got = _result(row, "every", r.id)
            assert (got.status, got.amount, got.max_amount) == (r.status, r.amount, r.max_amount), (r.id, facts)


def test_synth_draws_amounts_at_their_whole_steps(compiled, tmp_path) -> None:
    """An amount counted in 每满 steps is drawn at its first steps and one unit beside, as a threshold is."""
    pq = pytest.importorskip("pyarrow.parquet")
    from pol.compiler.population import draw

    program = lower(compiled.policy, "every.pol")
    draw.write([program], 20_000, tmp_path / "p.parquet", missing=0)
    table = pq.read_table(tmp_path / "p.parquet")
    money = set(table.column("实际到位外资").to_pylist())
    second = BASE + 2 * STEP  # the second step above the base
    assert {second - Decimal("0.01"), second, second + Decimal("0.01")} <= money
    area = set(table.column("新增面积").to_pylist())
    assert {Decimal(2999), Decimal(3000), Decimal(3001)} <= area
