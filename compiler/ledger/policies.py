"""The policies a ledger reads: each loaded policy with its level, region and stacking rule."""

from __future__ import annotations

import types
from pathlib import Path

import attrs

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.vocabulary import OVERLAP
from pol.compiler.evaluate.pipeline import Compiled, load_evaluator, python_source
from pol.dsl import ast


class ProfileError(ValueError):
    """A profile that cannot be evaluated; `problems` names each bad field by its path in the file."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@attrs.define
class Policy:
    """A checked policy with its compiled evaluator, as the ledger needs it."""

    key: str  # the file's stem, as profiles name it
    policy: CheckedPolicy
    module: types.ModuleType

    @property
    def title(self) -> str:
        return str(self.policy.header.get("title", self.key))

    @property
    def region(self) -> str | None:
        region = self.policy.header.get("region")
        return str(region) if region else None

    @property
    def level(self) -> str | None:
        level = self.policy.header.get("level")
        return str(level) if level else None

    @property
    def best_only(self) -> bool:
        return self.policy.header.get("overlap") == OVERLAP["best"]

    def clause(self, cid: str) -> ast.Clause | None:
        return next((c for c in self.policy.clauses if c.id == cid), None)


def policy_keys(paths: list[str]) -> dict[str, str]:
    """Each policy's key, the file stem profiles name it by; ProfileError when two files share one."""
    keys: dict[str, str] = {}
    clashes = []
    for path in paths:
        key = Path(path).stem
        if key in keys:
            clashes.append(
                f"{keys[key]} and {path} are both called '{key}'; profiles and projects name a policy "
                "by its file name, so rename one"
            )
        keys.setdefault(key, path)
    if clashes:
        raise ProfileError(clashes)
    return {key: path for key, path in keys.items()}


def load_policies(compiled: list[Compiled]) -> dict[str, Policy]:
    """Compile every checked policy's evaluator once, keyed by file stem (which must be unique)."""
    policy_keys([c.source.path for c in compiled])
    out: dict[str, Policy] = {}
    for c in compiled:
        assert c.policy is not None
        key = Path(c.source.path).stem
        out[key] = Policy(key, c.policy, load_evaluator(python_source(c), f"pol_{len(out)}"))
    return out
