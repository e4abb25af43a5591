"""Checking the policy header: its fields, their values, and the dates of the policy."""

from __future__ import annotations

from pol.compiler.check.folding import did_you_mean
from pol.compiler.check.state import CheckerState
from pol.compiler.check.vocabulary import (
    CHINESE_HEADER,
    HEADER_FIELDS,
    LEVELS,
    MAX_TERM_YEARS,
    OVERLAP,
    SAFE_URL,
    STATUSES,
)
from pol.dsl import ast
from pol.dsl.parser import BROKEN_HEADER
from pol.dsl.source import Span
from pol.dsl.words import HEADER_WORDS


class HeaderChecks(CheckerState):
    """Checks the `policy { … }` header."""

    def check_header(self, headers: list[ast.PolicyHeader]) -> None:
        if not headers:
            if self.module.decls and BROKEN_HEADER not in self.broken:
                span = Span(file=self.module.path, line=1, column=1, end_line=1, end_column=2)
                self.err(
                    "POL106",
                    "the file has no `policy NAME { … }` header",
                    span,
                    "every policy file starts with its title, issuer and dates",
                )
            return
        for extra in headers[1:]:
            self.err("POL102", "a file holds one policy; this is a second `policy` header", extra.span)
        h = headers[0]
        self.header["name"] = h.name
        for f in h.fields:
            kind = HEADER_FIELDS.get(f.key)
            if kind is None:
                self.err(
                    "POL104",
                    f"unknown policy field '{f.key}'",
                    f.span,
                    *did_you_mean(f.key, [*HEADER_FIELDS, *HEADER_WORDS]),
                    "policy fields: "
                    + ", ".join(f"{k} ({CHINESE_HEADER[k]})" if k in CHINESE_HEADER else k for k in HEADER_FIELDS),
                )
                continue
            if kind == "notes":
                if not all(isinstance(x, ast.Text) for x in f.values):
                    self.err("POL107", "a policy note takes a string in quotes", f.span)
                    continue
                notes = self.header.setdefault("note", [])
                assert isinstance(notes, list)
                notes.extend(x.value for x in f.values if isinstance(x, ast.Text))
                continue
            if f.key in self.header:
                self.err("POL104", f"policy field '{f.key}' is given twice", f.span)
                continue
            values = f.values
            if kind != "texts" and len(values) != 1:
                self.err("POL107", f"policy field '{f.key}' takes one value", f.span)
                continue
            v = values[0]
            if kind in ("text", "texts"):
                if not all(isinstance(x, ast.Text) for x in values):
                    self.err("POL107", f"policy field '{f.key}' takes a string in quotes", f.span)
                    continue
                if f.key == "url" and not SAFE_URL.fullmatch(str(v.value)):  # type: ignore[union-attr]
                    self.err(
                        "POL107",
                        "policy field 'url' takes the web address of the official text, such as "
                        '"https://www.example.gov.cn/zcwj/123.html"',
                        f.span,
                        "an address starts with http:// or https:// and holds no spaces, quotes or angle brackets",
                    )
                    continue
                self.header[f.key] = [x.value for x in values] if kind == "texts" else v.value  # type: ignore[union-attr]
            elif kind == "years":
                if not (isinstance(v, ast.Quantity) and v.unit.kind == "years"):
                    self.err("POL107", f"policy field '{f.key}' takes a number of years such as 3年", f.span)
                    continue
                if v.value > MAX_TERM_YEARS or v.value != v.value.to_integral_value():
                    self.err(
                        "POL107",
                        f"a term of {v.text} is not a validity period: give whole years, at most {MAX_TERM_YEARS}",
                        v.span,
                        "leave `term` out if the text sets no period",
                    )
                    continue
                self.header[f.key] = v.value
            elif kind == "date":
                if not isinstance(v, ast.DateLit):
                    self.err("POL107", f"policy field '{f.key}' takes a date such as 2021-11-01", f.span)
                    continue
                self.header[f.key] = v.value
            else:
                table = {"level": LEVELS, "status": STATUSES, "overlap": OVERLAP}[kind]
                word = v.id if isinstance(v, ast.Name) else v.value if isinstance(v, ast.Text) else None
                if word not in table:
                    self.err(
                        "POL107",
                        f"'{word}' is not a {kind}",
                        f.span,
                        *did_you_mean(str(word), table),
                        f"{kind}s: " + ", ".join(table),
                    )
                    continue
                self.header[f.key] = table[word]
        if "title" not in self.header:
            self.err("POL106", f"policy '{h.name}' has no title", h.span, 'add `title: "…"` with the document\'s title')
        eff, exp = self.header.get("effective"), self.header.get("expires")
        if eff and exp and exp < eff:  # type: ignore[operator]
            self.err("POL107", "the policy expires before it takes effect", h.span)
