"""`pol lsp`: an editor talking to the language server over stdio gets diagnostics, hover, definitions,
completion, symbols and formatting."""

from __future__ import annotations

import asyncio
import sys

import pytest
from conftest import POLICIES
from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient

TEXT = (POLICIES / "yantai.pol").read_text(encoding="utf-8")
URI = "file:///work/yantai.pol"


def _position(text: str, needle: str, offset: int = 1) -> lsp.Position:
    before = text[: text.index(needle) + offset]
    return lsp.Position(line=before.count("\n"), character=len(before) - before.rfind("\n") - 1)


async def _session() -> dict:
    client = BaseLanguageClient("pol-test", "1")
    published: list[lsp.PublishDiagnosticsParams] = []
    arrived = asyncio.Event()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        published.append(params)
        arrived.set()

    await client.start_io(sys.executable, "-m", "pol", "lsp")
    try:
        await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
        client.initialized(lsp.InitializedParams())
        doc = lsp.TextDocumentIdentifier(uri=URI)
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri=URI, language_id="pol", version=1, text=TEXT))
        )
        await asyncio.wait_for(arrived.wait(), 60)
        out: dict = {"clean": published[-1]}
        broken = TEXT.replace("grant 临床研发费用 × 40%", "grant 临床研发费角 × 40%", 1)
        arrived.clear()
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=2),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=broken)],
            )
        )
        await asyncio.wait_for(arrived.wait(), 60)
        out["broken"] = published[-1]
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=3),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=TEXT)],
            )
        )
        use = _position(TEXT, "grant 临床研发费用", 8)
        out["hover"] = await client.text_document_hover_async(lsp.HoverParams(text_document=doc, position=use))
        out["figure"] = await client.text_document_hover_async(
            lsp.HoverParams(text_document=doc, position=_position(TEXT, "一类新药: 3000万", 8))
        )
        out["definition"] = await client.text_document_definition_async(
            lsp.DefinitionParams(text_document=doc, position=use)
        )
        out["references"] = await client.text_document_references_async(
            lsp.ReferenceParams(text_document=doc, position=use, context=lsp.ReferenceContext(include_declaration=True))
        )
        out["completion"] = await client.text_document_completion_async(
            lsp.CompletionParams(text_document=doc, position=use)
        )
        out["symbols"] = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc))
        out["format"] = await client.text_document_formatting_async(
            lsp.DocumentFormattingParams(
                text_document=doc, options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)
            )
        )
        await client.shutdown_async(None)
        client.exit(None)
        return out
    finally:
        await client.stop()


@pytest.fixture(scope="module")
def session() -> dict:
    return asyncio.run(_session())


def test_diagnostics_come_as_you_type_with_pols_codes(session) -> None:
    assert list(session["clean"].diagnostics) == []
    [d] = session["broken"].diagnostics
    assert (d.code, d.source, d.severity) == ("POL101", "pol", lsp.DiagnosticSeverity.Error)
    assert "未知的名称“临床研发费角”" in d.message and "是不是“临床研发费用”？" in d.message
    line = TEXT.split("\n")[d.range.start.line]
    assert "grant 临床研发费用" in line and d.range.start.character == line.index("临床研发费用")


def test_hover_tells_an_inputs_type_label_and_uses_and_reads_a_figure(session) -> None:
    value = session["hover"].contents.value
    assert "输入 临床研发费用" in value and "本阶段单品种临床研发费用" in value and "创新药研发" in value
    assert "3000万" in session["figure"].contents.value and "30,000,000" in session["figure"].contents.value


def test_definition_completion_symbols_and_formatting(session) -> None:
    target = session["definition"]
    assert TEXT.split("\n")[target.range.start.line].startswith("input 临床研发费用")
    lines = sorted({r.range.start.line for r in session["references"]})
    texts = [TEXT.split("\n")[n] for n in lines]
    assert texts[0].startswith("input 临床研发费用")  # the declaration first
    assert any("grant 临床研发费用" in t for t in texts)  # the rule
    assert sum("临床研发费用 =" in t for t in texts) >= 3  # and the worked examples
    labels = {item.label for item in session["completion"].items}
    assert {"clause", "条款", "临床研发费用", "一类新药", "万元"} <= labels
    names = [s.name for s in session["symbols"]]
    assert "创新药研发" in names and "新药类别" in names
    assert not session["format"]  # the bundled policy is already laid out the one way: no edits


def test_hover_on_a_clause_reads_it_and_says_its_maximum() -> None:
    from pol.compiler.drafting.lsp import hover_text
    from pol.compiler.evaluate.pipeline import compile_file

    compiled = compile_file(POLICIES / "yantai.pol")
    text = hover_text(compiled.policy, "临床试验机构支持")
    assert text is not None
    assert "读法：符合以下条件的机构：本市已备案的药物临床试验机构" in text
    assert "按单产品临床试验费用的10%给予资金支持，最高不超过200万元" in text
    assert "单次最高：200万元" in text


GAP = """policy p { title: "分档缺口" }
input 销售收入: money "销售收入"
clause 奖励 "一" {
  original: \"\"\"销售收入1亿元以上不满5亿元的，奖励50万元；超过5亿元的，奖励100万元。\"\"\"
  grant tiers {
    销售收入 >= 1亿 and 销售收入 < 5亿: 50万
    销售收入 > 5亿: 100万
  }
}
"""


async def _saved_session() -> list[lsp.PublishDiagnosticsParams]:
    client = BaseLanguageClient("pol-test", "1")
    published: list[lsp.PublishDiagnosticsParams] = []
    arrived = asyncio.Event()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        published.append(params)
        arrived.set()

    await client.start_io(sys.executable, "-m", "pol", "lsp")
    try:
        # An editor set to English gets English messages (the other session's editor names no locale: Chinese).
        await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), locale="en-US"))
        client.initialized(lsp.InitializedParams())
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri=URI, language_id="pol", version=1, text=GAP))
        )
        await asyncio.wait_for(arrived.wait(), 60)
        arrived.clear()
        client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(uri=URI)))
        await asyncio.wait_for(arrived.wait(), 120)
        await client.shutdown_async(None)
        client.exit(None)
        return published
    finally:
        await client.stop()


def test_saving_shows_what_pol_prove_finds_and_typing_keeps_it_off_the_typing_path() -> None:
    opened, saved = asyncio.run(_saved_session())
    assert list(opened.diagnostics) == []  # typing: the checker only
    [d] = saved.diagnostics
    assert (d.code, d.severity) == ("POL703", lsp.DiagnosticSeverity.Error)
    assert "销售收入 = 5亿元 falls in no tier" in d.message and 'example "销售收入 5亿元 落在两档之间"' in d.message


def _yantai():
    from pol.compiler.evaluate.pipeline import compile_text

    policy = compile_text(TEXT, "yantai.pol").policy
    assert policy is not None
    return policy


def test_completion_is_ranked_by_what_may_follow() -> None:
    from pol.compiler.drafting.lsp import completions

    policy = _yantai()
    top = lambda before, n=3: [i.label for i in completions(policy, before)[:n]]  # noqa: E731
    facts = set(policy.inputs)
    # After `when `: the facts first, not the keywords.
    assert set(top("  when ", 10)) <= facts | set(policy.lets)
    # After a fact in a condition: the comparison words; after a figure: 以上/以下/以内.
    assert top("  when 临床研发费用 ") == ["超过", "达到", "不满"]
    assert top("  when 临床研发费用 超过 1亿 ") == ["以上", "以下", "以内"]
    # After `grant `: the grant forms, then the facts.
    assert top("  grant ", 1) == ["up to"] and set(top("  grant ", 12)) & facts
    # Anywhere else the keywords come first, as before.
    assert completions(policy, "")[0].kind == lsp.CompletionItemKind.Keyword


def test_hover_on_an_enum_member_says_its_enumeration_and_uses() -> None:
    from pol.compiler.drafting.lsp import hover_text

    text = hover_text(_yantai(), "一类新药")
    assert text is not None and "枚举" in text and "二类新药" in text and "创新药研发" in text


def test_a_measure_whose_original_gives_money_is_drafted_as_a_clause_by_a_code_action() -> None:
    from lsprotocol import types as lsp

    from pol.compiler.drafting.lsp import draft_actions
    from pol.compiler.evaluate.pipeline import compile_text

    text = (
        'policy p { title: "t" status: in_force }\n'
        "input 其他: money\n\n"
        'measure 设备补助 "一" {\n'
        '  original: """对生产设备投资额1000万元以上的项目，按照设备投资额的8%给予补助，单个项目最高不超过500万元。"""\n'
        "}\n"
    )

    def at(line: int) -> lsp.CodeActionParams:
        where = lsp.Range(start=lsp.Position(line=line, character=2), end=lsp.Position(line=line, character=2))
        return lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri="file:///p.pol"),
            range=where,
            context=lsp.CodeActionContext(diagnostics=[]),
        )

    assert draft_actions(text, at(1)) == []  # not on a provision
    (action,) = draft_actions(text, at(4))
    (edit,) = action.edit.changes["file:///p.pol"]
    lines = text.split("\n")
    lines[edit.range.start.line : edit.range.end.line + 1] = edit.new_text.split("\n")
    compiled = compile_text("\n".join(lines), "p.pol")
    assert compiled.ok, compiled.diagnostics
    (clause,) = compiled.policy.clauses
    caps = [c for c in clause.caps if not c.derived]  # (the ledger adds the remainder of a scoped cap)
    assert (clause.id, len(clause.conditions), len(caps)) == ("设备补助", 1, 1)
    assert draft_actions("\n".join(lines), at(6)) == []  # a clause with a rule is left alone
