"""`pol synth` and `pol simulate`: a deterministic population, a reform checked against the policy, its cost
exactly as the evaluator computes it applicant by applicant, and a report that fetches nothing."""

from __future__ import annotations

import csv
import datetime
import functools
import http.server
import os
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import POLICIES

from pol.compiler.cli import main
from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source
from pol.compiler.lower import lower
from pol.compiler.population.reform import Change, ReformError, apply

YANTAI = str(POLICIES / "yantai.pol")
AS_OF = "2022-06-30"


def test_synth_is_deterministic_and_puts_rows_at_the_thresholds(tmp_path) -> None:
    for name in ("a.csv", "b.csv"):
        assert main(["synth", YANTAI, "--rows", "500", "--out", str(tmp_path / name)]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    rows = list(csv.DictReader((tmp_path / "a.csv").open(encoding="utf-8")))
    assert len(rows) == 500
    # 实缴注册资本 2000万元以上 is a threshold: some rows sit exactly on it, some one fen below.
    capital = {Decimal(r["实缴注册资本"]) for r in rows if r["实缴注册资本"]}
    assert Decimal("20000000") in capital and Decimal("19999999.99") in capital


def test_a_reform_that_does_not_fit_is_refused_naming_each_change() -> None:
    program = lower(compile_file(YANTAI).policy, "yantai.pol")
    with pytest.raises(ReformError) as err:
        apply(
            program,
            [
                Change("不存在", "rate", "30%", "--set a"),
                Change("创新药研发", "rate", "30万", "--set b"),
                Change("创新药研发", "55%", "30%", "--set c"),
                Change("创新药研发", "rate", "1000%", "--set d"),  # the same rate in a policy is POL203
                Change("创新药研发", "40%", "100.01%", "--set e"),
            ],
        )
    assert err.value.problems == [
        "--set a: 烟台市促进生物医药产业高质量发展的若干政策 has no clause 不存在",
        "--set b: '30万' is not of the same kind as the figure it replaces (ratio)",
        "--set c: clause 创新药研发 has no figure '55%' to change",
        "--set d: a rate of 1000% is above 100% (POL203): a grant cannot exceed the base it is a share of",
        "--set e: a rate of 100.01% is above 100% (POL203): a grant cannot exceed the base it is a share of",
    ]
    assert apply(program, [Change("创新药研发", "rate", "100%", "--set f")])  # the whole base is a share


@pytest.mark.long
def test_the_cost_of_a_reform_is_exact_applicant_by_applicant(tmp_path, capsys) -> None:
    people = tmp_path / "people.csv"
    assert main(["synth", YANTAI, "--rows", "400", "--seed", "9", "--out", str(people)]) == 0
    summary = tmp_path / "summary.md"
    capsys.readouterr()
    assert (
        main(
            [
                "simulate",
                YANTAI,
                "--input",
                str(people),
                "--set",
                "创新药研发.rate=30%",
                "--as-of",
                AS_OF,
                "--markdown",
                str(summary),
                "--report",
                str(tmp_path / "report.html"),
            ]
        )
        == 0
    )
    text = summary.read_text(encoding="utf-8")
    # The same change computed by the Python evaluator, one applicant at a time.
    compiled = compile_file(YANTAI)
    module = load_evaluator(python_source(compiled), "yantai_sim")
    program = lower(compiled.policy, "yantai.pol")
    changed = apply(program, [Change("创新药研发", "rate", "30%", "test")])
    from pol.compiler.backends.python import generate

    reformed = load_evaluator(generate(changed), "yantai_reformed")
    before = after = Decimal(0)
    for row in csv.DictReader(people.open(encoding="utf-8")):
        facts = {k: {"true": True, "false": False}.get(v, v) for k, v in row.items() if v != ""}
        day = datetime.date.fromisoformat(AS_OF)
        before += module.evaluate(facts, as_of=day).determined
        after += reformed.evaluate(facts, as_of=day).determined
    from pol.compiler.population.simulate import wan

    assert f"| 确定金额合计 | {wan(before)} | {wan(after)} |" in text
    assert after < before


@pytest.mark.long
@pytest.mark.skipif(not (os.environ.get("POL_CHROMIUM") or Path("/usr/bin/chromium").exists()), reason="no chromium")
def test_the_report_opens_in_a_browser_without_fetching_anything(tmp_path) -> None:
    people = tmp_path / "people.csv"
    assert main(["synth", YANTAI, "--rows", "200", "--out", str(people)]) == 0
    (tmp_path / "reform.toml").write_text(
        'title = "二(一)1 比例 40% 调为 30%"\n[[change]]\nclause = "创新药研发"\nfigure = "40%"\nto = "30%"\n',
        encoding="utf-8",
    )
    report = tmp_path / "site" / "report.html"
    assert (
        main(
            [
                "simulate",
                YANTAI,
                "--input",
                str(people),
                "--reform",
                str(tmp_path / "reform.toml"),
                "--as-of",
                AS_OF,
                "--report",
                str(report),
            ]
        )
        == 0
    )
    playwright = pytest.importorskip("playwright.sync_api")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(report.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("POL_CHROMIUM", "/usr/bin/chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/report.html")
        assert page.locator("h1").inner_text() == "政策调整测算：二(一)1 比例 40% 调为 30%"
        assert page.locator("svg[role=img]").count() == 1
        browser.close()
    server.shutdown()
    assert all(u.startswith(f"http://127.0.0.1:{server.server_address[1]}/") for u in requests), requests


def test_a_report_writes_every_amount_in_wan_yuan_exactly_and_each_clause_name_on_its_own_line() -> None:
    import random
    import re

    from pol.compiler.population.simulate import _bars, wan

    rng = random.Random(5)
    for _ in range(2000):
        value = Decimal(rng.randrange(-(10**13), 10**13)).scaleb(-2)  # any amount to the fen, to 1000亿
        text = wan(value)
        assert text.endswith("万元") and "E" not in text
        assert Decimal(text.removesuffix("万元").replace(",", "")).scaleb(4) == value
    svg = _bars("t", [("一个名字很长很长的条款：创新药研发临床试验阶段扶持", Decimal("123456789.01"), Decimal(0))])
    lines = re.findall(r'<text x="0" y="(\d+)"[^>]*>([^<]*)</text>', svg)
    assert lines[0][1].startswith("一个名字很长") and {t for _, t in lines[1:]} == {"调整前", "调整后"}
    assert len({y for y, _ in lines}) == 3  # the name, then each bar's line: nothing drawn over the name
    assert "12,345.678901万元" in svg
