"""A drafted policy written as a `.pol` file: the header the text states, a measure or clauses per provision."""

from __future__ import annotations

import re
import unicodedata

import attrs

from pol.compiler.drafting.draft.header import Header, read_header
from pol.compiler.drafting.draft.outline import Provision, provisions
from pol.compiler.drafting.draft.rules import Input, Rule, draft_sentence, literal, name_of
from pol.compiler.drafting.figures import figures
from pol.dsl import ast

# Words that make a sentence a grant of money: a figure of money or a rate, and a verb of giving.
_MONEY = re.compile(r"(?:元|%|％|一事一议)")
_GIVING = re.compile(r"给予|奖励|补助|补贴|资助|扶持|支持|奖补|配套|一事一议")
_UNITS = re.compile(r"[（(](?:责任单位|牵头单位)[:：]\s*([^）)]+)[）)]")
# A sentence after a grant that speaks of it (该项奖励包括已发扶持资金, 上述…, 参照…) belongs to its clause.
# A sentence that only caps what came before it: a ceiling, and no grant of its own (no 给予, no rate).
_CAP_ONLY = re.compile(
    r"^(?!.*(?:给予|按|%))\s*(?:单个|每家|每个|单一)(?:企业|项目|品种)[^，。；,;]{0,8}(?:最高|不超过|累计)[^，。；,;]{0,8}\d"
)
_REFERS_BACK = re.compile(
    r"包括|扣除|剔除|该项|该奖励|上述|前款|本项|参照|不可重复|就高|其中|^[^，。；,;]{0,12}(?:最高|不超过|累计)[^，。；,;]{0,8}\d"
)  # (单个企业最高不超过500万元。 after a grant: its cap)


@attrs.frozen
class Draft:
    """The drafted file, and what it holds: clauses drafted, todos left, figures placed."""

    text: str
    clauses: int
    measures: int
    todos: int
    figures: int


def _sentences(text: str) -> list[str]:
    """A provision's sentences, split after 。 and ；, and before a comma's new subject (，对… or ，按照…) when
    both sides give money of their own; each kept as printed."""
    out = []
    for part in (x.strip() for x in re.split(r"(?<=[。；;])", text)):
        if not part:
            continue
        pieces = re.split(r"(?<=[，,])(?=对|按照)", part)
        kept = [pieces[0]]
        for piece in pieces[1:]:
            if _gives(kept[-1]) and _gives(piece) and "分别" not in piece:
                kept.append(piece)
            else:
                kept[-1] += piece
        out += kept
    return out


def _gives(text: str) -> bool:
    """Whether a sentence gives money: a figure of money or a rate, and a verb of giving."""
    plain = unicodedata.normalize("NFKC", text)
    return bool(_MONEY.search(plain) and _GIVING.search(plain) and (figures(text) or "一事一议" in plain))


def _quote(text: str) -> str:
    """A text as a triple-quoted string of the language: nothing in it may close the string early."""
    return '"""' + text.replace('"""', "”“”").strip() + '"""'


def _pieces(p: Provision) -> tuple[list[tuple[str, bool]], list[str], str]:
    """The provision's parts in order, each a money sentence (with the plain sentences leading to it or speaking
    of it) or a run of other sentences; its responsible units; and its whole text."""
    text = re.sub(r"\s*\n\s*", "", p.text)
    units = []
    for m in _UNITS.finditer(text):
        for u in re.split(r"[、，,]\s*", m.group(1)):
            u = re.sub(r"^(?:牵头|配合|责任)单位[:：]\s*", "", u.strip())
            if u and u not in units:
                units.append(u)
    text = _UNITS.sub("", text).strip()
    parts: list[tuple[str, bool]] = []
    pending = ""
    for s in _sentences(text):
        plain = unicodedata.normalize("NFKC", s)
        if re.search(r"抄送[:：]|印发$", plain):
            break  # the document's closing lines (抄送, 印发), not part of the provision
        if len(parts) == 1 and parts[0][1] and not pending and _CAP_ONLY.search(plain):
            # 单个企业每年资助最高不超过1000万元。 after the article's one grant: its cap. (After several, it caps
            # them all: a limit, left to the drafter.)
            parts[0] = (parts[0][0] + s, True)
        elif _gives(s):
            parts.append((pending + s, True))
            pending = ""
        elif parts and parts[-1][1] and _REFERS_BACK.search(plain):
            parts[-1] = (parts[-1][0] + s, True)
        elif parts:
            pending += s  # the start of what follows: another grant's conditions, or text of its own
        else:
            pending += s
    if pending and parts:
        parts.append((pending, False))
    return parts, units, text


_AMOUNT = re.compile(
    r"\d+(?:\.\d+)?[万亿]?(?:元|/亩|/平方米)(?:/(?:亩|平方米))?(?: × \w+)?"
)  # 3万元, or 3万元/亩 × 园区面积


def _facts(rule: Rule) -> tuple[str, ...]:
    return tuple(c.split(" ", 1)[0] for c in rule.conditions)


def _same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two sentences bound the same facts, one naming them more fully (引进项目实际投资额, 项目实际投资额)."""
    return len(a) == len(b) and all(x.endswith(y) or y.endswith(x) for x, y in zip(a, b, strict=True))


def _dropped(run: list[Rule], short: list[str]) -> set[str]:
    """The longer names of facts a run of tiers now calls by their shortest."""
    return {name for r in run for name in _facts(r)} - set(short)


def _tiered(rules: list[Rule]) -> list[Rule]:
    """Consecutive sentences that each pay a fixed amount past thresholds on the same facts (达到50万元以上，给予
    3万元；达到80万元以上，给予8万元) are one clause in tiers: the highest tier reached applies."""
    out: list[Rule] = []
    run: list[Rule] = []

    def close() -> None:
        if len(run) >= 2:
            short = [min(names, key=len) for names in zip(*(_facts(r) for r in run), strict=True)]
            dropped = _dropped(run, short)
            for r in run:  # each fact under its shortest name, as in one sentence
                r.conditions = [" ".join([s, *c.split(" ")[1:]]) for s, c in zip(short, r.conditions, strict=True)]
            rows = [f"    {' 且 '.join(r.conditions)}: {r.grant}" for r in run]
            merged = Rule("".join(r.original for r in run), grant="tiers {\n" + "\n".join(rows) + "\n  }")
            merged.items = list(dict.fromkeys(item for r in run for item in r.items))
            merged.todos = [t for r in run for t in r.todos]
            merged.inputs = [i for i in {i.name: i for r in run for i in r.inputs}.values() if i.name not in dropped]
            out.append(merged)
        else:
            out.extend(run)
        run.clear()

    for rule in rules:
        fits = rule.grant is not None and _AMOUNT.fullmatch(rule.grant) is not None and not rule.caps
        if fits and rule.conditions and (not run or _same(_facts(run[-1]), _facts(rule))):
            run.append(rule)
            continue
        close()
        if fits and rule.conditions:
            run.append(rule)
        else:
            out.append(rule)
    close()
    return out


class _Writer:
    """Lines of the file, with the names declared so far so each input is declared once."""

    def __init__(self, demoted: frozenset[str] = frozenset()) -> None:
        self.demoted = demoted  # clauses the checker refused as drafted: written as measures with a todo
        self.inputs: dict[str, Input] = {}
        self.enums: dict[tuple[str, ...], str] = {}  # the members of each category table, and its name
        self.ids: set[str] = set()
        self.clauses = self.measures = self.todos = self.figures = 0

    def unique(self, name: str) -> str:
        out, n = name, 2
        while out in self.ids or out in self.inputs:
            out, n = f"{name}之{n}", n + 1
        self.ids.add(out)
        return out

    def provision(self, p: Provision) -> list[str]:
        parts, units, text = _pieces(p)
        base = name_of(p.title or "") or f"第{len(self.ids) + 1}项"
        if not parts:
            return self.measure(self.unique(base), p, text, units)
        out: list[str] = []
        rules = _tiered([draft_sentence(sentence) for sentence, money in parts if money])
        for i, rule in enumerate(rules):
            cid = self.unique(base if len(rules) == 1 else f"{base}{'之' + str(i + 1) if i else ''}")
            out += self.clause(cid, p, rule, units)
        for sentence, money in parts:
            if not money:  # text after the grants that is not about them: a measure of its own
                out += self.measure(self.unique(f"{base}其他"), p, sentence, units)
        return out

    def measure(self, mid: str, p: Provision, text: str, units: list[str]) -> list[str]:
        self.measures += 1
        out = [f'measure {mid} "{p.article}" {{', f"  original: {_quote(text)}", *self.units(units)]
        shown = [literal(f) for f in figures(text)]
        if shown:
            self.todos += 1
            self.figures += len(shown)
            out.append(f'  todo {", ".join(dict.fromkeys(shown))} "这些数字是目标、条件还是资助，未能确定"')
        return [*out, "}", ""]

    def units(self, units: list[str]) -> list[str]:
        if not units:
            return []
        out = [f'  lead: "{units[0]}"']
        if len(units) > 1:
            out.append("  responsible: " + ", ".join(f'"{u}"' for u in units[1:]))
        return out

    def clause(self, cid: str, p: Provision, rule: Rule, units: list[str]) -> list[str]:
        self.figures += len(figures(rule.original))
        if rule.grant is None or cid in self.demoted:
            # Money is given, but how much or how is not settled by the words: a measure that says so, not a
            # guessed grant.
            self.measures += 1
            self.todos += 1
            shown = ", ".join(dict.fromkeys(literal(f) for f in figures(rule.original)))
            todo = f"  todo {shown} " if shown else "  todo "
            return [
                f'measure {cid} "{p.article}" {{',
                f"  original: {_quote(rule.original)}",
                *self.units(units),
                todo + '"这句给予资金，但金额或方式未能从句中确定：请写成条款"',
                "}",
                "",
            ]
        self.clauses += 1
        for i in rule.inputs:
            self.inputs.setdefault(i.name, i)
        out = [f'clause {cid} "{p.article}" {{', f"  original: {_quote(rule.original)}", *self.units(units)]
        if rule.categories:
            members = tuple(rule.categories)
            if members not in self.enums:
                self.enums[members] = self.unique(f"{cid}类别")
            kind = self.enums[members]
            rule.grant = (rule.grant or "").replace("{类别}", kind)
            rule.caps = [c.replace("{类别}", kind) for c in rule.caps]
            self.todos += 1
            out.append(f'  todo "按类别给予：类别“{kind}”的名称和成员（{"、".join(members)}）请按原文核对"')
        for figs, why in rule.todos:
            self.todos += 1
            out.append(f'  todo {", ".join(figs)} "{why}"')
        if not rule.conditions:
            self.todos += 1
            out.append('  todo "支持对象和资格条件未能从句中读出，请补充 when 条件"')
        out += [f"  when {c}" for c in rule.conditions]
        out.append(f"  grant {rule.grant}")
        out += [f"  {c}" for c in rule.caps]
        out += [f"  {item}" for item in rule.items]
        return [*out, "}", ""]


def _header_lines(h: Header, name: str) -> list[str]:
    lines = [f"policy {name} {{", f'  title: "{h.title}"']
    for key, value in (("issuer", h.issuer), ("number", h.number), ("region", h.region)):
        if value:
            lines.append(f'  {key}: "{value}"')
    if h.level:
        lines.append(f"  level: {h.level}")
    lines.append(f"  status: {h.status or 'unknown'}")
    for key, value in (("effective", h.effective), ("expires", h.expires)):
        if value:
            lines.append(f"  {key}: {value}")
    if h.term:
        lines.append(f"  term: {h.term}")
    return [*lines, "}", ""]


def draft_text(text: str, name: str = "草稿") -> Draft:
    """The `.pol` file drafted from an original's text (deterministic: the same text gives the same bytes).

    A clause the checker refuses as drafted (a cap its grant can never reach: a sentence misread) is written
    again as a measure with a todo, so the draft always checks.
    """
    from pol.compiler.evaluate.pipeline import compile_text

    demoted: frozenset[str] = frozenset()
    for _ in range(3):
        draft = _draft(text, name, demoted)
        compiled = compile_text(draft.text, "draft.pol")
        lines = {d.span.line for d in compiled.diagnostics if d.severity == "error"}
        if not lines or compiled.policy is None:
            return draft
        refused = {c.id for c in compiled.policy.clauses if any(c.span.line <= n <= c.span.end_line for n in lines)}
        if not refused - demoted:
            return draft
        demoted |= refused
    return draft


def _draft(text: str, name: str, demoted: frozenset[str]) -> Draft:
    header = read_header(text)
    w = _Writer(demoted)
    body: list[str] = []
    for p in provisions(text):
        body += w.provision(p)
    open_header = [
        what for what, value in (("施行日期", header.effective or header.term), ("状态", header.status)) if not value
    ]
    lines = ["# 由 pol draft 从原文起草：每个 todo 都是原文未能确定之处，逐一核对后删去。", ""]
    lines += _header_lines(header, name_of(name) or "草稿")
    if open_header:
        w.todos += 1
        lines += [
            "measure 文件信息 {",
            f'  todo "原文未写明{"、".join(open_header)}：请核对后写入政策头"',
            "}",
            "",
        ]
    for members, kind in w.enums.items():
        lines.append(f"enum {kind} {{ {', '.join(members)} }}")
        lines.append(f"input {kind}: {kind}")
    for i in w.inputs.values():
        label = f' "{i.label}"' if i.label and i.label != i.name else ""
        default = " default 0" if i.name.startswith("已获") else ""
        lines.append(f"input {i.name}: {i.type}{label}{default}")
    if w.inputs:
        lines.append("")
    out = "\n".join(lines + body).rstrip() + "\n"
    return Draft(out, w.clauses, w.measures, w.todos, w.figures)


def rule_edit(text: str, line: int) -> tuple[int, int, str] | None:
    """For the clause or measure at a 1-based line whose original has no rule yet: the lines from its first to
    its last (inclusive) and what to put there, its original drafted as a rule (the editor's code action)."""
    from pol.dsl.parser import parse

    module = parse(text).module
    names = {d.name for d in module.decls if isinstance(d, (ast.InputDecl, ast.LetDecl, ast.EnumDecl))}
    for d in module.decls:
        if not isinstance(d, (ast.Clause, ast.Measure)) or not d.span.line <= line <= d.span.end_line:
            continue
        if d.original is None or (isinstance(d, ast.Clause) and d.grant is not None):
            return None
        rule = draft_sentence(d.original.value)
        if rule.grant is None or rule.categories:
            return None  # nothing the words settle, or a table whose categories need naming first
        lines = text.split("\n")[d.span.line - 1 : d.span.end_line]
        lines[0] = re.sub(r"^(\s*)(?:measure|措施)\b", r"\1clause", lines[0])
        body = [f'  todo {", ".join(figs)} "{why}"' for figs, why in rule.todos]
        body += [f"  when {c}" for c in rule.conditions] + [f"  grant {rule.grant}"]
        body += [f"  {c}" for c in rule.caps] + [f"  {item}" for item in rule.items]
        declared = [
            f"input {i.name}: {i.type}" + (" default 0" if i.name.startswith("已获") else "")
            for i in rule.inputs
            if i.name not in names
        ]
        closing = lines[-1].rstrip()
        assert closing.endswith("}")
        lines[-1] = closing[:-1].rstrip()
        new = [*declared, *([""] if declared else []), *[x for x in lines if x.strip()], *body, "}"]
        return d.span.line, d.span.end_line, "\n".join(new)
    return None
