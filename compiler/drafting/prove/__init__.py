"""`pol prove`: properties of each clause decided by an SMT solver over every possible set of facts.

For each clause the solver is asked for facts that break a property: a negative amount (POL305), no facts that
grant anything (POL701), more of a money or area fact paying less (POL702), a value between two tiers that
falls in neither (POL703), two banded tiers claiming one value (POL303), a cap that never binds (POL304), more
than the most the original states (POL704, the amounts after 最高, 上限, 不超过 in its text), a document limit below
what the clause alone pays (POL705), a condition that cannot hold or cannot fail (POL706), money outside the
policy's dates (POL707), two clauses for one subject both paid in full (POL708, checked with the ledger).
Facts it finds are run through the Python evaluator before they are reported, and written as an `example`
block the drafter can paste; a property the solver cannot decide in its time, or that uses what the
translation does not cover, is reported as 未能判定, never skipped.

The modules: `findings` (the properties and how a finding is shown), `prover` (one policy's clauses, the
properties of an amount), `tiers`, `document` (limits, dates, the ledger), `feasible` (for coverage);
compiler/drafting/prove/smt.py translates the lowered form into Z3's terms.
"""

from pol.compiler.drafting.prove.feasible import feasible
from pol.compiler.drafting.prove.findings import PROPERTIES, Finding, diagnostics, expect_clause, literal
from pol.compiler.drafting.prove.prover import Prover

__all__ = ["PROPERTIES", "Finding", "Prover", "diagnostics", "expect_clause", "feasible", "literal"]
