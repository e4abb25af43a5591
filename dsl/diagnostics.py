"""Diagnostics: the registry of error codes and the record of one reported problem."""

from __future__ import annotations

from typing import Literal

import attrs

from pol.dsl.source import Span

Severity = Literal["error", "warning"]

# Every code the front end and checker can report, with a one-line summary.
# Codes are stable: tools and tests match on them, so never renumber.
CODES: dict[str, str] = {
    "POL001": "syntax error",
    "POL002": "unknown unit in a literal",
    "POL003": "malformed literal",
    "POL004": "declaration nested too deeply",
    "POL101": "unknown name",
    "POL102": "name defined twice",
    "POL103": "duplicate clause id",
    "POL104": "unknown or misplaced field",
    "POL105": "unknown type",
    "POL106": "missing required field",
    "POL107": "invalid field value",
    "POL201": "unit mismatch",
    "POL202": "currency mismatch",
    "POL203": "rate above 100%",
    "POL204": "wrong kind of value",
    "POL205": "money multiplied by money",
    "POL206": "money multiplied by a bare number (a rate without %)",
    "POL301": "category table does not cover every category",
    "POL302": "tier thresholds not increasing",
    "POL303": "tiers overlap",
    "POL304": "cap can never bind",
    "POL305": "negative amount or cap",
    "POL306": "range bounds reversed",
    "POL307": "limits that share some clauses but not all",
    "POL401": "example facts do not fit the inputs",
    "POL501": "definitions form a cycle",
    "POL601": "figure in the original text not used by the rule (pol lint)",
    "POL602": "provision without original text (pol lint)",
    "POL603": "waiver for a figure the text does not print, or the rule uses (pol lint)",
    "POL604": "a threshold's boundary on the other side from the original's word (pol lint)",
    "POL605": "a figure in an original text that pol lint cannot read (pol lint)",
    "POL606": "a scope the original states that the rule does not bind (pol lint)",
    "POL701": "a clause no facts can grant anything (pol prove)",
    "POL702": "more of a money or area fact pays less (pol prove)",
    "POL703": "a value between two tiers that falls in neither (pol prove)",
    "POL704": "a clause that can pay more than the most its original states (pol prove)",
    "POL705": "a document limit that cuts what one clause alone must pay (pol prove)",
    "POL706": "a condition that no facts can make true, or none false (pol prove)",
    "POL707": "money granted on a day the policy is not in force (pol prove)",
    "POL708": "two clauses for one subject both paid in full for one item (pol prove)",
}


@attrs.frozen(kw_only=True)
class Diagnostic:
    """One problem found in a source file: a code, a message and where it is."""

    code: str
    message: str
    span: Span
    severity: Severity = "error"
    notes: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        assert self.code in CODES, self.code

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "notes": list(self.notes),
        }


def error(code: str, message: str, span: Span, *notes: str) -> Diagnostic:
    return Diagnostic(code=code, message=message, span=span, notes=tuple(notes))


def warning(code: str, message: str, span: Span, *notes: str) -> Diagnostic:
    return Diagnostic(code=code, message=message, span=span, severity="warning", notes=tuple(notes))


class PolicyError(Exception):
    """Raised with every diagnostic of a file when it cannot be compiled."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(f"{len(diagnostics)} error(s)")
        self.diagnostics = diagnostics
