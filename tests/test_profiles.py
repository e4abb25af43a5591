"""Enterprise profiles across policies and years: ledgers checked by hand against the original texts."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import POLICIES, ROOT

from pol.compiler.cli import main
from pol.compiler.evaluate.pipeline import compile_file, policy_files
from pol.compiler.ledger.evaluation import evaluate_profile
from pol.compiler.ledger.policies import ProfileError, load_policies

PROFILES = ROOT / "examples" / "profiles"
WAN = Decimal(10_000)


@pytest.fixture(scope="module")
def policies():
    compiled = [compile_file(p) for p in policy_files([str(POLICIES)])]
    assert all(c.ok for c in compiled)
    return load_policies(compiled)


def _ledger(policies, name: str, **kw):
    raw = json.loads((PROFILES / f"{name}.json").read_text(encoding="utf-8"))
    return evaluate_profile(raw, policies, **kw)


def _rows(ledger) -> list[tuple[str, str, str, Decimal]]:
    return [
        (e.date.isoformat(), e.origin.clause.id if e.origin.clause else e.origin.name, e.status, e.amount / WAN)
        for e in ledger.entries
    ]


def test_yantai_class1_drug_over_the_years(policies) -> None:
    ledger = _ledger(policies, "yantai_class1_drug")
    assert _rows(ledger) == [
        # 二(一)1 I 期: 600万 × 40% = 240万, above the I 期 maximum 200万 for 一类新药.
        ("2022-03-15", "创新药研发", "granted", 200),
        # II 期: 3000万 × 40% = 1200万, above 800万; the product's 3000万 less 200万 received does not bind.
        ("2023-04-20", "创新药研发", "granted", 800),
        # 二(二)1 needs 持续生产时间不少于3年: production has just begun.
        ("2024-09-01", "落地生产扶持", "not_eligible", 0),
        # After three years: 最高5000万, and 该项奖励包括已发扶持资金 (200万 + 800万) → at most 4000万.
        ("2027-09-01", "落地生产扶持", "discretionary", 4000),
    ]
    award = ledger.entries[-1]
    assert "本市企业该品种已获得的临床试验扶持资金：台账中已获 1000万元" in award.explanation
    assert "5000万元 扣除该品种已获临床试验扶持 1000万元，为 4000万元" in award.explanation


def test_suzhou_cut_to_8000_wan_in_one_year(policies) -> None:
    ledger = _ledger(policies, "suzhou_over_limit")
    assert _rows(ledger) == [
        ("2022-03-01", "重大专项配套资助", "granted", 2000),  # 第六条: 1亿 × 20%, 最高2000万
        ("2022-06-01", "药品产业化资助", "granted", 2000),  # 第十三条: 3亿 × 10% = 3000万, 单个企业最高2000万
        ("2022-09-01", "地区总部资助", "granted", 4000),  # 第十九条 awarded 6000万; 第五条 leaves 8000 − 4000
        ("2022-11-01", "重大专项配套资助", "granted", 0),  # 1000万, but the year's 8000万 is used up
        ("2023-03-01", "重大专项配套资助", "granted", 1000),  # a new year, a new 8000万
    ]
    assert ledger.total(2022, "granted") == 8000 * WAN
    hq = ledger.entries[2]
    assert hq.computed == 6000 * WAN
    assert hq.cuts == ["单个企业每年资助总额余额为 4000万元，本项由 6000万元 核减为 4000万元"]


def test_jiangsu_one_yi_per_unit_per_year_and_validity(policies) -> None:
    ledger = _ledger(policies, "jiangsu_yearly_limit")
    assert _rows(ledger) == [
        ("2022-02-01", "一类创新药研发", "granted", 3000),
        ("2022-04-01", "创新产品产业化项目", "granted", 3000),  # another subject: stacks with the research support
        ("2022-06-01", "一类创新药研发", "granted", 3000),
        ("2022-10-01", "创新产品产业化项目", "granted", 1000),  # 第5条: 每个单位每年累计不超过1亿
        ("2025-03-01", "一类创新药研发", "expired", 0),  # 有效期至2024年12月31日
    ]
    assert ledger.total(2022, "granted") == 10000 * WAN


def test_yantai_best_of_overlapping_grants_and_exclusivity(policies) -> None:
    ledger = _ledger(policies, "yantai_overlap")
    assert _rows(ledger) == [
        ("2022-01-10", "某区园区建设投资补助", "external", 300),
        ("2022-05-01", "原创新药产业化一事一议", "granted", 6000),
        # 从优、就高、不重复: the same product's industrialisation already got 6000万 > 5000万.
        ("2022-08-01", "落地生产扶持", "granted", 0),
        # 五(一)2: 1亿 × 2% + 2亿 × 1% = 400万, 与省、市、区其他政策不可重复享受.
        ("2022-09-01", "园区建设投资奖励", "granted", 0),
    ]
    assert ledger.entries[2].computed == 5000 * WAN
    assert ledger.entries[3].computed == 400 * WAN
    assert "不可重复享受" in ledger.entries[3].cuts[0]


def test_best_only_pays_the_difference_when_the_second_grant_is_larger(policies) -> None:
    raw = {
        "enterprise": "测试企业",
        "items": {"X": {"facts": {"落地品种类别": "一类新药"}}},
        "events": [
            {
                "date": "2022-05-01",
                "policy": "yantai",
                "clause": "原创新药产业化一事一议",
                "item": "X",
                "facts": {"原创新药产业化项目": True},
                "awarded": "2000万",
            },
            {
                "date": "2022-08-01",
                "policy": "yantai",
                "clause": "落地生产扶持",
                "item": "X",
                "facts": {"在本市落地生产结算": True, "持续生产年限": "3年"},
                "awarded": "5000万",
            },
        ],
    }
    ledger = evaluate_profile(raw, policies)
    assert [e.amount / WAN for e in ledger.entries] == [2000, 3000]  # 就高: 5000万 in all, not 7000万


def test_best_only_reaches_back_across_years(policies) -> None:
    # 从优、就高、不重复 sets no year limit: a grant for the same product two years before still counts.
    ledger = _ledger(policies, "yantai_overlap_years")
    assert _rows(ledger) == [
        ("2022-05-01", "原创新药产业化一事一议", "granted", 2000),
        ("2024-08-01", "落地生产扶持", "granted", 3000),
    ]
    assert "2000万元" in ledger.entries[1].cuts[0]


def test_a_yearly_cap_binds_across_the_years_applications(policies) -> None:
    # 最高不超过500平方米 and 每家企业每年最高补贴50万元: two leases in 2023 share the 500 平方米 and the 50万,
    # and 2024 starts again.
    ledger = _ledger(policies, "yantai_rent_two_leases")
    assert _rows(ledger) == [
        ("2023-03-01", "研发型企业房租补贴", "granted", 45),
        ("2023-09-01", "研发型企业房租补贴", "granted", 5),
        ("2024-03-01", "研发型企业房租补贴", "granted", 30),
    ]
    assert "租赁面积 500平方米超过五百平方米内尚可补贴面积 200平方米，按 200平方米 计" in ledger.entries[1].explanation
    assert "12万元 超过每年上限余额 5万元，按 5万元 计" in ledger.entries[1].explanation


def test_a_project_cap_binds_across_the_projects_phases(policies) -> None:
    # 单个项目……最高1000万元: the second phase of one project gets the remainder, another project its own.
    ledger = _ledger(policies, "yantai_equipment_two_phases")
    assert _rows(ledger) == [
        ("2022-06-01", "设备投入补助", "granted", 600),
        ("2023-06-01", "设备投入补助", "granted", 400),
        ("2023-07-01", "设备投入补助", "granted", 500),
    ]


def test_an_insurance_policy_cap_binds_across_its_instalments(policies) -> None:
    # 单个保单最高不超过50万元: the second instalment of 保单A gets 10万; 保单B is another policy.
    ledger = _ledger(policies, "jiangsu_policy_instalments")
    assert _rows(ledger) == [
        ("2023-02-01", "保险保费资助", "granted", 40),
        ("2023-08-01", "保险保费资助", "granted", 10),
        ("2023-09-01", "保险保费资助", "granted", 30),
    ]


def test_a_scoped_cap_gives_the_same_amount_alone_as_in_the_ledger(policies) -> None:
    # One evaluation asks what the scope already received (the derived input, default 0); given what
    # the ledger holds, it pays what the ledger pays.
    yantai = policies["yantai"].module
    facts = {"企业类型": "研发型企业", "实缴注册资本": "3000万", "固定资产投资": "1500万"}
    lease = {**facts, "租金单价": "1200元/平方米", "租赁面积": "500平方米"}
    alone = yantai.evaluate({**lease, "本年已获研发型企业房租补贴": "45万"}, clauses={"研发型企业房租补贴"})
    assert alone.results[0].amount == 5 * WAN
    assert yantai.evaluate(lease, clauses={"研发型企业房租补贴"}).results[0].amount == 30 * WAN
    spec = yantai.INPUTS["本年已获研发型企业房租补贴"]
    assert spec.default == 0 and "申请人自报" in spec.label


def test_every_worked_profile_is_checked() -> None:
    checked = {
        "yantai_class1_drug",
        "suzhou_over_limit",
        "jiangsu_yearly_limit",
        "yantai_overlap",
        "suzhou_provincial_matching",
        "yantai_contract_two_products",
        "yantai_rent_six_years",
        "suzhou_phase_once",
        "yantai_rent_two_leases",
        "yantai_equipment_two_phases",
        "jiangsu_policy_instalments",
        "yantai_overlap_years",
        "qinghe_county",  # of the example policies: tests/test_example_policies.py
        "linchuan_technology",
    }
    assert {p.stem for p in PROFILES.glob("*.json")} == checked


def test_as_of_shows_the_ledger_as_it_stood(policies) -> None:
    ledger = _ledger(policies, "yantai_class1_drug", as_of=datetime.date(2023, 12, 31))
    assert [e.date.year for e in ledger.entries] == [2022, 2023]


def test_profile_problems_are_named_by_their_place(policies) -> None:
    raw = {
        "enterprise": "x",
        "colour": "red",
        "received": "300万",
        "events": [
            {"date": "2022-13-01", "policy": "yantai", "clause": "创新药研发"},
            {"date": "2022-01-01", "policy": "nowhere", "clause": "创新药研发"},
            {"date": "2022-01-01", "policy": "yantai", "clause": "不存在"},
            {"date": "2022-01-01", "policy": "yantai", "clause": "创新药研发", "item": "Y"},
        ],
    }
    with pytest.raises(ProfileError) as err:
        evaluate_profile(raw, policies)
    problems = err.value.problems
    assert "colour: not a field of a profile (enterprise, regions, facts, items, events, received, changes)" in problems
    assert "received: expected a list of grants received elsewhere" in problems
    assert "events[0].date: expected a date such as 2022-05-10, got '2022-13-01'" in problems
    assert any(p.startswith("events[1].policy: 'nowhere' is not one of the policies") for p in problems)
    assert "events[2].clause: '不存在' is not a clause of yantai" in problems
    assert "events[3].item: 'Y' is not one of the profile's items" in problems


def test_ill_typed_facts_name_the_event_and_field(policies) -> None:
    raw = {
        "events": [
            {
                "date": "2022-01-01",
                "policy": "yantai",
                "clause": "创新药研发",
                "facts": {"临床研发费用": "很多", "新药类别": "一类新药", "临床阶段": "I期"},
            }
        ]
    }
    with pytest.raises(ProfileError) as err:
        evaluate_profile(raw, policies)
    assert err.value.problems == ["events[0].facts.临床研发费用 (本阶段单品种临床研发费用): '很多' is not a number"]


def test_eval_profile_command(tmp_path: Path, capsys) -> None:
    profile = str(PROFILES / "suzhou_over_limit.json")
    assert main(["eval-profile", profile, "--policies", str(POLICIES), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["years"]["2022"]["granted"] == "80000000.00"
    assert data["entries"][2]["cuts"] == ["单个企业每年资助总额余额为 4000万元，本项由 6000万元 核减为 4000万元"]
    assert main(["eval-profile", profile, "--policies", str(POLICIES)]) == 0
    text = capsys.readouterr().out
    assert "2022 年合计：确定 8000万元" in text
    bad = tmp_path / "bad.json"
    bad.write_text('{"events": [{"date": "2022-01-01", "policy": "suzhou", "clause": "无此条"}]}', encoding="utf-8")
    assert main(["eval-profile", str(bad), "--policies", str(POLICIES)]) == 2
    assert "events[0].clause: '无此条' is not a clause of suzhou" in capsys.readouterr().err


def test_match_lists_what_may_apply_and_what_is_missing(policies) -> None:
    from pol.compiler.ledger.match import match

    raw = json.loads((PROFILES / "suzhou_over_limit.json").read_text(encoding="utf-8"))
    found = {(m.policy.key, m.clause.id): m for m in match(raw, policies, datetime.date(2022, 6, 30), "SZ-产业化")}
    # 第十三条: 3亿 × 10% = 3000万, capped at 2000万; computable from data alone.
    industrial = found[("suzhou", "药品产业化资助")]
    assert (industrial.status, industrial.amount, industrial.automatic) == ("granted", 2000 * WAN, True)
    # 第十九条: 实收资本的1%至3%, a range the authority decides.
    hq = found[("suzhou", "地区总部资助")]
    assert (hq.status, hq.amount, hq.automatic) == ("discretionary", 6000 * WAN, False)
    assert hq.verdict == "可能符合：需申请，由主管部门审定金额"
    # 第十四条 needs facts the profile does not hold.
    assert found[("suzhou", "技术改造资助")].verdict.startswith("尚缺信息：")
    # The Liaocheng draft for comment is not in force; nothing of it is offered.
    assert not any(key == "liaocheng_draft" for key, _ in found)


def test_match_command(capsys) -> None:
    profile = str(PROFILES / "suzhou_over_limit.json")
    assert (
        main(["match", profile, "--policies", str(POLICIES), "--item", "SZ-产业化", "--as-of", "2022-06-30", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2022-06-30"
    assert {"policy": "suzhou", "clause": "药品产业化资助", "automatic": True}.items() <= next(
        d for d in data["matches"] if d["clause"] == "药品产业化资助"
    ).items()
    assert main(["match", profile, "--policies", str(POLICIES), "--item", "无此项"]) == 2


def test_provincial_matching_reads_the_local_grants_from_the_ledger(policies) -> None:
    """Jiangsu 30: 补助比例不超过地方投入的50%, where the city's and the district's grants are the local input."""
    ledger = _ledger(policies, "suzhou_provincial_matching")
    assert _rows(ledger) == [
        ("2022-03-01", "苏州工业园区临床试验配套资助", "external", 100),  # a district grant, recorded in the profile
        ("2022-05-10", "进入临床试验资助", "granted", 250),  # 苏州第六条: 进入 III 期, 一次性 250万
        ("2022-11-01", "省级专项配套支持", "discretionary", 175),  # (250万 + 100万) × 50%
    ]
    assert "地方对该项目的实际财政投入：台账中已获 350万元" in ledger.entries[-1].explanation
    # The province's own grants are not local input: a second matching still sees 350万, not 525万.
    raw = json.loads((PROFILES / "suzhou_provincial_matching.json").read_text(encoding="utf-8"))
    raw["events"].append(
        {
            "date": "2022-12-01",
            "policy": "jiangsu",
            "clause": "省级专项配套支持",
            "item": "SZ-301",
            "facts": {"地方已落实财政支持项目": True},
            "awarded": "200万",
        }
    )
    with pytest.raises(ProfileError) as err:
        evaluate_profile(raw, policies)
    assert err.value.problems == ["events[2].awarded: 200万元 is more than the clause's maximum 175万元"]


def test_regions_keep_other_cities_policies_out(policies) -> None:
    from pol.compiler.ledger.match import match

    raw = json.loads((PROFILES / "suzhou_provincial_matching.json").read_text(encoding="utf-8"))
    found = {m.policy.key for m in match(raw, policies, datetime.date(2022, 6, 1))}
    assert found == {"suzhou", "suzhou_cluster", "jiangsu"}
    raw["events"].append({"date": "2022-06-01", "policy": "yantai", "clause": "创新药研发"})
    raw["received"].append(
        {"date": "2022-01-01", "amount": "1万", "subject": "房租", "source": "某区", "level": "乡级"}
    )
    with pytest.raises(ProfileError) as err:
        evaluate_profile(raw, policies)
    assert err.value.problems == [
        "events[2].policy: yantai covers 烟台市, which is not among the enterprise's regions (江苏省, 苏州市, 苏州工业园区)",
        "received[1].level: '乡级' is not a level of government (国家级, 省级, 市级, 区级, 县级)",
    ]


# ---------------------------------------------------------------- rules of the texts the ledger keeps


def test_yantai_contract_reward_is_capped_per_enterprise_across_products(policies) -> None:
    # 四(五) "3年累计给予单一企业的奖励总额最高不超过1000万元": the enterprise's cap, not each product's.
    ledger = _ledger(policies, "yantai_contract_two_products")
    assert _rows(ledger) == [
        ("2022-12-20", "委托生产销售奖励", "granted", 600),  # A, year 1: 2亿 × 3%
        ("2023-12-20", "委托生产销售奖励", "granted", 400),  # A, year 2: 3亿 × 2% = 600万, 1000万 − 600万 left
        ("2023-12-21", "委托生产销售奖励", "granted", 0),  # B, year 1: 450万, but the enterprise's 1000万 is used
    ]
    assert sum(e.amount for e in ledger.entries) == 1000 * WAN
    assert "本企业此前各年度已获本条奖励（各产品合计）：台账中已获 1000万元" in ledger.entries[2].explanation


def test_yantai_rent_subsidy_stops_after_five_years(policies) -> None:
    # 四(二) "补贴期限5年": five years from the first subsidy; the rent is given per month (50元/平方米·月).
    ledger = _ledger(policies, "yantai_rent_six_years")
    assert [(e.year, e.amount / WAN) for e in ledger.entries] == [
        (2022, 15),
        (2023, 15),
        (2024, 15),
        (2025, 15),
        (2026, 15),
        (2027, 0),
    ]
    assert ledger.entries[-1].cuts == ["支持期限5年：该企业自 2022 年起获得本项支持，至 2026 年止，2027 年已超出期限"]


def test_suzhou_phase_grant_is_paid_once_per_phase_and_product(policies) -> None:
    # 第六条 "分别给予100万元、150万元和250万元一次性资助": entering phase I again pays nothing.
    ledger = _ledger(policies, "suzhou_phase_once")
    assert [(e.item, e.amount / WAN) for e in ledger.entries] == [
        ("SZ-001", 100),
        ("SZ-001", 0),
        ("SZ-002", 100),
        ("SZ-001", 150),
    ]
    assert ledger.entries[1].cuts == [
        "一次性给予：该品种或项目已于 2022-04-01 获得本项（本年进入临床阶段为I期） 100万元，不再重复给予"
    ]


def test_once_without_a_key_pays_a_clause_once_per_item() -> None:
    from pol.compiler.evaluate.pipeline import compile_text

    compiled = compile_text(
        'policy p { title: "t" region: "甲市" }\ninput 认定: bool\nclause 奖励 "1" { when 认定  grant 50万  once }\n',
        "p.pol",
    )
    assert compiled.ok, compiled.diagnostics
    pols = load_policies([compiled])
    events = [{"date": f"{y}-01-01", "policy": "p", "clause": "奖励", "facts": {"认定": True}} for y in (2022, 2023)]
    ledger = evaluate_profile({"enterprise": "甲", "events": events}, pols)
    assert [e.amount / WAN for e in ledger.entries] == [50, 0]
    bad = compile_text('policy p { title: "t" }\nclause 奖励 "1" { grant 50万  once by 阶段 }\n', "p.pol")
    assert [d.code for d in bad.diagnostics] == ["POL101"]


def test_a_first_crossing_is_read_from_earlier_years_in_the_ledger(policies) -> None:
    """平台营收突破奖励 rewards the first year over 3000万: an earlier year over it, even one the policy did not
    yet cover, makes a later crossing not the first, without the drafter's yes/no being typed in."""

    def event(date: str, revenue: str) -> dict:
        return {
            "date": date,
            "policy": "yantai",
            "clause": "平台营收突破奖励",
            "facts": {"年度增值税纳税营业收入": revenue},
        }

    def statuses(*events: dict) -> list[tuple[str, Decimal]]:
        ledger = evaluate_profile({"enterprise": "某平台", "events": list(events)}, policies)
        return [(e.status, e.amount / WAN) for e in ledger.entries]

    # 2020 is before the policy took effect (2021-07-28): nothing granted, but the crossing is on record.
    assert statuses(event("2020-06-30", "3500万"), event("2022-06-30", "4000万")) == [
        ("not_yet_effective", 0),
        ("not_eligible", 0),
    ]
    # Exactly 3000万 is not a crossing (突破 excludes the number), so 2022's 4000万 is the first.
    assert statuses(event("2020-06-30", "3000万"), event("2022-06-30", "4000万")) == [
        ("not_yet_effective", 0),
        ("granted", 100),
    ]
    ledger = evaluate_profile(
        {"enterprise": "某平台", "events": [event("2020-06-30", "3500万"), event("2022-06-30", "4000万")]}, policies
    )
    assert "此前年度已突破 3000 万元：台账中 2020 年的事项已符合“年度增值税纳税营业收入突破3000万元”" in (
        ledger.entries[1].explanation
    )


def test_earlier_must_compare_an_input_with_a_figure() -> None:
    from pol.compiler.evaluate.pipeline import compile_text

    source = """policy p { title: "t" }
input 收入: money
input 已突破: money default 0 earlier 收入 突破 3000万
input 曾达到: bool default false earlier 收入 > 已突破
"""
    found = [(d.code, d.message) for d in compile_text(source, "p.pol").diagnostics]
    assert ("POL201", "'已突破' is filled from earlier years' events, so it must be yes/no") in found
    assert ("POL107", "`earlier` compares an input with a figure, as in `earlier 年销售收入 突破 10亿`") in found


def test_a_quarterly_cap_binds_within_the_quarter() -> None:
    # 按季度兑现，每个季度不超过100万元: two applications in one quarter share 100万; the next quarter starts again.
    from pol.compiler.evaluate.pipeline import compile_text

    source = """policy q { title: "季度兑现测试" }
input 软件业务收入增量: money
clause 增量奖励 "一" {
  original: \"\"\"按软件业务收入增量的5%给予奖励，按季度兑现，每个季度不超过100万元。\"\"\"
  grant 软件业务收入增量 × 5%
  cap 100万 per quarter
}
"""
    compiled = compile_text(source, "q.pol")
    assert compiled.ok, compiled.diagnostics
    policies = load_policies([compiled])
    raw = {
        "enterprise": "测试企业",
        "events": [
            {"date": d, "policy": "q", "clause": "增量奖励", "facts": {"软件业务收入增量": "1200万"}}
            for d in ("2024-01-15", "2024-03-20", "2024-04-02", "2024-12-31")
        ],
    }
    ledger = evaluate_profile(raw, policies)
    assert [e.amount / WAN for e in ledger.entries] == [60, 40, 60, 60]
    assert "本季度已获增量奖励" in policies["q"].module.INPUTS


def test_received_of_a_fact_has_the_facts_kind() -> None:
    from pol.compiler.evaluate.pipeline import compile_text

    source = """policy q { title: "t" }
input 面积: area(平方米)
input 已补贴面积: money default 0 received a per year of 面积
input 已补贴: area(平方米) default 0平方米 received a per year of 不存在
clause a "一" { grant 1万 }
"""
    compiled = compile_text(source, "q.pol")
    assert [(d.code, d.span.line) for d in compiled.diagnostics] == [("POL201", 3), ("POL101", 4)]
