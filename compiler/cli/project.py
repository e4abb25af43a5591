"""`pol all`: the whole pipeline (check, lint, test, build, docs, site) over a project described in pol.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import attrs

PROJECT_FILE = "pol.toml"


class ProjectError(ValueError):
    """A pol.toml that cannot be used; the message says which key is wrong."""


@attrs.frozen
class Project:
    """What `pol all` runs on: the policies, where the outputs go, and what the website carries."""

    policies: tuple[str, ...] = ("policies",)
    out: str = "build"
    site_name: str | None = None
    site_url: str | None = None
    guides: tuple[str, ...] = ()
    compare: tuple[str, ...] = ()
    as_of: str | None = None


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ProjectError(f"{PROJECT_FILE}: {key} must be a path or a list of paths")


def read_project(path: Path) -> Project:
    """The project described by a pol.toml; the defaults when the file does not exist."""
    if not path.is_file():
        return Project()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(f"{path}: {exc}") from None
    site = data.pop("site", {})
    if not isinstance(site, dict):
        raise ProjectError(f"{path}: [site] must be a table")
    known, known_site = {"policies", "out", "as_of"}, {"name", "url", "guides", "compare"}
    unknown = sorted(set(data) - known) + sorted(f"site.{k}" for k in set(site) - known_site)
    if unknown:
        raise ProjectError(
            f"{path}: unknown key(s) {', '.join(unknown)}; the keys are policies, out, as_of, "
            "and site.name, site.url, site.guides, site.compare"
        )
    strings = (
        ("out", data.get("out")),
        ("as_of", data.get("as_of")),
        ("site.name", site.get("name")),
        ("site.url", site.get("url")),
    )
    for key, value in strings:
        if value is not None and not isinstance(value, str):
            raise ProjectError(f"{path}: {key} must be a string")
    return Project(
        policies=_strings(data.get("policies", "policies"), "policies"),
        out=data.get("out", "build"),
        site_name=site.get("name"),
        site_url=site.get("url"),
        guides=_strings(site.get("guides", []), "site.guides"),
        compare=_strings(site.get("compare", []), "site.compare"),
        as_of=data.get("as_of"),
    )


def steps(project: Project) -> list[tuple[str, list[str]]]:
    """Each step of the pipeline as the `pol` arguments that run it, in order."""
    out = Path(project.out)
    dated = ["--as-of", project.as_of] if project.as_of else []
    docs = ["docs", *project.policies, "--out", str(out / "site"), *dated]
    if project.site_name:
        docs += ["--site-name", project.site_name]
    if project.site_url:
        docs += ["--site-url", project.site_url]
    for guide in project.guides:
        docs += ["--guide", guide]
    for comparison in project.compare:
        docs += ["--compare", comparison]
    return [
        ("check", ["check", *project.policies]),
        ("lint", ["lint", *project.policies]),
        ("test", ["test", *project.policies]),
        ("prove", ["prove", *project.policies]),
        ("build", ["build", *project.policies, "--out", str(out / "evaluators")]),
        ("docs", docs),
    ]
