"""`pol simulate`: what a reform costs, over a population, before and after, exactly; a Markdown summary and an HTML report."""

from __future__ import annotations

import datetime
import html
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from pol.compiler import ir
from pol.compiler.backends.sql import quote
from pol.compiler.population import batch

# The buckets of the change `d` in an applicant's maximum, for the distribution.
BUCKETS = [
    ("减少超过 100万元", "{d} < -1000000"),
    ("减少 10万元至 100万元", "{d} >= -1000000 AND {d} < -100000"),
    ("减少不到 10万元", "{d} >= -100000 AND {d} < 0"),
    ("不变", "{d} = 0"),
    ("增加不超过 10万元", "{d} > 0 AND {d} <= 100000"),
    ("增加 10万元至 100万元", "{d} > 100000 AND {d} <= 1000000"),
    ("增加超过 100万元", "{d} > 1000000"),
]


@attrs.frozen
class ClauseCost:
    clause: str
    article: str | None
    determined: tuple[Decimal, Decimal]  # before, after
    maximum: tuple[Decimal, Decimal]
    granted: tuple[int, int]  # applicants offered money, before and after


@attrs.frozen
class Simulation:
    title: str
    policy: str
    as_of: datetime.date
    rows: int
    clauses: list[ClauseCost]
    determined: tuple[Decimal, Decimal]
    maximum: tuple[Decimal, Decimal]
    gain: int
    lose: int
    status_changed: int
    distribution: list[tuple[str, int]]


def _one(con: Any, sql: str) -> tuple[Any, ...]:
    """The one row an aggregate query returns."""
    row = con.execute(sql).fetchone()
    assert row is not None, "an aggregate query returns a row"
    return tuple(row)


def simulate(
    base: ir.Program, reform: ir.Program, key: str, source: Path, as_of: datetime.date, title: str
) -> Simulation:
    """Evaluate `source` under the policy and under the reform, and compare them applicant by applicant."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="pol-simulate-") as tmp:
        before, after = Path(tmp) / "before.parquet", Path(tmp) / "after.parquet"
        result = batch.run({key: base}, source, before, as_of)
        batch.run({key: reform}, source, after, as_of)
        con = duckdb.connect()
        con.execute(f"CREATE VIEW b AS SELECT * FROM read_parquet('{before}')")
        con.execute(f"CREATE VIEW a AS SELECT * FROM read_parquet('{after}')")
        costs = []
        for c in base.clauses:
            col = lambda f, c=c: quote(f"{key}.{c.id}.{f}")  # noqa: E731
            row = _one(
                con,
                f"SELECT COALESCE(sum(b.{col('amount')}), 0), COALESCE(sum(a.{col('amount')}), 0), "
                f"COALESCE(sum(b.{col('max_amount')}), 0), COALESCE(sum(a.{col('max_amount')}), 0), "
                f"count(b.{col('max_amount')}), count(a.{col('max_amount')}) FROM b JOIN a USING (row)",
            )
            costs.append(ClauseCost(c.id, c.article, (row[0], row[1]), (row[2], row[3]), (row[4], row[5])))
        det, mx = quote(f"{key}.totals.determined"), quote(f"{key}.totals.maximum")
        totals = _one(
            con,
            f"SELECT sum(b.{det}), sum(a.{det}), sum(b.{mx}), sum(a.{mx}), "
            f"count(*) FILTER (WHERE a.{mx} > b.{mx}), count(*) FILTER (WHERE a.{mx} < b.{mx}) "
            "FROM b JOIN a USING (row)",
        )
        changed = (
            " OR ".join(f"b.{quote(f'{key}.{c.id}.status')} <> a.{quote(f'{key}.{c.id}.status')}" for c in base.clauses)
            or "FALSE"
        )
        status_changed = _one(con, f"SELECT count(*) FROM b JOIN a USING (row) WHERE {changed}")[0]
        d = f"(a.{mx} - b.{mx})"
        distribution = [
            (label, _one(con, f"SELECT count(*) FROM b JOIN a USING (row) WHERE {cond.format(d=d)}")[0])
            for label, cond in BUCKETS
        ]
    z = Decimal(0)
    return Simulation(
        title,
        base.title,
        as_of,
        result.rows,
        costs,
        (totals[0] or z, totals[1] or z),
        (totals[2] or z, totals[3] or z),
        totals[4],
        totals[5],
        status_changed,
        distribution,
    )


def wan(value: Decimal) -> str:
    """An amount in 万元, exactly (to the fen: up to six decimals), with thousands marked: every amount of a
    report in one unit, so a reader compares them at a glance (1.5亿元 beside 345678.9元 is not read so)."""
    return f"{value.scaleb(-4).normalize():,f}万元"


def _delta(pair: tuple[Decimal, Decimal]) -> str:
    d = pair[1] - pair[0]
    return ("+" if d > 0 else "") + wan(d)


def markdown(s: Simulation) -> str:
    """The summary: totals before and after, who gains and loses, and the cost by clause."""
    lines = [
        f"# 政策调整测算：{s.title}",
        "",
        f"{s.policy}，按 {s.as_of.isoformat()} 有效的条款，测算 {s.rows} 个申请人（金额精确到分）。",
        "",
        "| | 调整前 | 调整后 | 变化 |",
        "|---|---:|---:|---:|",
        f"| 确定金额合计 | {wan(s.determined[0])} | {wan(s.determined[1])} | {_delta(s.determined)} |",
        f"| 含上限金额合计 | {wan(s.maximum[0])} | {wan(s.maximum[1])} | {_delta(s.maximum)} |",
        "",
        f"增加的 {s.gain} 个，减少的 {s.lose} 个，结论（状态）改变的 {s.status_changed} 个。",
        "",
        "## 分条款",
        "",
        "| 条款 | 条目 | 确定金额 调整前 | 调整后 | 含上限金额 调整前 | 调整后 | 获支持人数 调整前 | 调整后 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in s.clauses:
        if c.maximum == (0, 0) and c.granted == (0, 0):
            continue
        lines.append(
            f"| {c.clause} | {c.article or ''} | {wan(c.determined[0])} | {wan(c.determined[1])} "
            f"| {wan(c.maximum[0])} | {wan(c.maximum[1])} | {c.granted[0]} | {c.granted[1]} |"
        )
    lines += ["", "## 每个申请人含上限金额的变化", "", "| 变化 | 人数 |", "|---|---:|"]
    lines += [f"| {label} | {n} |" for label, n in s.distribution]
    return "\n".join(lines) + "\n"


def _bars(title: str, items: list[tuple[str, Decimal, Decimal]]) -> str:
    """A grouped bar chart (before, after) as inline SVG: nothing fetched, readable without scripts."""
    # Each clause's name on a line of its own above its two bars, and room after the longest bar for its
    # amount, so no label is cut however long the name or the amount.
    width, row = 720, 22
    top = max([max(b, a) for _, b, a in items] + [Decimal(1)])
    parts = [
        f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{row * len(items) * 3 + 20}" '
        f'viewBox="0 0 {width} {row * len(items) * 3 + 20}" xmlns="http://www.w3.org/2000/svg" font-size="12">'
    ]
    y = 10
    for label, b, a in items:
        parts.append(f'<text x="0" y="{y + 14}" font-weight="bold">{html.escape(label)}</text>')
        y += row
        for value, colour, what in ((b, "#8c8c8c", "调整前"), (a, "#1a55b3", "调整后")):
            w = 440 * float(value / top)
            parts.append(
                f'<text x="0" y="{y + 14}">{what}</text>'
                f'<rect x="56" y="{y + 3}" width="{w:.1f}" height="14" fill="{colour}"/>'
                f'<text x="{60 + w:.1f}" y="{y + 14}">{wan(value)}</text>'
            )
            y += row
    parts.append("</svg>")
    return "".join(parts)


def report(s: Simulation) -> str:
    """The HTML report: the summary's tables and two charts, one self-contained page."""
    clauses = [c for c in s.clauses if c.maximum != (0, 0)]
    table = "".join(
        f"<tr><td>{html.escape(c.clause)}</td><td>{html.escape(c.article or '')}</td>"
        f"<td>{wan(c.maximum[0])}</td><td>{wan(c.maximum[1])}</td>"
        f"<td>{c.granted[0]}</td><td>{c.granted[1]}</td></tr>"
        for c in clauses
    )
    dist = "".join(f"<tr><td>{html.escape(label)}</td><td>{n}</td></tr>" for label, n in s.distribution)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>政策调整测算：{html.escape(s.title)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #999;padding:.25rem .5rem;text-align:right}}
td:first-child,th:first-child{{text-align:left}}</style></head><body>
<h1>政策调整测算：{html.escape(s.title)}</h1>
<p>{html.escape(s.policy)}，按 {s.as_of.isoformat()} 有效的条款，测算 {s.rows} 个申请人（金额精确到分）。</p>
<table><tr><th></th><th>调整前</th><th>调整后</th><th>变化</th></tr>
<tr><td>确定金额合计</td><td>{wan(s.determined[0])}</td><td>{wan(s.determined[1])}</td><td>{_delta(s.determined)}</td></tr>
<tr><td>含上限金额合计</td><td>{wan(s.maximum[0])}</td><td>{wan(s.maximum[1])}</td><td>{_delta(s.maximum)}</td></tr></table>
<p>增加的 {s.gain} 个，减少的 {s.lose} 个，结论（状态）改变的 {s.status_changed} 个。</p>
<h2>分条款（含上限金额）</h2>
{_bars("分条款含上限金额，调整前后", [(c.clause, c.maximum[0], c.maximum[1]) for c in clauses])}
<table><tr><th>条款</th><th>条目</th><th>调整前</th><th>调整后</th><th>获支持人数 调整前</th><th>调整后</th></tr>{table}</table>
<h2>每个申请人含上限金额的变化</h2>
<table><tr><th>变化</th><th>人数</th></tr>{dist}</table>
</body></html>
"""
