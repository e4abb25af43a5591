"""Forms real texts use: 扣除后封顶 (`after offsets`), caps per month, 上级 grants in the ledger (`received higher`).

Each is computed alike by Python, JavaScript and DuckDB at its edges, and over time by the ledger and by
`pol batch --history`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from ledger_agreement import assert_batch_agrees
from test_backends import _python_json
from test_batch import _result, _write

from pol.compiler.evaluate import jsrun
from pol.compiler.evaluate.pipeline import compile_text, load_evaluator, python_source
from pol.compiler.ledger.evaluation import evaluate_profile
from pol.compiler.ledger.policies import load_policies
from pol.compiler.lower import lower
from pol.compiler.population import batch

SOURCE = '''policy 新形式 { title: "新形式测试" level: city region: "甲市" effective: 2024-01-01 status: in_force }
input 季度产值增量: money
input 本季度已获支持: money "本季度已获其他支持" default 0
input 月用电量: number
input 上级资助: money "本项目已获国家、省级资助" default 0
  received higher per project
clause 先扣后封 "一" {
  original: """按季度产值增量的1%给予奖励，剔除当季已获得的支持金额后兑现，每个季度不超过100万元。"""
  grant 季度产值增量 × 1%
  offset 本季度已获支持
  cap 100万 per quarter after offsets
  example "先扣除后封顶" { 季度产值增量 = 2亿  本季度已获支持 = 150万  expect 50万 }
  example "扣除后仍超过上限" { 季度产值增量 = 5亿  本季度已获支持 = 150万  expect 100万 }
}
clause 电费补贴 "二" {
  original: """按月用电量每千瓦时0.1元给予电费补贴，每月最高不超过5万元。"""
  grant 0.1元 × 月用电量
  cap 5万 per month
  example "封顶" { 月用电量 = 1000000  expect 5万 }
}
clause 上级配套 "三" {
  original: """对获得国家、省级资助的项目，按上级资助金额的50%给予配套，单个项目最高不超过300万元。"""
  when 上级资助 > 0元
  grant 上级资助 × 50%
  cap 300万 per project
  example "配套" { 上级资助 = 400万  expect 200万 }
}
'''
AS_OF = datetime.date(2024, 6, 30)
WAN = Decimal(10_000)
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def compiled():
    c = compile_text(SOURCE, "forms.pol")
    assert c.ok, c.diagnostics
    return c


def _edges() -> list[dict[str, Decimal]]:
    """Facts at each edge of 先扣后封: what is left after the deduction at 0, at the cap, and a fen either side."""
    out = []
    for due in (Decimal(0), 100 * WAN, 200 * WAN, 500 * WAN):
        for left in (Decimal(0), CENT, 100 * WAN - CENT, 100 * WAN, 100 * WAN + CENT, due):
            received = max(due - left, Decimal(0))
            for nudge in (-CENT, Decimal(0), CENT):
                out.append({"季度产值增量": due * 100, "本季度已获支持": max(received + nudge, Decimal(0))})
    for kwh in (0, 499_999, 500_000, 500_001):
        out.append({"月用电量": Decimal(kwh)})
    for given in (Decimal(0), CENT, 600 * WAN - CENT, 600 * WAN, 600 * WAN + CENT):
        out.append({"上级资助": given})
    return out


def test_after_offsets_deducts_first_then_caps(compiled) -> None:
    module = load_evaluator(python_source(compiled), "forms_order")
    ev = module.evaluate({"季度产值增量": "2亿", "本季度已获支持": "150万"}, as_of=AS_OF)
    r = ev.result("先扣后封")
    assert r.amount == 50 * WAN  # capping first would give min(200万, 100万) − 150万 → 0
    assert r.explanation[:2] == ["季度产值增量 2亿元 × 1% = 200万元", "200万元 扣除本季度已获支持 150万元，为 50万元"]
    ev = module.evaluate({"季度产值增量": "5亿", "本季度已获支持": "150万"}, as_of=AS_OF)
    assert ev.result("先扣后封").amount == 100 * WAN  # 500万 − 150万 = 350万, then capped


def test_the_reading_says_the_deduction_before_the_cap(compiled) -> None:
    from pol.compiler.reading.prose import clause_reading

    clause = next(c for c in compiled.policy.clauses if c.id == "先扣后封")
    sentence = clause_reading(compiled.policy, clause).sentence
    assert sentence.index("予以扣除") < sentence.index("扣除后每季度最高不超过100万元"), sentence


def test_javascript_and_duckdb_agree_with_python_at_every_edge(compiled, tmp_path) -> None:
    module = load_evaluator(python_source(compiled), "forms_diff")
    applicants = _edges()
    cases = [{"module": "forms", "facts": f, "as_of": AS_OF, "clauses": None, "validated": True} for f in applicants]
    for case, js_json in zip(cases, jsrun.run([compiled], cases), strict=True):
        assert js_json == _python_json(module, case["facts"], AS_OF), case["facts"]
    _write(tmp_path / "in.csv", list(module.INPUTS), applicants)
    program = lower(compiled.policy, "forms.pol")
    result = batch.run({"forms": program}, tmp_path / "in.csv", tmp_path / "out.parquet", AS_OF)
    assert (result.rows, result.bad_rows) == (len(applicants), 0)
    import pyarrow.parquet as pq

    amounts = set()
    for facts, row in zip(applicants, pq.read_table(tmp_path / "out.parquet").to_pylist(), strict=True):
        for r in module.evaluate(facts, as_of=AS_OF, validated=True).results:
            got = _result(row, "forms", r.id)
            assert (got.status, got.amount, got.max_amount) == (r.status, r.amount, r.max_amount), (r.id, facts)
            amounts.add(r.amount)
    assert len(amounts) >= 10  # the edges give many different amounts


def _profile() -> dict:
    """A year of applications: electricity twice in March and once in April, 配套 twice for one project."""

    def event(date: str, clause: str, facts: dict, item: str | None = None) -> dict:
        return {"date": date, "policy": "forms", "clause": clause, "facts": facts} | ({"item": item} if item else {})

    return {
        "enterprise": "甲企业",
        "items": {"P1": {}},
        "received": [
            {
                "date": "2024-02-01",
                "item": "P1",
                "amount": "240万",
                "subject": "科技项目",
                "level": "province",
                "region": "乙省",
                "source": "省科技厅",
            },
            {
                "date": "2024-02-10",
                "item": "P1",
                "amount": "80万",
                "subject": "科技项目",
                "level": "district",
                "region": "甲市丙区",
                "source": "丙区科技局",
            },
            {
                "date": "2024-05-01",
                "item": "P1",
                "amount": "400万",
                "subject": "科技项目",
                "level": "national",
                "region": "全国",
                "source": "科技部",
            },
        ],
        "events": [
            event("2024-03-05", "电费补贴", {"月用电量": 300000}),
            event("2024-03-25", "电费补贴", {"月用电量": 300000}),
            event("2024-04-02", "电费补贴", {"月用电量": 300000}),
            event("2024-03-01", "上级配套", {}, "P1"),
            event("2024-06-01", "上级配套", {}, "P1"),
        ],
    }


def test_the_ledger_caps_per_month_and_matches_higher_levels_grants(compiled) -> None:
    ledger = evaluate_profile(_profile(), load_policies([compiled]))
    rows = [(e.date.isoformat(), e.origin.clause.id, e.amount / WAN) for e in ledger.entries if e.origin.clause]
    assert rows == [
        ("2024-03-01", "上级配套", 120),  # 50% of the province's 240万; the district's 80万 is not 上级
        ("2024-03-05", "电费补贴", 3),
        ("2024-03-25", "电费补贴", 2),  # March shares 5万: 3万 already paid
        ("2024-04-02", "电费补贴", 3),  # April starts again
        # The state's 400万 joins: 50% of 640万 = 320万, cut to the project's 300万, less the 120万 paid.
        ("2024-06-01", "上级配套", 180),
    ]


def test_batch_with_history_agrees_with_the_ledger_on_the_new_scopes(compiled, tmp_path) -> None:
    assert assert_batch_agrees([compiled], _profile(), tmp_path) == 5


@pytest.mark.parametrize(
    ("header", "rule", "code"),
    [
        ("level: national", "received higher", "POL106"),  # nothing is above the state
        ("level: city", "received higher of 月用电量", "POL107"),  # other governments' grants hold no facts
    ],
)
def test_received_higher_needs_a_level_below_the_state(header, rule, code) -> None:
    source = f'policy p {{ title: "t" {header} }}\ninput 月用电量: number\ninput 上级: money default 0 {rule}\n'
    assert code in [d.code for d in compile_text(source, "p.pol").diagnostics]


OBLIGED = '''policy 承诺 { title: "落户奖励" level: city status: in_force effective: 2020-01-01 }
input 在本市经营: bool "在本市注册经营"
input 用地已转让: bool "项目用地已转让" default false
clause 落户奖励 "一" {
  original: """新落户企业给予500万元奖励，企业须承诺在本市经营满5年，未满的收回奖励资金。"""
  when 在本市经营
  grant 500万
  承诺 5年: 在本市经营 label "承诺在本市经营满5年"
  example "落户" { 在本市经营 = true  expect 500万 }
}
clause 项目奖励 "二" {
  original: """项目建成投产的给予100万元奖励，项目用地10年内不得转让。"""
  grant 100万
  obligation 10年: 非 用地已转让
}
'''


def _obliged(changes: list[dict], as_of: datetime.date | None = None):
    compiled = compile_text(OBLIGED, "ob.pol")
    assert compiled.ok, compiled.diagnostics
    events = [
        {"date": "2021-03-01", "policy": "ob", "clause": "落户奖励"},
        {"date": "2021-04-01", "policy": "ob", "clause": "项目奖励", "item": "厂房"},
        {"date": "2021-05-01", "policy": "ob", "clause": "项目奖励", "item": "研发楼"},
    ]
    raw = {
        "enterprise": "甲",
        "facts": {"在本市经营": True},
        "items": {"厂房": {}, "研发楼": {}},
        "events": events,
        "changes": changes,
    }
    ledger = evaluate_profile(raw, load_policies([compiled]), as_of=as_of)
    return [
        (c.entry.origin.clause.id, c.entry.item, c.date.isoformat(), c.promise, c.amount / WAN)
        for c in ledger.clawbacks
    ]


def test_a_broken_promise_claws_the_grant_back_within_its_term() -> None:
    assert _obliged([]) == []
    # Leaving the city within five years breaks 落户奖励's promise; the day it was broken is reported.
    assert _obliged([{"date": "2023-06-30", "facts": {"在本市经营": False}, "note": "迁出"}]) == [
        ("落户奖励", None, "2023-06-30", "承诺在本市经营满5年", 500),
    ]
    # On the fifth anniversary the promise has been kept: 满5年 includes the last day of the term.
    assert _obliged([{"date": "2026-03-01", "facts": {"在本市经营": False}}]) == []
    assert _obliged([{"date": "2026-02-28", "facts": {"在本市经营": False}}]) != []
    # Before it happens, the ledger as it stood does not know of it.
    assert _obliged([{"date": "2023-06-30", "facts": {"在本市经营": False}}], datetime.date(2023, 1, 1)) == []


def test_a_change_of_one_item_claws_back_that_items_grant_only() -> None:
    sold = [{"date": "2025-01-01", "item": "研发楼", "facts": {"用地已转让": True}}]
    assert _obliged(sold) == [("项目奖励", "研发楼", "2025-01-01", "10年内须保持：用地已转让为否", 100)]


def test_the_reading_and_the_json_name_the_promise(tmp_path, capsys) -> None:
    from pol.compiler.cli import main
    from pol.compiler.reading.prose import clause_reading

    compiled = compile_text(OBLIGED, "ob.pol")
    clause = next(c for c in compiled.policy.clauses if c.id == "落户奖励")
    assert "获得支持后须在本市经营满5年，未履行的收回已拨付资金" in clause_reading(compiled.policy, clause).sentence
    (tmp_path / "ob.pol").write_text(OBLIGED, encoding="utf-8")
    profile = {
        "enterprise": "甲",
        "facts": {"在本市经营": True},
        "events": [{"date": "2021-03-01", "policy": "ob", "clause": "落户奖励"}],
        "changes": [{"date": "2023-06-30", "facts": {"在本市经营": False}}],
    }
    import json

    (tmp_path / "p.json").write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    assert main(["eval-profile", str(tmp_path / "p.json"), "--policies", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["clawbacks"] == [
        {
            "event": 0,
            "policy": "ob",
            "clause": "落户奖励",
            "granted_on": "2021-03-01",
            "broken_on": "2023-06-30",
            "promise": "承诺在本市经营满5年",
            "amount": "5000000.00",
        }
    ]
    assert main(["eval-profile", str(tmp_path / "p.json"), "--policies", str(tmp_path)]) == 0
    assert "2023-06-30 起不再符合“承诺在本市经营满5年”" in capsys.readouterr().out


def test_an_obligations_term_is_whole_years_and_its_condition_yes_or_no() -> None:
    base = 'policy p { title: "t" }\ninput 在本市经营: bool\ninput 面积: area\n'
    for rule, code in (
        ("承诺 5万: 在本市经营", "POL204"),
        ("承诺 2.5年: 在本市经营", "POL204"),
        ("承诺 5年: 面积", "POL204"),
    ):
        found = compile_text(base + f'clause a "一" {{ grant 1万  {rule} }}\n', "p.pol").diagnostics
        assert code in [d.code for d in found], (rule, found)


RANKED = '''policy 排名 { title: "排名奖励" status: in_force }
input 全市排名: rank "上年度营业收入在全市同行业中的名次"
clause 十强奖励 "一" {
  original: """上年度营业收入位列全市同行业前十位的，给予50万元奖励。"""
  when 全市排名 前10名
  grant 50万
  example "第十名" { 全市排名 = 10  expect 50万 }
  example "第十一名" { 全市排名 = 11  expect not_eligible }
}
'''


def test_a_rank_is_read_counted_from_one_and_compared_by_place(tmp_path) -> None:
    compiled = compile_text(RANKED, "rank.pol")
    assert compiled.ok, compiled.diagnostics
    module = load_evaluator(python_source(compiled), "rank")
    ev = module.evaluate({"全市排名": 10}, as_of=AS_OF)
    assert ev.result("十强奖励").explanation[0] == "全市排名为10：符合“全市排名前10名”"
    from pol.compiler.evaluate.why_not import hints, why_not

    hint = hints(lower(compiled.policy, "rank.pol"))["十强奖励"]
    changes = why_not(module, {"全市排名": 11}, "十强奖励", hint, AS_OF)
    assert "名次提升 1 位（进入前 10 名）即可获得 50万元" in changes[0].text
    from pol.compiler.runtime import FactsError

    with pytest.raises(FactsError) as err:
        module.evaluate({"全市排名": 0}, as_of=AS_OF)
    assert "a rank counts from 1" in str(err.value.problems)
    places = [1, 9, 10, 11, 50]
    cases = [
        {"module": "rank", "facts": {"全市排名": p}, "as_of": AS_OF, "clauses": None, "validated": False}
        for p in places
    ]
    for case, js_json in zip(cases, jsrun.run([compiled], cases), strict=True):
        assert js_json == _python_json(module, {"全市排名": Decimal(case["facts"]["全市排名"])}, AS_OF), case
    rows = [{"全市排名": Decimal(p)} for p in [*places, 0]]
    _write(tmp_path / "in.csv", ["全市排名"], rows)
    program = lower(compiled.policy, "rank.pol")
    result = batch.run({"rank": program}, tmp_path / "in.csv", tmp_path / "out.parquet", AS_OF)
    assert (result.rows, result.bad_rows) == (len(places), 1)  # place 0 is refused, as the evaluators refuse it
    import pyarrow.parquet as pq

    got = [r["rank.十强奖励.status"] for r in pq.read_table(tmp_path / "out.parquet").to_pylist()]
    assert got == ["granted", "granted", "granted", "not_eligible", "not_eligible"]


def test_a_rank_can_only_be_compared_with_a_place() -> None:
    source = (
        RANKED.split("clause")[0]
        + "input 营业收入: money\n"
        + (
            'clause a "一" { when 全市排名 前10名 且 营业收入 前3名  grant 50万 × 全市排名 }\n'
            'clause b "二" { when 全市排名 <= 0  grant 50万 }\n'
        )
    )
    found = [(d.code, d.span.line, d.message) for d in compile_text(source, "bad.pol").diagnostics]
    assert [(c, line) for c, line, _ in found if c == "POL204"] == [("POL204", 4), ("POL204", 4), ("POL204", 5)]
    assert any("is a rank: it can only be compared with a place" in m for _, _, m in found)
    assert any("a rank counts from 1" in m for _, _, m in found)


def test_the_inventory_counts_periods_and_pays_one_of_exclusive_categories() -> None:
    from pol.compiler.reading.inventory import inventory

    source = """policy 清单 { title: "清单测试" status: in_force }
enum 企业类型 { 研发型企业, 工业企业 }
input 企业类型: 企业类型
input 软件业务收入增量: money
input 营业收入: money
clause 季度奖励 "一" { grant 软件业务收入增量 × 5%  cap 100万 per quarter }
clause 月度奖励 "二" { grant 软件业务收入增量 × 1%  cap 1万 per month  cap 10万 per year }
clause 研发型 "三" { when 企业类型 属于 (研发型企业)  grant 30万 }
clause 工业 "四" { when 企业类型 属于 (工业企业)  grant 50万 }
clause 大企业 "五" { when 营业收入 超过 1亿  grant 20万 }
clause 小企业 "六" { when 营业收入 1亿 以下  grant 10万 }
"""
    compiled = compile_text(source, "inv.pol")
    assert compiled.ok, compiled.diagnostics
    inv = inventory(compiled.policy)
    annual = {e.id: e.annual / WAN for e in inv.entries}
    assert annual == {"季度奖励": 400, "月度奖励": 10, "研发型": 30, "工业": 50, "大企业": 20, "小企业": 10}
    # 400万 a year from the quarters, 10万 a year from the months, the larger of each pair that exclude each other.
    assert inv.sum_of_maxima == (400 + 10 + 50 + 20) * WAN


def test_the_explanation_shows_the_steps_of_a_definition_that_counts_whole_steps(tmp_path) -> None:
    source = """policy 每满 { title: "每满" status: in_force }
input 新增面积: area "新增厂房面积"
let 份数奖励 = 新增面积 every 1000平方米 × 10万
clause 厂房奖励 "二" {
  grant 份数奖励 + 5万
  example "两份" { 新增面积 = 2999平方米  expect 25万 }
}
"""
    compiled = compile_text(source, "steps.pol")
    assert compiled.ok, compiled.diagnostics
    module = load_evaluator(python_source(compiled), "steps")
    assert module.evaluate({"新增面积": "2999平方米"}, as_of=AS_OF).result("厂房奖励").explanation[:3] == [
        "新增面积 2999平方米 每满 1000平方米，计 2 份",
        "2 × 10万元 = 20万元",
        "份数奖励 20万元 + 5万元 = 25万元",
    ]
    areas = [Decimal(a) for a in ("0", "999.99", "1000", "1000.01", "2999", "3000")]
    cases = [
        {"module": "steps", "facts": {"新增面积": a}, "as_of": AS_OF, "clauses": None, "validated": True} for a in areas
    ]
    for case, js_json in zip(cases, jsrun.run([compiled], cases), strict=True):
        assert js_json == _python_json(module, case["facts"], AS_OF), case
    missing = module.evaluate({}, as_of=AS_OF).result("厂房奖励")
    assert (missing.status, missing.missing) == ("needs_facts", ("新增面积",))


@pytest.mark.long
def test_spark_agrees_with_python_at_every_edge(compiled, tmp_path) -> None:
    pytest.importorskip("pyspark")
    import pyarrow.parquet as pq

    module = load_evaluator(python_source(compiled), "forms_spark")
    applicants = _edges()
    _write(tmp_path / "in.csv", list(module.INPUTS), applicants)
    program = lower(compiled.policy, "forms.pol")
    result = batch.run({"forms": program}, tmp_path / "in.csv", tmp_path / "out.parquet", AS_OF, on="spark")
    assert (result.rows, result.bad_rows) == (len(applicants), 0)
    for facts, row in zip(applicants, pq.read_table(tmp_path / "out.parquet").to_pylist(), strict=True):
        for r in module.evaluate(facts, as_of=AS_OF, validated=True).results:
            got = _result(row, "forms", r.id)
            assert (got.status, got.amount, got.max_amount) == (r.status, r.amount, r.max_amount), (r.id, facts)
