"""The 修订对照 page: what a policy changed from the version it supersedes, for citizens and drafters."""

from __future__ import annotations

from pol.compiler.drafting.diff import PolicyDiff
from pol.compiler.reading.markdown import inline, table
from pol.compiler.site import paths

_KINDS = {"added": "新增", "removed": "删除", "changed": "修改"}


def _policy(slug: str) -> str:
    return paths.relative(paths.policy_page(slug), "revisions/page.md")


def revision_page(old: tuple[str, str], new: tuple[str, str], change: PolicyDiff) -> str:
    """The Markdown page comparing two versions; `old` and `new` are each (page slug, title)."""
    (old_slug, old_title), (new_slug, new_title) = old, new
    lines = [
        f"# 修订对照：{inline(new_title)}",
        "",
        f"[{inline(new_title)}]({_policy(new_slug)}) 取代 [{inline(old_title)}]({_policy(old_slug)})。"
        "下面按条款列出两个版本的不同：新增、删除和修改的条款，修改前后的读法，以及原版本的算例在新版本下结果的变化。",
    ]
    if change.header:
        lines += [
            "",
            "## 文件信息",
            "",
            *table(["项目", "原版本", "新版本"], [[f, inline(b), inline(a)] for f, b, a in change.header]),
        ]
    if change.rules:
        lines += [
            "",
            "## 计算规则",
            "",
            *table(["项目", "原版本", "新版本"], [[inline(w), inline(b), inline(a)] for w, b, a in change.rules]),
        ]
    if not change.clauses and not change.rules:
        lines += ["", "两个版本的条款规则相同。"]
    for c in change.clauses:
        where = f"（{inline(c.article)}）" if c.article else ""
        lines += ["", f"## {_KINDS[c.kind]}：{inline(c.clause)}{where}", ""]
        if c.kind == "changed" and c.before != c.after:
            lines += table(["", "读法"], [["原版本", inline(c.before or "")], ["新版本", inline(c.after or "")]])
        elif c.kind == "changed":
            lines.append("读法未变，计算规则已改变（见上文“计算规则”或下列算例）。")
        else:
            lines.append(inline((c.after if c.kind == "added" else c.before) or ""))
        if c.effects:
            lines += ["", "原版本算例在新版本下的结果：", ""]
            lines += table(
                ["算例", "原版本", "新版本"],
                [[inline(e.example), inline(e.before), inline(e.after)] for e in c.effects],
            )
    return "\n".join(lines) + "\n"
