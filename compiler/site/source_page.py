"""The drafters' view of a policy: its `.pol` source, a section per provision, each linked to the page it makes."""

from __future__ import annotations

from pathlib import PurePath

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.reading.markdown import fence, inline
from pol.compiler.reading.provision import heading
from pol.compiler.site import paths
from pol.dsl import ast
from pol.dsl.source import SourceFile


def source_page(policy: CheckedPolicy, source: SourceFile, slug: str) -> str:
    """The whole source, in file order: provisions under their headings, the declarations between them apart."""
    here = paths.source_page(slug)
    title = inline(str(policy.header.get("title", slug)))
    name = inline(PurePath(source.path).name)
    overview = paths.relative(paths.policy_page(slug), here)
    lines = [
        f"# {title}：政策代码",
        "",
        f"供起草人员和开发人员查阅：`{name}` 的全部代码，按条款分节，行号与文件一致。市民请看[政策页面]({overview})。",
        "",
    ]
    text = source.text.split("\n")
    shown = 0  # lines of the file already shown
    for p in policy.provisions:
        lines += _declarations(text, shown, p.span.line - 1, "政策头与声明" if shown == 0 else "声明")
        if isinstance(p, ast.Clause):
            page = paths.relative(paths.clause_page(slug, p.id), here)
        else:
            page = f"{overview}#{p.id}"
        lines += [f"## {heading(p)} {{#{p.id}}}", "", f"[本条页面]({page})", ""]
        lines += [*fence("\n".join(text[p.span.line - 1 : p.span.end_line]), f'pol linenums="{p.span.line}"'), ""]
        shown = p.span.end_line
    lines += _declarations(text, shown, len(text), "声明")
    return "\n".join(lines).rstrip("\n") + "\n"


def _declarations(text: list[str], start: int, end: int, title: str) -> list[str]:
    """Lines `start` to `end` (0-based, end excluded) between provisions: the header, inputs, definitions, limits."""
    while start < end and not text[start].strip():
        start += 1
    while end > start and not text[end - 1].strip():
        end -= 1
    if start >= end:
        return []
    body = "\n".join(text[start:end])
    return [
        f"## {title}（第 {start + 1}–{end} 行） {{#L{start + 1}}}",
        "",
        *fence(body, f'pol linenums="{start + 1}"'),
        "",
    ]
