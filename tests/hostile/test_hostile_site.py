"""Hostile inputs to the site: texts that look like Markdown structure, characters YAML cannot hold, names MkDocs
treats specially, clashing guide names; and a lost page fails the build loudly, even under -q."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import POLICIES

from pol.compiler.cli import main

FENCE_POLICY = '''policy p {{ title: "{title}" }}
input 费用: money
clause 补助 "一" {{
  original: """第一行
~~~
按费用的 10% 补助
~~~"""
  grant 费用 × 10%
}}
clause index "二" {{
  grant 1万
}}
'''


def _mkdocs(project: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *flags, "-f", str(project / "mkdocs.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_special_names_and_texts_keep_every_page_and_a_lost_page_fails_the_quiet_build(tmp_path, capsys) -> None:
    for stem in ("index", "README"):
        (tmp_path / f"{stem}.pol").write_text(FENCE_POLICY.format(title=f"{stem} 政策"), encoding="utf-8")
    project = tmp_path / "site"
    assert (
        main(
            [
                "docs",
                str(tmp_path / "index.pol"),
                str(tmp_path / "README.pol"),
                "--out",
                str(project),
                "--site-name",
                "政策\x7f网站\x85",
            ]
        )
        == 0
    )
    config = yaml.safe_load((project / "mkdocs.yml").read_text(encoding="utf-8"))  # readable despite the DEL
    assert config["site_name"] == "政策\x7f网站\x85"
    result = _mkdocs(project, "-q")
    assert result.returncode == 0, result.stderr
    for slug in ("policy-index", "policy-README"):
        page = (project / "site" / "policies" / slug / "补助.html").read_text(encoding="utf-8")
        assert "按费用的 10% 补助" in page and "<code" not in page.split("按费用的 10% 补助")[0][-200:]
        # A clause named index has its own page, not the folder's index page.
        assert "给予1万元资金支持" in (project / "site" / "policies" / slug / "clause-index.html").read_text("utf-8")
    # A page MkDocs would drop without a word under -q: README.md beside index.md.
    (project / "docs" / "README.md").write_text("# 另一个首页\n", encoding="utf-8")
    result = _mkdocs(project, "-q")
    assert result.returncode != 0
    assert "pages left out of the site: README.md" in result.stderr


def test_clauses_whose_pages_would_be_one_file_are_refused(tmp_path, capsys) -> None:
    source = 'policy p { title: "t" }\nclause Abc "一" { grant 1万 }\nclause abc "二" { grant 2万 }\n'
    (tmp_path / "p.pol").write_text(source, encoding="utf-8")
    assert main(["docs", str(tmp_path / "p.pol"), "--out", str(tmp_path / "site")]) == 2
    assert "clauses Abc and abc differ only in case" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_guides_or_comparisons_with_one_name_are_refused(tmp_path, capsys) -> None:
    for folder in "ab":
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "guide.md").write_text(f"# 指南 {folder}\n", encoding="utf-8")
    args = ["docs", str(POLICIES / "xuzhou.pol"), "--out", str(tmp_path / "site")]
    assert main([*args, "--guide", str(tmp_path / "a" / "guide.md"), "--guide", str(tmp_path / "b" / "guide.md")]) == 2
    assert "two --guide files would both be written as the page of guide.md" in capsys.readouterr().err
    assert main([*args, "--compare", str(tmp_path / "a" / "p.json"), "--compare", str(tmp_path / "b" / "p.json")]) == 2
    assert "two --compare files" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


URL_PAYLOADS = (
    "https://example.gov.cn/a><img src=x onerror=alert(1)>",
    'https://example.gov.cn/"onmouseover="alert(1)',
    "javascript:alert(1)",
    "https://example.gov.cn/<script>alert(1)</script>",
    "https://exa mple.gov.cn/",
    "data:text/html,<svg onload=alert(1)>",
)


def test_a_header_url_that_could_leave_its_link_is_refused_by_the_checker(tmp_path, capsys) -> None:
    for i, url in enumerate(URL_PAYLOADS):
        path = tmp_path / f"p{i}.pol"
        quoted = url.replace('"', '\\"')
        path.write_text(
            f'policy p {{ title: "t"  url: "{quoted}" }}\nclause a "一" {{ grant 1万 }}\n', encoding="utf-8"
        )
        assert main(["check", str(path)]) == 1, url
        assert "error[POL107]" in capsys.readouterr().err


def test_the_site_links_a_header_url_only_as_escaped_html() -> None:
    from pol.compiler.check.vocabulary import SAFE_URL
    from pol.compiler.reading.markdown import web_link

    for url in URL_PAYLOADS:
        assert "<" not in web_link(url, SAFE_URL).replace("&lt;", ""), url
    link = web_link("https://example.gov.cn/zcwj?id=1&t=2#第三条", SAFE_URL)
    assert link.startswith('<a href="https://example.gov.cn/zcwj?id=1&amp;t=2#第三条">')
