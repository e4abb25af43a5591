"""pol: subsidy policies as code, checked and computed exactly, with an explanation of every amount.

    >>> import pol
    >>> yantai = pol.load_policy("policies/yantai.pol")
    >>> yantai.evaluate({"新药类别": "一类新药", "临床阶段": "III期", "临床研发费用": "1亿",
    ...                  "该品种已获研发扶持": 0}, clauses="创新药研发").result("创新药研发").amount
    Decimal('20000000.00')

The API lives in `pol.api` and is imported on first use, so `import pol` (and `pol --version`) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

if TYPE_CHECKING:
    from pol.api import (
        Clause,
        ClauseResult,
        Comparison,
        Evaluation,
        FactsError,
        Input,
        Ledger,
        Match,
        Policy,
        PolicyError,
        PolicySet,
        ProfileError,
        Standing,
        Status,
        UnknownClauseError,
        load,
        load_policy,
    )

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
    "__version__",
    "load",
    "load_policy",
]
_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from pol import api

        return getattr(api, name)
    raise AttributeError(f"module 'pol' has no attribute {name!r}")
