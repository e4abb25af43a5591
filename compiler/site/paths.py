"""Where each page of the site lives under docs/: a policy's overview, a page per clause, the drafters' source."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from pol.dsl import ast

# Names MkDocs takes for a folder's index page, so no page of pol's may have them as its own.
_INDEX_NAMES = ("index", "readme")


def site_slug(stem: str) -> str:
    """The page name of a policy: its module name, unless MkDocs would take it for a folder's index page."""
    return f"policy-{stem}" if stem.casefold() in _INDEX_NAMES else stem


def policy_page(slug: str) -> str:
    """A policy's overview: the index page of its folder, so the navigation's section for it opens it."""
    return f"policies/{slug}/index.md"


def source_page(slug: str) -> str:
    """The drafters' view of a policy: its `.pol` source, provision by provision."""
    return f"source/{slug}.md"


def clause_stem(clause_id: str) -> str:
    """The file name (without .md) of a clause's page: its id, unless MkDocs would take it for an index page."""
    return f"clause-{clause_id}" if clause_id.casefold() in _INDEX_NAMES else clause_id


def clashing_clauses(provisions: Sequence[ast.Clause | ast.Measure]) -> list[tuple[str, str]]:
    """Pairs of clauses whose pages would be one file on a disk that ignores case (Windows, macOS)."""
    seen: dict[str, str] = {}
    out = []
    for c in provisions:
        if isinstance(c, ast.Clause):
            key = clause_stem(c.id).casefold()
            if key in seen:
                out.append((seen[key], c.id))
            seen.setdefault(key, c.id)
    return out


def clause_page(slug: str, clause_id: str) -> str:
    return f"policies/{slug}/{clause_stem(clause_id)}.md"


def relative(target: str, page: str) -> str:
    """`target` (a path under docs/, with an optional #anchor) as a link written on `page`."""
    path, _, anchor = target.partition("#")
    rel = posixpath.relpath(path, posixpath.dirname(page) or ".")
    return f"{rel}#{anchor}" if anchor else rel
