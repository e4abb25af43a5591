"""`pol diff OLD NEW`: a revision's header fields, clauses added, removed and changed, and examples' outcomes."""

from __future__ import annotations

import json
import re

from conftest import POLICIES
from rich.console import Console

from pol.compiler.cli import main
from pol.compiler.commands import Cli


def run(argv: list[str]) -> tuple[int, str]:
    out = Console(record=True, width=2000)
    code = main(argv, Cli(out, Console(record=True, width=200)))
    return code, out.export_text()


def test_a_revision_is_read_clause_by_clause_with_its_effect_on_the_examples(tmp_path) -> None:
    old = POLICIES / "yantai.pol"
    text = old.read_text(encoding="utf-8")
    revised = text.replace("grant 临床研发费用 × 40%", "grant 临床研发费用 × 30%", 1)
    revised = revised.replace("  effective: 2021-07-28", "  effective: 2022-01-01", 1)
    # The last clause dropped, and a new one added at the end.
    last = revised.rindex("\nclause ")
    dropped = re.match(r"\nclause (\S+)", revised[last:]).group(1)
    revised = revised[:last] + '\nclause 新增奖励 "十一" {\n  original: "新增"\n  grant 10万\n}\n'
    new = tmp_path / "yantai_revised.pol"
    new.write_text(revised, encoding="utf-8")

    code, out = run(["diff", str(old), str(new), "--format", "json"])
    assert code == 0
    result = json.loads(out)
    assert {"field": "施行日期", "before": "2021-07-28", "after": "2022-01-01"} in result["header"]
    by_id = {c["clause"]: c for c in result["clauses"]}
    assert by_id[dropped]["kind"] == "removed" and by_id["新增奖励"]["kind"] == "added"
    changed = by_id["创新药研发"]
    assert changed["kind"] == "changed" and "40%" in changed["before"] and "30%" in changed["after"]
    assert {
        "example": "一类新药 I 期，费用 400 万元，未触上限",
        "before": "应得 160万元",
        "after": "应得 120万元",
    } in changed["effects"]
    untouched = {c["clause"] for c in result["clauses"]}
    assert "研发型企业房租补贴" not in untouched  # clauses that did not change are not listed

    code, text_out = run(["diff", str(old), str(new)])
    assert "修改条款 创新药研发（二(一)1）" in text_out
    assert "算例“一类新药 I 期，费用 400 万元，未触上限”：应得 160万元 → 应得 120万元" in text_out


def test_two_identical_versions_say_so() -> None:
    code, out = run(["diff", str(POLICIES / "suzhou.pol"), str(POLICIES / "suzhou.pol")])
    assert code == 0 and "两个版本的规则相同" in out
