"""The clause forms of clause-forms.md that the Yantai clauses in policies/ do not use yet, evaluated end to end."""

from __future__ import annotations

import datetime
from decimal import Decimal

from pol.compiler.evaluate.pipeline import compile_text, load_evaluator, python_source

SOURCE = """
policy forms { title: "形式测试" effective: 2021-11-01 expires: 2024-12-31 }
input 研发投入: money
input 销售价格: money
input 合同金额: money
input 已获临床扶持: money default 0
enum 等级 { 国家级, 省级 }
input 等级: 等级
clause 国际注册 "六(一)" { grant up to 研发投入 × 30%  cap 1000万 }
clause 区间 "J4" { grant 500万 to 2000万 }
clause 比例区间 "S16" { grant 15% to 30% of 销售价格  cap 1000万 }
clause 重大项目 "十(二)" { grant 一事一议  cap 1亿 }
clause 委托双方 "三(三)" { each "委托方", "受托方"  grant 合同金额 × 10%  cap 1000万 }
clause 运营中心 "八(一)" { grant 500万 as equity }
clause 配套补助 "八(二)" { grant 500万 }
clause 落地生产 "二(二)1" { grant up to 5000万  offset 已获临床扶持 }
clause 专精特新 "L7" { grant up to by 等级 { 国家级: 50万, 省级: 30万 } }
limit 1200万 per enterprise per year on (委托双方, 配套补助) label "单个企业每年资助总额上限"
"""


def evaluate(facts, as_of=datetime.date(2022, 1, 1)):
    compiled = compile_text(SOURCE, "forms.pol")
    assert compiled.ok, compiled.diagnostics
    return load_evaluator(python_source(compiled), "forms").evaluate(facts, as_of=as_of)


def test_each_form() -> None:
    ev = evaluate({"研发投入": "5000万", "销售价格": "1亿", "合同金额": "2亿", "等级": "省级"})
    got = {r.id: (r.status, r.min_amount, r.max_amount, r.amount) for r in ev.results}
    m = Decimal
    assert got["国际注册"] == ("discretionary", None, m("10000000.00"), None)  # min(30% × 5000万, 1000万)
    assert got["区间"] == ("discretionary", m("5000000.00"), m("20000000.00"), None)
    assert got["比例区间"] == ("discretionary", m("10000000.00"), m("10000000.00"), None)  # 15% = 1500万 > cap
    # Both ends cut to the cap read as one figure, not "在 1000万元 至 1000万元 之间".
    assert ev.result("比例区间").explanation[-1] == "区间上下限均为 1000万元，由主管部门确定"
    assert got["重大项目"] == ("case_by_case", None, m("100000000.00"), None)
    assert got["委托双方"] == ("granted", None, m("10000000.00"), m("10000000.00"))
    assert got["运营中心"] == ("granted", None, m("5000000.00"), m("5000000.00"))
    assert got["专精特新"] == ("discretionary", None, m("300000.00"), None)
    assert got["落地生产"] == ("discretionary", None, m("50000000.00"), None)
    assert ev.result("委托双方").explanation[-1] == "委托方、受托方各自按此计算"
    assert ev.result("运营中心").clause.support == "股权投资"
    # 1000万 + 500万 = 1500万 exceeds the 1200万 limit on those two clauses.
    assert ev.determined == m("12000000.00")


def test_equity_is_reported_by_kind_and_kept_out_of_the_cash_totals() -> None:
    ev = evaluate({"合同金额": "1000万"})  # 委托双方 100万 + 配套补助 500万 in cash; 500万 as equity
    assert ev.determined == Decimal("6000000.00")
    assert ev.in_kind == {"股权投资": Decimal("5000000.00")}
    assert ev.notes == ["另有股权投资 500万元（最高），不计入资金合计"]
    assert ev.to_json()["totals"]["in_kind"] == {"股权投资": "5000000.00"}


def test_document_limit_cuts_the_total_and_says_why() -> None:
    ev = evaluate({"合同金额": "7000万"})  # 700万 + 500万 = 1200万: exactly at the limit, nothing cut
    assert ev.determined == Decimal("12000000.00") and ev.notes == ["另有股权投资 500万元（最高），不计入资金合计"]
    ev = evaluate({"合同金额": "7000.01万"})  # 700.001万 + 500万: one hundred yuan over
    assert ev.determined == Decimal("12000000.00")
    assert ev.notes[0] == "确定金额合计 1200.001万元 超过单个企业每年资助总额上限 1200万元，按 1200万元 计"


def test_validity_period() -> None:
    ev = evaluate({"合同金额": "1亿"}, as_of=datetime.date(2025, 1, 1))
    assert all(r.status == "expired" for r in ev.results)
    assert ev.results[0].explanation == ["政策有效期至 2024-12-31，2025-01-01 已失效"]


def test_offset_lowers_the_maximum_and_never_goes_below_zero() -> None:
    """该项奖励包括已发扶持资金: what the product already received comes off the maximum."""
    ev = evaluate({"已获临床扶持": "3000万"})
    assert ev.result("落地生产").max_amount == Decimal("20000000.00")
    ev = evaluate({"已获临床扶持": "6000万"})
    assert ev.result("落地生产").max_amount == Decimal("0.00")


def test_the_header_takes_its_fields_chinese_names() -> None:
    from pol.compiler.evaluate.pipeline import compile_text

    english = 'policy p {\n  title: "测试政策"\n  issuer: "某市人民政府"\n  number: "某政发〔2021〕1号"\n  effective: 2021-01-01\n}\n'
    chinese = 'policy p {\n  标题: "测试政策"\n  发文机关: "某市人民政府"\n  文号: "某政发〔2021〕1号"\n  施行日期: 2021-01-01\n}\n'
    a, b = compile_text(english, "p.pol"), compile_text(chinese, "p.pol")
    assert a.ok and b.ok, [d.message for d in b.diagnostics]
    assert a.policy is not None and b.policy is not None and a.policy.header == b.policy.header
    wrong = compile_text(chinese.replace("发文机关", "发文机构"), "p.pol")
    [d] = wrong.diagnostics
    assert d.code == "POL104" and any("did you mean '发文机关'" in n for n in d.notes), d.notes
