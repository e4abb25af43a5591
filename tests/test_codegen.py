"""Generated evaluators: deterministic, pinned by a golden file, importable without lark, agreeing with in-process runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from conftest import POLICIES

from pol.compiler.cli import main
from pol.compiler.evaluate.pipeline import compile_file, python_source

GOLDEN = Path(__file__).parent / "golden" / "yantai.py"


def test_generation_is_deterministic() -> None:
    first = python_source(compile_file(POLICIES / "yantai.pol"))
    second = python_source(compile_file(POLICIES / "yantai.pol"))
    assert first == second


def test_generated_module_matches_golden_file(yantai) -> None:
    # Regenerate with: POL_UPDATE_GOLDEN=1 python -m pytest tests/test_codegen.py
    source = python_source(yantai).replace(str(POLICIES.parent) + os.sep, "")
    if os.environ.get("POL_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(source, encoding="utf-8")
    assert source == GOLDEN.read_text(encoding="utf-8")


def test_build_twice_gives_identical_bytes(tmp_path: Path) -> None:
    for out in ("a", "b"):
        assert main(["build", str(POLICIES), "--out", str(tmp_path / out)]) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted([".pol-output", "pol_runtime.py", *(p.stem + ".py" for p in POLICIES.glob("*.pol"))])
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


BLOCK_LARK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('lark', 'dsl', 'compiler', 'attrs', 'rich'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
"""


def test_built_module_runs_standalone_without_lark_or_pol(tmp_path: Path, yantai_module) -> None:
    assert main(["build", str(POLICIES), "--out", str(tmp_path)]) == 0
    facts = {
        "新药类别": "一类新药",
        "临床阶段": "III期",
        "临床研发费用": "1亿",
        "企业类型": "研发型企业",
        "实缴注册资本": "2000万",
        "固定资产投资": "1000万",
        "租金单价": "600元/平方米",
        "租赁面积": 800,
    }
    script = (
        BLOCK_LARK
        + f"""
import datetime, json, sys
sys.path.insert(0, {str(tmp_path)!r})
import yantai
ev = yantai.evaluate(json.loads({json.dumps(facts, ensure_ascii=False)!r}), as_of=datetime.date(2022, 1, 1))
print(json.dumps(ev.to_json(), ensure_ascii=False))
"""
    )
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    standalone = json.loads(done.stdout)
    import datetime

    in_process = yantai_module.evaluate(facts, as_of=datetime.date(2022, 1, 1)).to_json()
    assert standalone == in_process
    assert standalone["clauses"][0]["amount"] == "20000000.00"


def test_generated_code_never_uses_eval_or_exec(yantai) -> None:
    source = python_source(yantai)
    assert "eval(" not in source.replace("evaluate(", "") and "exec(" not in source


def test_explanation_agrees_with_amount(yantai_module) -> None:
    import datetime

    r = yantai_module.evaluate(
        {
            "企业类型": "工业企业",
            "实缴注册资本": "5000万",
            "固定资产投资": "2000万",
            "租金单价": "500元/平方米",
            "租赁面积": 900,
        },
        as_of=datetime.date(2022, 1, 1),
        clauses={"工业企业房租补贴"},
    ).results[0]
    assert r.explanation == [
        "企业类型为工业企业：符合“企业类型为工业企业”",
        "实缴注册资本为5000万元：符合“实缴注册资本5000万元以上”",
        "固定资产投资为2000万元：符合“固定资产投资2000万元以上”",
        "租金单价 500元/平方米 × 900平方米 = 45万元",
        "45万元 × 50% = 22.5万元",
        "应得 22.5万元",
    ]
    assert r.amount == Decimal("225000.00")


TERM_POLICY = """
policy 期限 {
  title: "有效期三年的政策"
  effective: 2021-07-28
  term: 3年
}
clause 奖励 "一" {
  beneficiary: enterprise
  grant 10万
}
"""


def test_evaluator_is_in_force_for_the_term_and_not_a_day_longer() -> None:
    # 有效期3年 from 2021-07-28: the last day in force is 2024-07-27, as the site and the ledger read it.
    import datetime

    from pol.compiler.evaluate.pipeline import compile_text, load_evaluator

    compiled = compile_text(TERM_POLICY, "term.pol")
    assert compiled.ok, compiled.diagnostics
    module = load_evaluator(python_source(compiled), "term_policy")
    assert module.EXPIRES == datetime.date(2024, 7, 27)
    last = module.evaluate({}, as_of=datetime.date(2024, 7, 27)).results[0]
    after = module.evaluate({}, as_of=datetime.date(2024, 7, 28)).results[0]
    before = module.evaluate({}, as_of=datetime.date(2021, 7, 27)).results[0]
    assert (last.status, last.amount) == ("granted", Decimal("100000.00"))
    assert (after.status, before.status) == ("expired", "not_yet_effective")
    assert "2024-07-27" in after.explanation[0] and "2021-07-28" in before.explanation[0]
