"""Declarations kept from earlier parses (dsl/parse_cache.py): the same tree as a fresh parse, only changed
declarations parsed again, and a cache that is stale, broken or unwritable never changes what is parsed."""

from __future__ import annotations

import pickle

import pytest
from conftest import POLICIES

from pol.dsl import parse_cache
from pol.dsl.parser import parse


@pytest.fixture(autouse=True)
def _on_disk(monkeypatch) -> None:
    """As the command line runs: the disk level on."""
    monkeypatch.setattr(parse_cache, "DISK", True)


def _fresh(text: str, path: str, monkeypatch) -> object:
    with monkeypatch.context() as m:
        m.setenv("POL_CACHE_DIR", "")
        parse_cache._MEMORY.clear()
        module = parse(text, path).module
        parse_cache._MEMORY.clear()
        return module


def _parsed_once(tmp_path, monkeypatch) -> tuple[str, str]:
    """Yantai's text and a path for it, parsed once with the cache on disk in `tmp_path`."""
    monkeypatch.setenv("POL_CACHE_DIR", str(tmp_path / "cache"))
    text = (POLICIES / "yantai.pol").read_text(encoding="utf-8")
    path = str(tmp_path / "yantai.pol")
    parse(text, path)
    return text, path


def _count_parses(monkeypatch) -> list[str]:
    """From now on, the declarations Lark is asked to parse, in order."""
    import pol.dsl.parser as parser

    real, calls = parser._lark(), []

    class Counting:
        def parse(self, chunk: str) -> object:
            calls.append(chunk)
            return real.parse(chunk)

    monkeypatch.setattr(parser, "_lark", lambda: Counting())
    return calls


def test_a_file_parsed_again_comes_from_the_cache_and_equals_a_fresh_parse(tmp_path, monkeypatch) -> None:
    text = (POLICIES / "yantai.pol").read_text(encoding="utf-8")
    path = str(tmp_path / "yantai.pol")
    fresh = _fresh(text, path, monkeypatch)
    monkeypatch.setenv("POL_CACHE_DIR", str(tmp_path / "cache"))
    first = parse(text, path).module
    [stored] = (tmp_path / "cache" / "parse").glob("*.pickle")
    parse_cache._MEMORY.clear()  # a fresh process: only the disk has it
    parsed = []
    monkeypatch.setattr("pol.dsl.parser._lark", lambda: parsed.append(1) or (_ for _ in ()).throw(AssertionError))
    again = parse(text, path).module
    assert parsed == [] and again == first == fresh
    assert stored.exists()


def test_only_a_changed_declaration_is_parsed_again_and_keeps_its_error(tmp_path, monkeypatch) -> None:
    text, path = _parsed_once(tmp_path, monkeypatch)
    changed = text.replace('title: "研发型企业房租补贴"', 'title: "研发型企业房租补贴（改）"', 1)
    fresh = _fresh(changed, path, monkeypatch)
    parse(text, path)
    calls = _count_parses(monkeypatch)
    result = parse(changed, path)
    assert len(calls) == 1 and "研发型企业房租补贴（改）" in calls[0]
    assert result.module == fresh
    broken = changed.replace("cap 50万 per year", "cap 50万 per", 1)
    assert parse(broken, path).diagnostics  # an error is found, never hidden by what was kept
    assert parse(broken, path).diagnostics  # and found again: a declaration with errors is not kept


def test_lines_added_above_declarations_move_their_kept_spans_without_a_parse(tmp_path, monkeypatch) -> None:
    text, path = _parsed_once(tmp_path, monkeypatch)
    # Two lines more in the header's declaration: every declaration after it starts two lines lower.
    moved = text.replace("\nenum ", "\n# 注释\n\nenum ", 1)
    fresh = _fresh(moved, path, monkeypatch)
    calls = _count_parses(monkeypatch)
    result = parse(moved, path)
    assert len(calls) == 1 and "# 注释" in calls[0]
    assert result.module == fresh  # every span where a fresh parse puts it
    clause = next(d for d in result.module.decls if getattr(d, "id", None) == "研发型企业房租补贴")
    assert moved.splitlines()[clause.span.line - 1].startswith("clause 研发型企业房租补贴")
    parse_cache._MEMORY.clear()  # a fresh process: the disk kept the moved spans
    assert parse(moved, path).module == fresh and len(calls) == 1


def test_a_stale_or_broken_cache_file_is_no_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("POL_CACHE_DIR", str(tmp_path / "cache"))
    text = (POLICIES / "yantai.pol").read_text(encoding="utf-8")
    path = str(tmp_path / "yantai.pol")
    fresh = parse(text, path).module
    [stored] = (tmp_path / "cache" / "parse").glob("*.pickle")
    data = pickle.loads(stored.read_bytes())
    stored.write_bytes(pickle.dumps({"salt": "an older parser", "entries": data["entries"]}))
    parse_cache._MEMORY.clear()
    assert parse(text, path).module == fresh
    stored.write_bytes(b"not a pickle")
    parse_cache._MEMORY.clear()
    assert parse(text, path).module == fresh
    (tmp_path / "cache").chmod(0o500)  # unwritable: parsed all the same
    try:
        parse_cache._MEMORY.clear()
        assert parse(text.replace("研发型企业房租补贴", "研发型企业房租补贴", 1), path).module == fresh
    finally:
        (tmp_path / "cache").chmod(0o700)
