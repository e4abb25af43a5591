"""The Python API: load policies, evaluate facts, match a profile, compare a project, read the input schema."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pol.compiler.check.report import render_text
from pol.compiler.check.schema import input_schema, profile_schema
from pol.compiler.check.validity import Standing, standing
from pol.compiler.evaluate.pipeline import compile_file, policy_files
from pol.compiler.ledger import evaluation as _evaluation
from pol.compiler.ledger import match as _match
from pol.compiler.ledger import policies as _policies
from pol.compiler.ledger.compare import Comparison
from pol.compiler.ledger.compare import compare as _compare
from pol.compiler.ledger.entries import Ledger
from pol.compiler.ledger.match import Match
from pol.compiler.ledger.policies import ProfileError
from pol.compiler.runtime import Clause, ClauseResult, Evaluation, FactsError, Input, Status, UnknownClauseError
from pol.dsl.diagnostics import Diagnostic

__all__ = [
    "Clause",
    "ClauseResult",
    "Comparison",
    "Evaluation",
    "FactsError",
    "Input",
    "Ledger",
    "Match",
    "Policy",
    "PolicyError",
    "PolicySet",
    "ProfileError",
    "Standing",
    "Status",
    "UnknownClauseError",
    "load",
    "load_policy",
]


class PolicyError(Exception):
    """A policy that does not check: `diagnostics` holds every problem, as `pol check` reports them."""

    def __init__(self, diagnostics: list[Diagnostic], text: str):
        super().__init__(text)
        self.diagnostics = diagnostics


class Policy:
    """One checked policy with its evaluator: its clauses, its inputs, and evaluation of facts."""

    def __init__(self, loaded: _policies.Policy, path: Path):
        self._loaded = loaded
        self.path = path
        self._module = loaded.module

    @property
    def key(self) -> str:
        """The file's stem, as profiles and the HTTP API name the policy."""
        return self._loaded.key

    @property
    def name(self) -> str:
        """The policy's name from its header."""
        return str(self._module.POLICY)

    @property
    def title(self) -> str:
        """The document's title."""
        return str(self._module.TITLE)

    @property
    def effective(self) -> datetime.date | None:
        return self._module.EFFECTIVE

    @property
    def expires(self) -> datetime.date | None:
        return self._module.EXPIRES

    @property
    def clauses(self) -> tuple[Clause, ...]:
        """Each clause's id, article, title, beneficiary and kind of support, in the document's order."""
        return tuple(clause for clause, _ in self._module.CLAUSES)

    @property
    def inputs(self) -> Mapping[str, Input]:
        """The facts the policy reads, by name: kind, unit, Chinese label, members of an enumeration, default."""
        return self._module.INPUTS

    def standing(self, as_of: datetime.date | None = None) -> Standing:
        """The policy's status on `as_of` (today): 现行有效, 已失效, 尚未施行 or 征求意见稿, and its period."""
        return standing(self._loaded.policy.header, as_of or datetime.date.today())

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the facts, as `pol inputs` writes it."""
        return input_schema(self._loaded.policy)

    def evaluate(
        self,
        facts: Mapping[str, Any],
        *,
        clauses: str | Iterable[str] | None = None,
        as_of: datetime.date | None = None,
    ) -> Evaluation:
        """Evaluate raw facts (JSON values or Python ones) for every clause or those named, on `as_of` (today)."""
        return self._module.evaluate(facts, as_of=as_of, clauses=clauses)

    def __repr__(self) -> str:
        return f"<Policy {self.key}: {self.title}, {len(self._module.CLAUSES)} clauses>"


class PolicySet(Mapping[str, Policy]):
    """Several policies by key (file stem): for matching a profile, comparing a project, or a ledger."""

    def __init__(self, policies: Iterable[Policy]):
        self._policies = {p.key: p for p in policies}

    def __getitem__(self, key: str) -> Policy:
        try:
            return self._policies[key]
        except KeyError:
            raise KeyError(f"{key!r}: no such policy; loaded are {', '.join(self._policies)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._policies)

    def __len__(self) -> int:
        return len(self._policies)

    def __repr__(self) -> str:
        return f"<PolicySet {', '.join(self._policies)}>"

    def _internal(self) -> dict[str, _policies.Policy]:
        return {key: p._loaded for key, p in self._policies.items()}

    def match(
        self, profile: Mapping[str, Any], *, as_of: datetime.date | None = None, item: str | None = None
    ) -> list[Match]:
        """Every clause in force that the enterprise (or one of its items) may qualify for, as `pol match`."""
        return _match.match(profile, self._internal(), as_of or datetime.date.today(), item)

    def evaluate_profile(self, profile: Mapping[str, Any], *, as_of: datetime.date | None = None) -> Ledger:
        """The enterprise's ledger over the years, with the documents' combination rules, as `pol eval-profile`."""
        return _evaluation.evaluate_profile(profile, self._internal(), as_of)

    def compare(self, project: Mapping[str, Any], *, as_of: datetime.date | None = None) -> Comparison:
        """One project evaluated under each policy the project names, side by side, as `pol compare`."""
        return _compare(project, self._internal(), as_of)

    def profile_schema(self) -> dict[str, Any]:
        """The JSON Schema of a profile for these policies, as `pol inputs --profile` writes it."""
        return profile_schema({key: p._loaded.policy for key, p in self._policies.items()})


def load(*paths: str | Path) -> PolicySet:
    """Load `.pol` files and folders (searched recursively); PolicyError if any does not check.

    A set of one policy is indexed by the file's stem: `pol.load("policies/yantai.pol")["yantai"]`.
    """
    files = policy_files([str(p) for p in paths])
    if not files:
        raise FileNotFoundError(f"no .pol files in {', '.join(map(str, paths))}")
    compiled = [compile_file(f) for f in files]
    errors = [d for c in compiled for d in c.diagnostics if d.severity == "error"]
    if errors:
        raise PolicyError(errors, render_text(errors, {c.source.path: c.source for c in compiled}, "en"))
    try:
        loaded = _policies.load_policies(compiled)
    except ProfileError as exc:  # two files with the same stem
        raise PolicyError([], str(exc)) from None
    return PolicySet(Policy(loaded[Path(f).stem], Path(f)) for f in files)


def load_policy(path: str | Path) -> Policy:
    """Load one `.pol` file; PolicyError if it does not check."""
    if Path(path).is_dir():
        raise IsADirectoryError(f"{path} is a folder; pol.load() loads every policy in it")
    return next(iter(load(path).values()))
