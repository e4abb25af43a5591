"""Every string a drafter writes reaches the citizens' pages as text only: the bundled policies, with a script payload
planted in every string of every kind the grammar has (header, clause, labels, examples …), built into the site
and opened page by page in Chromium, run no payload; the calculators, filled in, run none either. Marked long:
the site is built and every page of it opened."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest
from conftest import POLICIES
from lark import Token, Tree
from test_site_build import _QuietHandler, browser, mkdocs_build, write_project  # noqa: F401  (browser: a fixture)

from pol.dsl.parser import _lark

pytestmark = pytest.mark.long

# A web address the checker accepts (compiler/check/vocabulary.py SAFE_URL) that tries to break out of a Markdown link.
HOSTILE_URL = "https://zwgk.example.gov.cn/p?a=1&b=%3Cscript%3Ealert(1)%3C/script%3E#)](javascript:alert(2))"

# Reports anything a payload makes run: a dialog, or the payload's own call, from the first script on a page.
WATCH = """
window.__ran = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__ran.push(name + "(" + args.join(",") + ")"); };
}
"""

# What in the live page could run a script later: an on* attribute, a javascript:/data: address, an inline script
# that is not the site's own.
LIVE_MARKUP = """
() => {
  const found = [];
  for (const node of document.querySelectorAll("*")) {
    for (const attr of node.attributes) {
      const value = attr.value.trim().toLowerCase();
      if (attr.name.startsWith("on")) found.push(node.tagName + " " + attr.name);
      if (["href", "src", "action", "formaction", "xlink:href"].includes(attr.name)
          && (value.startsWith("javascript:") || value.startsWith("data:text/html") || value.startsWith("vbscript:")))
        found.push(node.tagName + " " + attr.name + "=" + value);
    }
    if (node.tagName === "SCRIPT" && node.textContent.includes("alert(")) found.push("inline script: " + node.textContent.slice(0, 80));
  }
  return found;
}
"""


def _string_slots(tree: Tree, out: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(offset, grammar rule) of every string token, the rule being the node that holds it."""
    for child in tree.children:
        if isinstance(child, Tree):
            _string_slots(child, out)
        elif isinstance(child, Token) and child.type == "STRING":
            out.append((child.start_pos or 0, str(tree.data)))
    return out


def _planted(text: str) -> tuple[str, set[str]]:
    """The policy with a payload at the start of every string, and the rules whose strings got one."""
    spots = _string_slots(_lark().parse(text), [])
    for pos, _ in sorted(spots, reverse=True):
        quotes = 3 if text.startswith('"""', pos) else 1
        payload = f"<img src=x onerror=alert({pos})><script>alert({pos})</script>[x](javascript:alert({pos}))"
        text = text[: pos + quotes] + payload + text[pos + quotes :]
    return text, {rule for _, rule in spots}


def _rules_with_strings() -> set[str]:
    """Every node of the tree a string can sit in, from the grammar itself (an inlined `__` helper belongs to its rule)."""
    names = set()
    for rule in _lark().rules:
        if any(getattr(s, "name", None) == "STRING" for s in rule.expansion) and not rule.origin.name.startswith("__"):
            names.add(str(rule.alias or rule.origin.name))
    return names


def _settled(page, script: str) -> list[str]:
    """The script's answer once the page has stopped moving (an old address redirects to the new one)."""
    from playwright.sync_api import Error

    for _ in range(5):
        try:
            return page.evaluate(script)
        except Error as exc:
            if "context was destroyed" not in str(exc):
                raise
            page.wait_for_load_state("load")
    raise AssertionError(f"{page.url} kept navigating")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("planted")
    project = tmp_path_factory.mktemp("planted-site")
    covered: set[str] = set()
    for path in sorted(POLICIES.glob("*.pol")):
        text, rules = _planted(path.read_text(encoding="utf-8"))
        if path.stem == "yantai":  # the header's web address, as hostile as the checker lets it be
            text = text.replace("  level: city\n", f'  url: "{HOSTILE_URL}"\n  level: city\n', 1)
            # A todo (待定) is in no bundled policy: one in the first clause, planted like the rest.
            first = text.index("\nclause ")
            body = text.index("{\n", first) + 2
            text = text[:body] + '  todo "<img src=x onerror=alert(0)><script>alert(0)</script>"\n' + text[body:]
            rules.add("todo")
        covered |= rules
        (folder / path.name).write_text(text, encoding="utf-8")
    shutil.copy(POLICIES / "subjects.toml", folder / "subjects.toml")
    # Every kind of string the grammar has carries a payload somewhere in the bundled policies.
    assert _rules_with_strings() <= covered, _rules_with_strings() - covered
    write_project(project, str(folder))
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    return project / "site"


@pytest.fixture(scope="module")
def hostile_served(hostile_site: Path):
    handler = functools.partial(_QuietHandler, directory=str(hostile_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_no_payload_runs_on_any_page_of_the_built_site(browser, hostile_site: Path, hostile_served: str) -> None:  # noqa: F811
    pages = sorted(p.relative_to(hostile_site).as_posix() for p in hostile_site.rglob("*.html"))
    assert len(pages) > 100
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    ran: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda d: (ran.append(f"dialog {d.message}"), d.dismiss()))
    filled = 0
    for path in pages:
        page.goto(hostile_served + path, wait_until="load")
        # A calculator renders its labels, and, once filled in, its explanation: fill every field of the first.
        calc = page.locator(".pol-calculator").first
        if calc.count():
            calc.locator("label").first.wait_for(state="attached", timeout=30_000)  # rendered by the script
            for box in calc.locator("input[type=text]").all():
                box.fill("1亿")
            for choice in calc.locator("select").all():
                options = choice.locator("option").all()
                if len(options) > 1:
                    choice.select_option(index=1)
            filled += 1
            page.wait_for_timeout(50)
        ran += [f"{path}: {x}" for x in _settled(page, "window.__ran")]
        ran += [f"{path}: {x}" for x in _settled(page, LIVE_MARKUP)]
    context.close()
    assert filled > 50  # the calculators were there to be tried
    assert ran == []
