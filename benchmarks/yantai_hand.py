"""Yantai's 33 clauses written by hand as one DuckDB query, as an analyst would write them without pol.

bench_batch.py times it against `pol batch policies/yantai.pol` on the same applicants (every fact given) and
checks that the two agree on every row and column. Each clause is its condition and its amount in plain SQL:
thresholds as the legal words read (以上/不少于 include the figure, 突破 excludes it), each amount rounded to the fen
once, half away from zero, then cut by its caps; a cap that counts what was received is never below 0. The query
writes the columns `pol batch` writes, in its order: per clause status, amount, max_amount, min_amount, then the
cash totals.
"""

from __future__ import annotations

# Shared by the three rent rules: the area left of this year's 500 and 1000 平方米.
AREA_500 = "LEAST(租赁面积, GREATEST(500 - 本年已获补贴租赁面积, 0))"
AREA_1000 = "LEAST(租赁面积, GREATEST(1000 - 本年已获补贴租赁面积, 0))"
RD_FIRM = "企业类型 = '研发型企业' AND 实缴注册资本 >= 20000000 AND 固定资产投资 >= 10000000"
INDUSTRIAL = "企业类型 = '工业企业' AND 实缴注册资本 >= 50000000 AND 固定资产投资 >= 20000000"
FOREIGN = "企业类型 = '外商投资研发型企业' AND 实缴注册资金 >= 5000000"
PER_MU = "园区年税收 >= {} * 园区面积"  # 年亩产税收 (园区年税收 / 园区面积) at least so much per 亩, without dividing

# (clause, status offered, condition, amount): `granted` gives an exact amount, `discretionary` (up to) a maximum,
# `case_by_case` at most a cap. A condition of TRUE always holds.
CLAUSES: list[tuple[str, str, str, str | None]] = [
    (
        "创新药研发",
        "granted",
        "TRUE",
        """LEAST(ROUND(临床研发费用 * 0.4, 2),
            CASE 临床阶段
              WHEN 'I期' THEN CASE WHEN 新药类别 = '一类新药' THEN 2000000 ELSE 1000000 END
              WHEN 'II期' THEN CASE WHEN 新药类别 = '一类新药' THEN 8000000 ELSE 4000000 END
              ELSE CASE WHEN 新药类别 = '一类新药' THEN 20000000 ELSE 10000000 END END,
            GREATEST(CASE WHEN 新药类别 = '一类新药' THEN 30000000 ELSE 15000000 END - 该品种已获研发扶持, 0))""",
    ),
    ("创新医疗器械研发", "discretionary", "医疗器械类别 = '第三类' AND 已启动临床试验", "3000000"),
    (
        "临床试验机构支持",
        "granted",
        "临床试验机构已备案 AND 为本市企业开展创新产品临床试验",
        "LEAST(ROUND(单产品临床试验费用 * 0.1, 2), 2000000)",
    ),
    (
        "落地生产扶持",
        "discretionary",
        "在本市落地生产结算 AND 持续生产年限 >= 3",
        """GREATEST(CASE 落地品种类别 WHEN '一类新药' THEN 50000000 WHEN '二类新药' THEN 30000000 ELSE 5000000 END
            - 该品种已获临床试验扶持, 0)""",
    ),
    ("区域总代理扶持", "granted", "委托本市物流企业区域总代理 AND 合同销售期限 >= 3", "2000000"),
    ("进口药品总代理扶持", "granted", "取得进口药品国内总代理", "4000000"),
    ("平台设备资助", "granted", "平台经认定", "LEAST(ROUND(平台设备购置总额 * 0.2, 2), 50000000)"),
    ("平台营收突破奖励", "granted", "年度增值税纳税营业收入 > 30000000 AND NOT 此前已突破3000万元", "1000000"),
    (
        "委托双方资助",
        "granted",
        "委托经认定的本市CMO或CDMO AND 与受托方无投资关系",
        "LEAST(ROUND(首次实际交易合同金额 * 0.1, 2), 10000000)",
    ),
    (
        "设备投入补助",
        "granted",
        "生产性设备投入 >= 5000000",
        "LEAST(ROUND(生产性设备投入 * 0.05, 2), GREATEST(10000000 - 该项目已获设备投入补助, 0))",
    ),
    (
        "研发型企业房租补贴",
        "granted",
        RD_FIRM,
        f"LEAST(ROUND(租金单价 * {AREA_500} * 0.5, 2), GREATEST(500000 - 本年已获研发型企业房租补贴, 0))",
    ),
    (
        "工业企业房租补贴",
        "granted",
        INDUSTRIAL,
        f"LEAST(ROUND(租金单价 * {AREA_1000} * 0.5, 2), GREATEST(1000000 - 本年已获工业企业房租补贴, 0))",
    ),
    (
        "外资研发企业房租补贴",
        "granted",
        FOREIGN,
        f"""CASE WHEN 实缴注册资金 >= 10000000
              THEN LEAST(ROUND(LEAST(租金单价 * {AREA_1000}, 2000000), 2),
                         GREATEST(2000000 - 本年已获外资研发企业房租补贴, 0))
              ELSE LEAST(ROUND(LEAST(租金单价 * {AREA_500}, 1000000), 2),
                         GREATEST(1000000 - 本年已获外资研发企业房租补贴, 0)) END""",
    ),
    (
        "销售收入晋级奖励",
        "granted",
        "产品在本市生产 AND 年销售收入 > 1000000000",
        """GREATEST(CASE WHEN 年销售收入 > 5000000000 THEN 5000000 WHEN 年销售收入 > 3000000000 THEN 3000000
            ELSE 1000000 END - 已获晋级奖励, 0)""",
    ),
    (
        "委托生产销售奖励",
        "granted",
        "委托本市企业生产 AND 销售税收在本市结算 AND 销售年度 IN (1, 2, 3)",
        """LEAST(ROUND(年销售收入 * CASE 销售年度 WHEN 1 THEN 0.03 WHEN 2 THEN 0.02 ELSE 0.01 END, 2),
            GREATEST(10000000 - 已获委托生产奖励, 0))""",
    ),
    (
        "现代物流资质奖励",
        "granted",
        "在本市注册的药品流通企业 AND 取得省药品现代物流企业资质 AND 提升冷链运输保障能力",
        "2000000",
    ),
    (
        "世界500强落户奖励",
        "granted",
        "世界500强生物医药企业 AND 落户类型 IN ('区域总部', '研发中心', '生产基地')",
        "10000000",
    ),
    ("园区建设投资奖励", "granted", "TRUE", "ROUND(实际到账外资金额 * 0.02 + 内资实际投资额 * 0.01, 2)"),
    ("规上企业引进奖励", "granted", "引进企业年增值税纳税主营业务收入 > 20000000 AND 完成规上企业认定", "100000"),
    (
        "项目引进奖励",
        "granted",
        "提供全额投资证明 AND 项目实际投资额 >= 50000000 AND 设备购置资金 >= 30000000",
        "CASE WHEN 项目实际投资额 >= 100000000 AND 设备购置资金 >= 50000000 THEN 200000 ELSE 100000 END",
    ),
    (
        "园区亩产税收奖励",
        "granted",
        f"园区经财政部门认定 AND 园区面积 > 0 AND {PER_MU.format(500000)}",
        f"""ROUND(CASE WHEN {PER_MU.format(1000000)} THEN 100000 WHEN {PER_MU.format(800000)} THEN 80000
            ELSE 30000 END * 园区面积, 2)""",
    ),
    ("制药企业引进奖励", "granted", "新引进制药企业取得生产许可证", "100000"),
    ("税收留成返还", "granted", "招商入驻经认定专业园区", "ROUND(市级留成税收, 2)"),
    (
        "国际注册资金支持",
        "discretionary",
        "注册机构 IN ('FDA', 'EMA', 'CE', 'PMDA', 'WHO') AND 在国外市场实现销售",
        "LEAST(ROUND(研发投入 * 0.3, 2), 10000000)",
    ),
    ("知识产权运营中心", "granted", "承建知识产权运营中心", "5000000"),
    (
        "专利导航项目补助",
        "discretionary",
        "开展产业专利导航项目",
        "LEAST(500000, GREATEST(500000 - 该项目已获专利导航项目补助, 0))",
    ),
    ("专利导航示范奖励", "granted", "获评国家级示范项目", "200000"),
    (
        "企业运营类专利导航",
        "discretionary",
        "突破关键核心技术",
        "LEAST(150000, GREATEST(150000 - 该项目已获企业运营类专利导航, 0))",
    ),
    (
        "高层次人才个税奖励",
        "granted",
        "在本市企业工作并在烟缴纳个税 AND 人才类别 IN ('A类', 'B类', 'C类', 'D类') AND 人才奖励年度 <= 3",
        "ROUND(个人所得税市区留成, 2)",
    ),
    (
        "特医保健食品奖励",
        "granted",
        "新获批特医或保健食品 AND 首次在本市生产结算 AND 销售年度 <= 3",
        "LEAST(ROUND(年销售收入 * 0.05, 2), GREATEST(10000000 - 本年已获特医食品奖励, 0))",
    ),
    ("填补空白项目一事一议", "case_by_case", "填补产业链空白项目", None),
    ("原创新药产业化一事一议", "case_by_case", "原创新药产业化项目", "100000000"),
    ("重大平台一事一议", "case_by_case", "特别重大平台项目", None),
]

# Paid in kind or as a tax refund, not in cash: left out of the totals.
NOT_CASH = {"税收留成返还", "知识产权运营中心", "高层次人才个税奖励"}


def query(source: str, out: str) -> str:
    """The whole query: read `source` (Parquet), write `out` (Parquet), the rows in the input's order."""
    money = "DECIMAL(18, 2)"
    columns = ["row"]
    for name, offered, condition, amount in CLAUSES:
        value = f"CAST({amount} AS {money})" if amount is not None else f"CAST(NULL AS {money})"
        given = f"CASE WHEN {condition} THEN {value} END"
        columns += [
            f"CASE WHEN {condition} THEN '{offered}' ELSE 'not_eligible' END AS \"yantai.{name}.status\"",
            f'{given if offered == "granted" else f"CAST(NULL AS {money})"} AS "yantai.{name}.amount"',
            f'{given} AS "yantai.{name}.max_amount"',
            f'CAST(NULL AS {money}) AS "yantai.{name}.min_amount"',
        ]
    cash = [c for c in CLAUSES if c[0] not in NOT_CASH]
    determined = " + ".join(f'COALESCE("yantai.{c[0]}.amount", 0)' for c in cash)
    maximum = " + ".join(f'COALESCE("yantai.{c[0]}.max_amount", 0)' for c in cash if c[1] != "case_by_case")
    per_clause = ",\n    ".join(columns)
    return f"""
SET preserve_insertion_order = true;
COPY (
  SELECT *, {determined} AS "yantai.totals.determined", {maximum} AS "yantai.totals.maximum"
  FROM (
    SELECT {per_clause}
    FROM (SELECT row_number() OVER () AS row, * FROM read_parquet('{source}'))
  )
) TO '{out}' (FORMAT PARQUET);
"""


if __name__ == "__main__":  # bench_batch.py runs the query as its own process: python yantai_hand.py IN OUT
    import sys

    import duckdb

    duckdb.connect().execute(query(sys.argv[1], sys.argv[2]))
