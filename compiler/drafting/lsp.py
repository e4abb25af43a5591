"""`pol lsp`: a language server (pygls) — diagnostics as you type, hover, definitions, completion, symbols, format.

It checks the open text with the same checker as `pol check`, so an editor shows the same codes and spans.
Columns are counted in characters, as LSP's UTF-16 units are for every character of the Basic
Multilingual Plane (all of Chinese in policy texts).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from pol import __version__
from pol.compiler.check.checker import CheckedPolicy, names_in
from pol.compiler.drafting.fmt import format_text, unparsed
from pol.compiler.evaluate.pipeline import compile_text
from pol.compiler.runtime import format_quantity
from pol.dsl import ast
from pol.dsl.diagnostics import Diagnostic, Lang
from pol.dsl.grammar import keyword_spellings
from pol.dsl.source import Span
from pol.dsl.units import UnitError, parse_quantity

_WORD = re.compile(r"[^\W\d][\w]*|[0-9][0-9.]*(?:[万亿]|千万|百万)?(?:美元|元)?(?:/(?:平方米|亩))?(?:%|平方米|亩|年)?")
UNITS = ["元", "万元", "亿元", "美元", "万美元", "%", "平方米", "亩", "年", "万元/亩", "元/平方米"]


def _range(span: Span) -> lsp.Range:
    return lsp.Range(
        start=lsp.Position(line=span.line - 1, character=span.column - 1),
        end=lsp.Position(line=span.end_line - 1, character=max(span.end_column - 1, span.column)),
    )


def to_lsp(d: Diagnostic, lang: Lang = "zh") -> lsp.Diagnostic:
    """A pol diagnostic as the editor shows it: the same code, message and span, in the editor's language."""
    severity = lsp.DiagnosticSeverity.Error if d.severity == "error" else lsp.DiagnosticSeverity.Warning
    message = d.message_in(lang) + "".join(f"\n{note}" for note in d.notes_in(lang))
    return lsp.Diagnostic(range=_range(d.span), message=message, severity=severity, code=d.code, source="pol")


def word_at(text: str, line: int, character: int) -> str | None:
    """The name or figure under the cursor."""
    lines = text.split("\n")
    if line >= len(lines):
        return None
    for m in _WORD.finditer(lines[line]):
        if m.start() <= character <= m.end():
            return m.group()
    return None


def hover_text(policy: CheckedPolicy, word: str) -> str | None:
    """What the editor shows over a word: an input's type, label and uses; a clause's reading and maximum; a
    figure's value."""
    if word in policy.inputs:
        ty, decl = policy.inputs[word]
        uses = [c.id for c in policy.clauses if word in names_in((c.conditions, c.grant, c.caps, c.offsets))]
        lines = [f"**输入 {word}**：{ty.describe()}"]
        if decl.label:
            lines.append(f"说明：{decl.label}")
        if decl.default is not None:
            lines.append("有默认值（申请人不填时使用）")
        if uses:
            lines.append("用于：" + "、".join(uses))
        return "\n\n".join(lines)
    for c in policy.clauses:
        if c.id == word:
            from pol.compiler.reading.inventory import inventory
            from pol.compiler.reading.prose import clause_reading
            from pol.compiler.reading.provision import maximum

            parts = [f"**条款 {c.id}**" + (f"（{c.article}）" if c.article else "")]
            if c.title:
                parts.append(c.title.value)
            # What the site says of it: the plain reading, and the most one application can get.
            parts.append(f"读法：{clause_reading(policy, c, inline_tables=True).sentence}")
            entry = next((e for e in inventory(policy).entries if e.id == c.id), None)
            if entry is not None:
                parts.append(f"单次最高：{maximum(entry)}")
            if c.original:
                parts.append(f"原文：{c.original.value[:200]}")
            return "\n\n".join(parts)
    if word in policy.enums:
        members = "、".join(m.name for m in policy.enums[word].members)
        return f"**枚举 {word}**：{members}"
    owners = [e for e in policy.enums.values() if any(m.name == word for m in e.members)]
    if owners:
        uses = [c.id for c in policy.clauses if word in names_in((c.conditions, c.grant, c.caps, c.offsets))]
        lines = [f"**{word}**：枚举 {'、'.join(e.name for e in owners)} 的取值"]
        lines.append("同类取值：" + "、".join(m.name for e in owners for m in e.members))
        if uses:
            lines.append("用于：" + "、".join(uses))
        return "\n\n".join(lines)
    if word[:1].isdigit():
        try:
            value, unit = parse_quantity(word)
        except UnitError:
            return None
        shown = format_quantity(value, unit.kind, unit.currency, unit.area)
        exact = f"{value:,f}" if isinstance(value, Decimal) else str(value)
        return f"{word} 即 {shown}（{exact} {unit.describe()}）"
    return None


def definition_span(policy: CheckedPolicy, word: str) -> Span | None:
    """Where a name is declared: an input, an enumeration, a definition (let) or a clause."""
    if word in policy.inputs:
        return policy.inputs[word][1].span
    if word in policy.enums:
        return policy.enums[word].span
    if word in policy.lets:
        return policy.lets[word][1].span
    provisions: list[ast.Clause | ast.Measure] = [*policy.clauses, *policy.measures]
    for c in provisions:
        if c.id == word:
            return c.id_span
    return None


def references(policy: CheckedPolicy, word: str, include_declaration: bool) -> list[Span]:
    """Every place a name is used (a fact in a rule or an example, a clause in `received` or a limit)."""
    spans = []
    stack: list[Any] = [policy.module]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name):
            if n.id == word:
                spans.append(n.span)
        elif isinstance(n, tuple):
            stack.extend(n)
        elif (names := ast.field_names(type(n))) is not None:
            stack.extend(getattr(n, name) for name in names if name != "span")
    declared = definition_span(policy, word)
    if include_declaration and declared is not None:
        spans.append(declared)
    return sorted(set(spans), key=lambda s: (s.line, s.column))


# Words that open a condition, after which a fact is what comes next; and what may follow a fact or a figure there.
_CONDITION_OPENERS = {"when", "当", "且", "或", "and", "or", "not", "不", "tiers", "分档", "{"}
_AFTER_FACT = ["超过", "达到", "不满", "低于", "不少于", "不低于", "不超过", "突破", "in", "="]
_AFTER_FIGURE = ["以上", "以下", "以内", "(含)以上", "(含)以下", "且", "或", ":"]
_AFTER_GRANT = ["up to", "最高", "by", "tiers", "一事一议"]


def _context(policy: CheckedPolicy | None, before: str) -> str:
    """What may come at the cursor, from the line before it: a fact, a word after a fact or figure, or anything."""
    words = before.split()
    if before and not before[-1].isspace():
        words = words[:-1]  # the word being typed
    if not words:
        return "any"
    last = words[-1]
    in_condition = any(w in ("when", "当") for w in words) or before.startswith((" " * 4, "\t\t"))
    if last in _CONDITION_OPENERS:
        return "fact"
    if last in ("grant", "给予"):
        return "grant"
    if in_condition and last[:1].isdigit():
        return "figure"
    if in_condition and policy is not None and last in policy.inputs:
        return "compare"
    return "any"


def completions(policy: CheckedPolicy | None, before: str = "") -> list[lsp.CompletionItem]:
    """Keywords in English and Chinese, units, and the policy's inputs, enumeration members and clauses, ranked by
    what may follow the text before the cursor: after `when ` the facts, after a fact 超过/达到…, after a figure
    以上/以下…, after `grant ` the facts and the grant forms."""
    context = _context(policy, before)
    spellings = {w for ws in keyword_spellings().values() for w in ws if w.strip()}
    first = {"figure": _AFTER_FIGURE, "compare": _AFTER_FACT, "grant": _AFTER_GRANT}.get(context, [])

    def rank(label: str, kind: str) -> str:
        if label in first:
            return f"0{first.index(label):02d}"
        order = {
            "fact": {"input": "1", "let": "2", "member": "3"},
            "grant": {"input": "1", "let": "2", "unit": "3"},
            "compare": {"member": "1", "unit": "2"},
            "figure": {"unit": "1"},
        }.get(context, {"keyword": "1", "unit": "2", "input": "3", "let": "4", "member": "5", "clause": "6"})
        return order.get(kind, "8") + label

    items = [
        lsp.CompletionItem(label=k, kind=lsp.CompletionItemKind.Keyword, sort_text=rank(k, "keyword"))
        for k in sorted(spellings | set(first))
    ]
    items += [lsp.CompletionItem(label=u, kind=lsp.CompletionItemKind.Unit, sort_text=rank(u, "unit")) for u in UNITS]
    if policy is not None:
        for name, (ty, decl) in policy.inputs.items():
            items.append(
                lsp.CompletionItem(
                    label=name,
                    kind=lsp.CompletionItemKind.Variable,
                    detail=f"{ty.describe()}{'：' + decl.label if decl.label else ''}",
                    sort_text=rank(name, "input"),
                )
            )
        items += [
            lsp.CompletionItem(
                label=name, kind=lsp.CompletionItemKind.Variable, detail="定义", sort_text=rank(name, "let")
            )
            for name in policy.lets
        ]
        for enum in policy.enums.values():
            items += [
                lsp.CompletionItem(
                    label=m.name,
                    kind=lsp.CompletionItemKind.EnumMember,
                    detail=enum.name,
                    sort_text=rank(m.name, "member"),
                )
                for m in enum.members
            ]
        items += [
            lsp.CompletionItem(
                label=c.id, kind=lsp.CompletionItemKind.Function, detail=c.article or "", sort_text=rank(c.id, "clause")
            )
            for c in policy.clauses
        ]
    return sorted(items, key=lambda item: item.sort_text or item.label)


def symbols(policy: CheckedPolicy) -> list[lsp.DocumentSymbol]:
    """The outline: inputs and enumerations, then each article's clauses and measures."""
    out = []
    for enum in policy.enums.values():
        out.append(
            lsp.DocumentSymbol(
                name=enum.name, kind=lsp.SymbolKind.Enum, range=_range(enum.span), selection_range=_range(enum.span)
            )
        )
    for _, decl in policy.inputs.values():
        out.append(
            lsp.DocumentSymbol(
                name=decl.name,
                kind=lsp.SymbolKind.Variable,
                range=_range(decl.span),
                selection_range=_range(decl.span),
                detail=decl.label or "",
            )
        )
    provisions: list[ast.Clause | ast.Measure] = [*policy.clauses, *policy.measures]
    for p in provisions:
        kind = lsp.SymbolKind.Function if isinstance(p, ast.Clause) else lsp.SymbolKind.Namespace
        out.append(
            lsp.DocumentSymbol(
                name=p.id, kind=kind, range=_range(p.span), selection_range=_range(p.id_span), detail=p.article or ""
            )
        )
    return out


class PolServer(LanguageServer):
    """Keeps the last checked policy of each open document, for hover, definitions and completion."""

    def __init__(self) -> None:
        super().__init__("pol", __version__)
        self.checked: dict[str, CheckedPolicy | None] = {}
        # `pol prove`'s findings for a document, by the text they are about: shown while that text is unchanged.
        self.proved: dict[str, tuple[str, list[Diagnostic]]] = {}
        self.lang: Lang = "zh"  # the editor's locale, when it says one (English for en-*, Chinese otherwise)

    def check(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        compiled = compile_text(document.source, document.path or uri)
        self.checked[uri] = compiled.policy
        text, proved = self.proved.get(uri, ("", []))
        shown = [*compiled.diagnostics, *(proved if text == document.source else ())]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[to_lsp(d, self.lang) for d in shown])
        )

    def prove(self, uri: str) -> None:
        """Prove the saved document's clauses (seconds, so on save and in a thread), then show the findings."""
        try:
            from pol.compiler.drafting import prove
        except ImportError:  # the prove extra is not installed: saving shows what typing shows
            return
        from pol.compiler.evaluate.pipeline import load_evaluator, python_source
        from pol.compiler.lower import lower

        document = self.workspace.get_text_document(uri)
        text = document.source
        if self.proved.get(uri, ("",))[0] != text:
            compiled = compile_text(text, document.path or uri)
            if not compiled.ok or compiled.policy is None:
                return
            module = load_evaluator(python_source(compiled))
            findings = list(
                prove.Prover(compiled.policy, lower(compiled.policy, compiled.source.path), module).findings()
            )
            self.proved[uri] = (text, prove.diagnostics(compiled.policy, findings, compiled.source))
        self.check(uri)


server = PolServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: PolServer, params: lsp.InitializeParams) -> None:
    # Drafters work in Chinese: only an editor that says it speaks English gets English messages.
    ls.lang = "en" if (params.locale or "").lower().startswith("en") else "zh"


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def _opened(ls: PolServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.check(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def _changed(ls: PolServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.check(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
@server.thread()
def _saved(ls: PolServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.prove(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def _hover(ls: PolServer, params: lsp.HoverParams) -> lsp.Hover | None:
    policy = ls.checked.get(params.text_document.uri)
    text = ls.workspace.get_text_document(params.text_document.uri).source
    word = word_at(text, params.position.line, params.position.character)
    if policy is None or word is None:
        return None
    shown = hover_text(policy, word)
    if shown is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=shown))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def _definition(ls: PolServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    policy = ls.checked.get(params.text_document.uri)
    text = ls.workspace.get_text_document(params.text_document.uri).source
    word = word_at(text, params.position.line, params.position.character)
    if policy is None or word is None or (span := definition_span(policy, word)) is None:
        return None
    return lsp.Location(uri=params.text_document.uri, range=_range(span))


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def _references(ls: PolServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    policy = ls.checked.get(params.text_document.uri)
    text = ls.workspace.get_text_document(params.text_document.uri).source
    word = word_at(text, params.position.line, params.position.character)
    if policy is None or word is None:
        return []
    spans = references(policy, word, params.context.include_declaration)
    return [lsp.Location(uri=params.text_document.uri, range=_range(s)) for s in spans]


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION)
def _complete(ls: PolServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    document = ls.workspace.get_text_document(params.text_document.uri)
    lines = document.source.split("\n")
    line = lines[params.position.line] if params.position.line < len(lines) else ""
    before = line[: params.position.character]
    return lsp.CompletionList(is_incomplete=False, items=completions(ls.checked.get(params.text_document.uri), before))


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def _symbols(ls: PolServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    policy = ls.checked.get(params.text_document.uri)
    return symbols(policy) if policy is not None else []


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def _format(ls: PolServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
    text = ls.workspace.get_text_document(params.text_document.uri).source
    if unparsed(text) is not None:  # the diagnostics already say where it does not parse
        return []
    formatted = format_text(text)
    if formatted == text:
        return []
    end = lsp.Position(line=len(text.split("\n")), character=0)
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION)
def _actions(ls: PolServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    """起草规则: on a clause or measure whose original has no rule yet, its original drafted as one."""
    return draft_actions(ls.workspace.get_text_document(params.text_document.uri).source, params)


def draft_actions(text: str, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    from pol.compiler.drafting.draft.writer import rule_edit

    found = rule_edit(text, params.range.start.line + 1)
    if found is None:
        return []
    first, last, new = found
    lines = text.split("\n")
    end = lsp.Position(line=last - 1, character=len(lines[last - 1]))
    edit = lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=first - 1, character=0), end=end), new_text=new)
    return [
        lsp.CodeAction(
            title="按原文起草规则（pol draft）",
            kind=lsp.CodeActionKind.RefactorRewrite,
            edit=lsp.WorkspaceEdit(changes={params.text_document.uri: [edit]}),
        )
    ]


def main() -> None:
    from pol.compiler.drafting.lsp_wire import start_io

    start_io(server)
