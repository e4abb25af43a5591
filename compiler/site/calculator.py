"""The site's calculators: the JavaScript files they run, a form on each clause page, and the self-check page."""

from __future__ import annotations

import datetime
import html
import json
from typing import Any

from pol.compiler.backends import js
from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.lower import lower
from pol.compiler.site.paths import clause_stem
from pol.dsl import ast

# The folder of the site's own scripts, relative to docs/; the calculators import the evaluators from it.
JS_DIR = "js"
CALCULATOR_FILES = ("calculator.mjs", "calculator.css", "search_paste.js")


def script_files(policies: list[tuple[str, CheckedPolicy, str]]) -> dict[str, bytes | str]:
    """docs/js/: the runtime, decimal.js with its licence, the calculators, and each policy's evaluator.

    `policies` are (slug, policy, source file name); the file name, not its folder, is written into the
    evaluator, so the site is the same whatever folder it is built from.
    """
    files: dict[str, bytes | str] = {f"docs/{JS_DIR}/{name}": content for name, content in js.runtime_files().items()}
    for name in CALCULATOR_FILES:
        files[f"docs/{JS_DIR}/{name}"] = (js.RUNTIME_DIR / name).read_bytes()
    for slug, policy, source in policies:
        files[f"docs/{JS_DIR}/policies/{slug}.mjs"] = js.generate(lower(policy, source), f"../{js.RUNTIME_FILE}")
    return files


# Browsers run no module script from a page opened as a file (file://), so the calculator would stay an empty box.
# This line says why and what to do; it shows only if the calculator has not replaced it within two seconds.
FROM_DISK = (
    '<p class="pol-from-disk">计算器要通过网址打开本站才能运行（直接打开文件时，浏览器不允许运行计算用的脚本）：'
    "在站点文件夹中运行 <code>python3 -m http.server</code>，再用浏览器访问 http://localhost:8000/。</p>"
)


def clause_form(slug: str, clause: ast.Clause, as_of: datetime.date, hint: dict[str, Any] | None = None) -> list[str]:
    """The place of a clause's calculator on its page: empty without JavaScript, a form with it.

    `hint` is what the calculator needs to say what would change the answer (compiler/evaluate/why_not.py)."""
    why = html.escape(json.dumps(hint or {}, ensure_ascii=False, sort_keys=True), quote=True)
    attrs = (
        f'class="pol-calculator" data-policy="{html.escape(slug)}" data-clause="{html.escape(clause.id)}" '
        f'data-as-of="{as_of.isoformat()}" data-why-not="{why}"'
    )
    return [
        f"<div {attrs}><noscript>启用浏览器的 JavaScript 后，可在此填写情况、即时计算本条金额。</noscript>{FROM_DISK}</div>",
        "",
    ]


def self_check_page(policies: list[tuple[str, CheckedPolicy]], as_of: datetime.date) -> str:
    """The 政策计算器 page: the enterprise's facts once, every clause in force it may qualify for."""
    # Every policy but a draft: which are in force is judged in the browser, on the day the visitor gives.
    offered = [
        {
            "slug": slug,
            "title": str(p.header.get("title", slug)),
            "region": p.header.get("region"),
            # Each clause's own page, so that a result opens at the clause (paths.clause_page).
            "pages": {c.id: clause_stem(c.id) for c in p.clauses},
            # What each clause is about, in the document's words: the need a visitor types puts its questions first.
            "about": {c.id: _about(c) for c in p.clauses},
        }
        for slug, p in policies
        if p.header.get("status") not in ("draft", "征求意见稿")
    ]
    config = html.escape(json.dumps(offered, ensure_ascii=False), quote=True)
    return "\n".join(
        [
            "# 政策计算器",
            "",
            "先选企业所在地区，写下想申请哪方面的支持；之后每次只问最关键的几个问题，不知道的可以跳过。"
            "每回答一个问题，下面就列出申请日期（默认为今天）现行有效的政策中，哪些条款可能适用、能得多少。"
            f"本站内容生成于 {as_of.isoformat()}。",
            "",
            "填写的内容只在您的浏览器中计算，不会发送到任何地方。“导出为 JSON”得到的企业档案可供 `pol match`、`pol eval-profile` 和 `pol eval` 使用。",
            "",
            f'<div id="pol-self-check" data-policies="{config}" data-as-of="{as_of.isoformat()}">'
            "<noscript>政策计算器需要浏览器启用 JavaScript。各条款的条件和金额也写在各政策页面上。</noscript>"
            f"{FROM_DISK}</div>",
            "",
        ]
    )


def _about(c: ast.Clause) -> list[str]:
    """A clause's title, and its title with subject and original: the words a visitor's need is matched against."""
    title = c.title.value if c.title else c.id
    parts = [title, c.subject.id if c.subject else "", c.original.value if c.original else ""]
    return [title, " ".join(p for p in parts if p)]
