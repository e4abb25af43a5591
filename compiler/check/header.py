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
from pol.dsl.diagnostics import T
from pol.dsl.parser import BROKEN_HEADER
from pol.dsl.source import Span
from pol.dsl.words import HEADER_WORDS

KIND_ZH = {"level": "层级", "status": "状态", "overlap": "叠加规则"}  # the header fields with a fixed vocabulary


class HeaderChecks(CheckerState):
    """Checks the `policy { … }` header."""

    def check_header(self, headers: list[ast.PolicyHeader]) -> None:
        if not headers:
            # An empty file is no policy either: it would check, lint and test clean while stating nothing.
            if BROKEN_HEADER not in self.broken:
                span = Span(file=self.module.path, line=1, column=1, end_line=1, end_column=2)
                self.err(
                    "POL106",
                    T("文件缺少政策头部 `policy 名称 { … }`", "the file has no `policy NAME { … }` header"),
                    span,
                    T(
                        "每个政策文件都以标题、发文机关和日期开头",
                        "every policy file starts with its title, issuer and dates",
                    ),
                )
            return
        for extra in headers[1:]:
            self.err(
                "POL102",
                T(
                    "一个文件只写一项政策；这是第二个 `policy` 头部",
                    "a file holds one policy; this is a second `policy` header",
                ),
                extra.span,
            )
        h = headers[0]
        self.header["name"] = h.name
        for f in h.fields:
            kind = HEADER_FIELDS.get(f.key)
            if kind is None:
                self.err(
                    "POL104",
                    T(f"未知的政策字段“{f.key}”", f"unknown policy field '{f.key}'"),
                    f.span,
                    *did_you_mean(f.key, [*HEADER_FIELDS, *HEADER_WORDS]),
                    T(
                        "政策字段："
                        + "、".join(f"{k}（{CHINESE_HEADER[k]}）" if k in CHINESE_HEADER else k for k in HEADER_FIELDS),
                        "policy fields: "
                        + ", ".join(f"{k} ({CHINESE_HEADER[k]})" if k in CHINESE_HEADER else k for k in HEADER_FIELDS),
                    ),
                )
                continue
            if kind == "notes":
                if not all(isinstance(x, ast.Text) for x in f.values):
                    self.err("POL107", T("政策备注要写在引号中", "a policy note takes a string in quotes"), f.span)
                    continue
                notes = self.header.setdefault("note", [])
                assert isinstance(notes, list)
                notes.extend(x.value for x in f.values if isinstance(x, ast.Text))
                continue
            if f.key in self.header:
                self.err("POL104", T(f"政策字段“{f.key}”写了两次", f"policy field '{f.key}' is given twice"), f.span)
                continue
            values = f.values
            if kind != "texts" and len(values) != 1:
                self.err("POL107", T(f"政策字段“{f.key}”只取一个值", f"policy field '{f.key}' takes one value"), f.span)
                continue
            v = values[0]
            if kind in ("text", "texts"):
                if not all(isinstance(x, ast.Text) for x in values):
                    self.err(
                        "POL107",
                        T(f"政策字段“{f.key}”要写在引号中", f"policy field '{f.key}' takes a string in quotes"),
                        f.span,
                    )
                    continue
                if f.key == "url" and not SAFE_URL.fullmatch(str(v.value)):  # type: ignore[union-attr]
                    self.err(
                        "POL107",
                        T(
                            '政策字段 url 填写官方原文的网址，例如 "https://www.example.gov.cn/zcwj/123.html"',
                            "policy field 'url' takes the web address of the official text, such as "
                            '"https://www.example.gov.cn/zcwj/123.html"',
                        ),
                        f.span,
                        T(
                            "网址以 http:// 或 https:// 开头，不含空格、引号或尖括号",
                            "an address starts with http:// or https:// and holds no spaces, quotes or angle brackets",
                        ),
                    )
                    continue
                self.header[f.key] = [x.value for x in values] if kind == "texts" else v.value  # type: ignore[union-attr]
            elif kind == "years":
                if not (isinstance(v, ast.Quantity) and v.unit.kind == "years"):
                    self.err(
                        "POL107",
                        T(
                            f"政策字段“{f.key}”填写年数，例如 3年",
                            f"policy field '{f.key}' takes a number of years such as 3年",
                        ),
                        f.span,
                    )
                    continue
                if v.value > MAX_TERM_YEARS or v.value != v.value.to_integral_value():
                    self.err(
                        "POL107",
                        T(
                            f"期限 {v.text} 不是有效期：请写整年数，最多 {MAX_TERM_YEARS} 年",
                            f"a term of {v.text} is not a validity period: give whole years, at most {MAX_TERM_YEARS}",
                        ),
                        v.span,
                        T("原文没有规定有效期时，不写 `term`", "leave `term` out if the text sets no period"),
                    )
                    continue
                self.header[f.key] = v.value
            elif kind == "date":
                if not isinstance(v, ast.DateLit):
                    self.err(
                        "POL107",
                        T(
                            f"政策字段“{f.key}”填写日期，例如 2021-11-01",
                            f"policy field '{f.key}' takes a date such as 2021-11-01",
                        ),
                        f.span,
                    )
                    continue
                self.header[f.key] = v.value
            else:
                table = {"level": LEVELS, "status": STATUSES, "overlap": OVERLAP}[kind]
                word = v.id if isinstance(v, ast.Name) else v.value if isinstance(v, ast.Text) else None
                if word not in table:
                    self.err(
                        "POL107",
                        T(f"“{word}”不是{KIND_ZH.get(kind, kind)}", f"'{word}' is not a {kind}"),
                        f.span,
                        *did_you_mean(str(word), table),
                        T(f"{KIND_ZH.get(kind, kind)}：" + "、".join(table), f"{kind}s: " + ", ".join(table)),
                    )
                    continue
                self.header[f.key] = table[word]
        if "title" not in self.header:
            self.err(
                "POL106",
                T(f"政策“{h.name}”没有标题", f"policy '{h.name}' has no title"),
                h.span,
                T('请加上文件标题：`title: "…"`（或 `标题: "…"`）', 'add `title: "…"` with the document\'s title'),
            )
        eff, exp = self.header.get("effective"), self.header.get("expires")
        if eff and exp and exp < eff:  # type: ignore[operator]
            self.err("POL107", T("政策的失效日期早于施行日期", "the policy expires before it takes effect"), h.span)
