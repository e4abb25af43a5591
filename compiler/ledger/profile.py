"""Evaluate an enterprise's profile across policies and years: a ledger of grants, cut by stacking rules and limits."""

from __future__ import annotations

import datetime
import operator
import types
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from pol.compiler.check import validity
from pol.compiler.check.checker import CheckedPolicy, names_in
from pol.compiler.check.scopes import RECEIVED_SCOPES, item_scope, period
from pol.compiler.check.vocabulary import LEVEL_RANK, LEVELS, OVERLAP
from pol.compiler.evaluate.pipeline import Compiled, load_evaluator, python_source
from pol.compiler.runtime import (
    FEN,
    MAX_TEXT,
    OUT_OF_FORCE,
    FactsError,
    bounded,
    few,
    format_money,
    format_quantity,
    parse_quantity_text,
    read_fact,
    shown,
    unknown_field,
)
from pol.dsl import ast

ZERO = Decimal(0)

# How each ledger status is shown.
LEDGER_STATUS = {
    "granted": "应得",
    "discretionary": "最高（金额待主管部门审定）",
    "case_by_case": "一事一议",
    "not_eligible": "不符合条件",
    "needs_facts": "需补充信息",
    "expired": "政策已失效",
    "not_yet_effective": "政策尚未施行",
    "external": "已获（外部）",
}


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


@attrs.frozen
class Origin:
    """What a ledger entry is paid under: a clause of a bundled policy, or a grant the profile records from elsewhere."""

    name: str  # how explanations name it: the policy's title and article, or where the grant came from
    subject: str | None
    region: str | None
    level: str | None  # 国家级, 省级, 市级, 区级 or 县级
    exclusive: str | None  # the reason, when the grant may not be combined with another for the same thing
    best_only: bool  # 从优就高不重复 with grants of the same region
    policy: Policy | None = None  # None for a grant from outside the bundle
    clause: ast.Clause | None = None

    @classmethod
    def of_clause(cls, pol: Policy, clause: ast.Clause) -> Origin:
        return cls(
            name=f"{pol.title}{' ' + clause.article if clause.article else ''}",
            subject=clause.subject.id if clause.subject else None,
            region=pol.region,
            level=pol.level,
            exclusive=(clause.exclusive.value or "不可重复享受") if clause.exclusive is not None else None,
            best_only=pol.best_only,
            policy=pol,
            clause=clause,
        )

    def is_clause(self, pol: Policy, clause_ids: set[str] | None = None) -> bool:
        """Whether this is one of `pol`'s clauses (any of them when `clause_ids` is None)."""
        return self.policy is pol and self.clause is not None and (clause_ids is None or self.clause.id in clause_ids)


@attrs.define
class Entry:
    """One line of the ledger: an event evaluated under one clause, what it would give and what it gets."""

    index: int  # the event's position in the profile (in `received` for a grant from elsewhere)
    date: datetime.date
    origin: Origin
    item: str | None
    status: str  # granted | discretionary | case_by_case | not_eligible | needs_facts | expired | not_yet_effective | external
    computed: Decimal  # what the clause gives on its own (a maximum when discretionary)
    amount: Decimal  # after stacking rules and limits
    explanation: list[str]
    cuts: list[str] = attrs.Factory(list)
    once_key: Any = None  # for a clause paid once per value of a fact (once by …), that fact's value
    quantities: dict[str, Decimal] = attrs.Factory(dict)  # facts that `received … of` sums over grants
    seq: int = 0  # its place in the ledger, set when it is added

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def subject(self) -> str | None:
        return self.origin.subject

    @property
    def counts(self) -> bool:
        """Whether the entry is money the enterprise has or may get, so later rules must see it."""
        return self.status in ("granted", "discretionary", "external") and self.amount > 0

    def to_json(self) -> dict[str, Any]:
        o = self.origin
        return {
            "event": self.index if o.policy is not None else None,
            "received": self.index if o.policy is None else None,
            "date": self.date.isoformat(),
            "year": self.year,
            "policy": o.policy.key if o.policy else None,
            "clause": o.clause.id if o.clause else None,
            "article": o.clause.article if o.clause else None,
            "source": o.name if o.policy is None else None,
            "item": self.item,
            "subject": self.subject,
            "status": self.status,
            "computed": _fen(self.computed),
            "amount": _fen(self.amount),
            "cuts": list(self.cuts),
            "explanation": list(self.explanation),
        }


@attrs.define
class Ledger:
    """Every event of a profile, in date order, with the amount each gets after the combination rules."""

    enterprise: str
    entries: list[Entry]

    def years(self) -> list[int]:
        return sorted({e.year for e in self.entries})

    def total(self, year: int, status: str) -> Decimal:
        return sum((e.amount for e in self.entries if e.year == year and e.status == status), ZERO)

    def to_json(self) -> dict[str, Any]:
        return {
            "enterprise": self.enterprise,
            "entries": [e.to_json() for e in self.entries],
            "years": {
                str(y): {
                    "granted": _fen(self.total(y, "granted")),
                    "discretionary_maximum": _fen(self.total(y, "discretionary")),
                }
                for y in self.years()
            },
        }


def _fen(value: Decimal) -> str:
    """Money in JSON as the evaluators write it: a string of 元 with two decimals."""
    return str(value.quantize(FEN))


# ---------------------------------------------------------------- reading the profile


def _object(value: Any, where: str, problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where}: expected an object, got {type(value).__name__}")
        return {}
    return value


def _date(value: Any, where: str, problems: list[str]) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: expected a date such as 2022-05-10, got {value!r}")
        return None


@attrs.frozen
class Event:
    """One thing that happened to the enterprise, to be evaluated under one clause."""

    index: int
    date: datetime.date
    policy: Policy
    clause: ast.Clause
    item: str | None
    facts: dict[str, Any]
    awarded: Any


@attrs.frozen
class External:
    """A grant received from a policy outside the bundle, which stacking rules and `received local` still see."""

    index: int
    date: datetime.date
    item: str | None
    amount: Decimal
    origin: Origin


@attrs.frozen
class Profile:
    """An enterprise's profile, checked: where it is, its facts, its items, and what happened to it."""

    enterprise: str
    regions: tuple[str, ...]  # where the enterprise is, e.g. ("江苏省", "苏州市"); empty when not said
    facts: dict[str, Any]
    items: dict[str, dict[str, Any]]
    events: list[Event]
    externals: list[External]

    def covers(self, pol: Policy) -> bool:
        """Whether the policy's region is one the enterprise is in (always, when either does not say)."""
        return not self.regions or pol.region is None or pol.region in self.regions


PROFILE_FIELDS = ("enterprise", "regions", "facts", "items", "events", "received")
EVENT_FIELDS = ("date", "policy", "clause", "item", "facts", "awarded", "note")
RECEIVED_FIELDS = ("date", "item", "amount", "subject", "source", "region", "level", "note")


def _fields(value: dict[str, Any], allowed: tuple[str, ...], what: str, where: str, problems: list[str]) -> None:
    for key in value:
        if key not in allowed:
            problems.append(f"{where}{key}: not a field of {what} ({', '.join(f for f in allowed if f != 'note')})")


def read_profile(raw: Any, policies: dict[str, Policy]) -> Profile:
    """Check a profile's shape and references; raises ProfileError naming every problem at once."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ProfileError([f"the profile must be an object, got {type(raw).__name__}"])
    _fields(raw, PROFILE_FIELDS, "a profile", "", problems)
    enterprise = str(raw.get("enterprise", ""))
    regions = raw.get("regions", [])
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        problems.append('regions: expected a list of places such as ["江苏省", "苏州市"]')
        regions = []
    known = {name for pol in policies.values() for name in pol.module.INPUTS}

    def unknown(facts: dict[str, Any], where: str, only: Policy | None = None) -> None:
        """Every fact checked up front against each policy that reads it, so no bad value waits for an event."""
        for name, value in facts.items():
            readers = [only] if only else [p for p in policies.values() if name in p.module.INPUTS]
            if not readers or name not in readers[0].module.INPUTS:
                # A misspelt fact would otherwise be left out silently and its clause reported as needing it.
                problems.append(
                    f"{where}."
                    + unknown_field(
                        name,
                        only.module.INPUTS if only else known,
                        f"not an input of {only.key if only else 'any of the policies given'}",
                        len(problems),
                    )
                )
                continue
            for pol in readers:
                spec = pol.module.INPUTS[name]
                try:
                    if value is not None:
                        read_fact(spec, value)
                except ValueError as exc:
                    problems.append(f"{where}.{name} ({spec.label}): {exc}")
                    break

    facts = _object(raw.get("facts"), "facts", problems)
    unknown(facts, "facts")
    items: dict[str, dict[str, Any]] = {}
    for name, item in _object(raw.get("items"), "items", problems).items():
        body = _object(item, f"items.{name}", problems)
        _fields(body, ("name", "facts"), "an item", f"items.{name}.", problems)
        items[name] = _object(body.get("facts"), f"items.{name}.facts", problems)
        unknown(items[name], f"items.{name}.facts")
    profile = Profile(enterprise, tuple(regions), facts, items, [], [])
    for i, ev in enumerate(_list(raw, "events", "a list of events", problems)):
        where = f"events[{i}]"
        ev = _object(ev, where, problems)
        _fields(ev, EVENT_FIELDS, "an event", f"{where}.", problems)
        day = _date(ev.get("date"), f"{where}.date", problems)
        pol = policies.get(str(ev.get("policy")))
        if pol is None:
            problems.append(
                f"{where}.policy: {ev.get('policy')!r} is not one of the policies ({', '.join(sorted(policies))})"
            )
            continue
        if not profile.covers(pol):
            problems.append(
                f"{where}.policy: {pol.key} covers {pol.region}, which is not among the enterprise's "
                f"regions ({', '.join(profile.regions)})"
            )
        clause = pol.clause(str(ev.get("clause")))
        if clause is None:
            problems.append(f"{where}.clause: {ev.get('clause')!r} is not a clause of {pol.key}")
            continue
        item = _item(ev.get("item"), items, f"{where}.item", problems)
        own = _object(ev.get("facts"), f"{where}.facts", problems)
        unknown(own, f"{where}.facts", pol)
        if day is not None:
            profile.events.append(Event(i, day, pol, clause, item, own, ev.get("awarded")))
    for i, rec in enumerate(_list(raw, "received", "a list of grants received elsewhere", problems)):
        where = f"received[{i}]"
        rec = _object(rec, where, problems)
        _fields(rec, RECEIVED_FIELDS, "a grant received elsewhere", f"{where}.", problems)
        day = _date(rec.get("date"), f"{where}.date", problems)
        try:
            amount = _money(rec.get("amount"))
        except ValueError as exc:
            problems.append(f"{where}.amount: {exc}")
            continue
        if (
            not isinstance(rec.get("subject"), str)
            or not isinstance(rec.get("source"), str)
            or not rec["subject"]
            or not rec["source"]
        ):
            problems.append(f"{where}: a grant received elsewhere needs its subject and source")
            continue
        level = rec.get("level")
        if level is not None and (not isinstance(level, str) or level not in LEVELS):
            problems.append(
                f"{where}.level: {level!r} is not a level of government ({', '.join(dict.fromkeys(LEVELS.values()))})"
            )
            level = None
        item = _item(rec.get("item"), items, f"{where}.item", problems)
        origin = Origin(
            name=str(rec["source"]),
            subject=str(rec["subject"]),
            region=str(rec["region"]) if rec.get("region") else None,
            level=LEVELS[level] if level else None,
            exclusive=None,
            best_only=False,
        )
        if day is not None:
            profile.externals.append(External(i, day, item, amount, origin))
    if problems:
        raise ProfileError(few(problems))
    return profile


def _item(value: Any, items: dict[str, Any], where: str, problems: list[str]) -> str | None:
    """The name of one of the profile's items, or None (with the problem noted) when it is not one."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in items:
        problems.append(f"{where}: {shown(value)} is not one of the profile's items")
        return None
    return value


def _list(raw: dict[str, Any], key: str, what: str, problems: list[str]) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        problems.append(f"{key}: expected {what}")
        return []
    return value


def _money(raw: Any) -> Decimal:
    if isinstance(raw, bool) or isinstance(raw, float) or raw is None:
        raise ValueError(f'expected an amount of money such as "300万", got {raw!r}')
    if isinstance(raw, (int, Decimal)):
        value = Decimal(raw)
    elif not isinstance(raw, str) or len(raw) > MAX_TEXT:
        raise ValueError(f'expected an amount of money such as "300万", got {shown(raw)}')
    else:
        value, kind, currency, _ = parse_quantity_text(raw)
        if kind != "money" or currency not in (None, "CNY"):
            raise ValueError(f"expected an amount in 元, got {shown(raw)}")
    return bounded(value, raw)


# ---------------------------------------------------------------- evaluating


_ANY = object()  # in _Sums: any item, or any year


def _periods(day: datetime.date) -> tuple[Any, ...]:
    """The periods a day counts in for scoped sums: its year, its quarter, and all time."""
    return (day.year, (day.year, (day.month - 1) // 3 + 1), _ANY)


class _Sums:
    """Running totals of the ledger's counting entries by group, each also split by item, by period and both."""

    def __init__(self) -> None:
        self.totals: dict[tuple[Any, Any, Any], Decimal] = {}

    def add(self, group: Any, item: str | None, day: datetime.date, amount: Decimal) -> None:
        for i in (item, _ANY):
            for p in _periods(day):
                self.totals[(group, i, p)] = self.totals.get((group, i, p), ZERO) + amount

    def get(self, group: Any, item: Any = _ANY, period: Any = _ANY) -> Decimal:
        return self.totals.get((group, item, period), ZERO)


_COMPARE = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def _reading(e: ast.Expr) -> str:
    from pol.compiler.check.chinese import expr

    return expr(e)


class _Evaluator:
    """Takes a profile's events in date order into the ledger, with indexes so each event costs the same."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.entries: list[Entry] = []
        # What later events read of earlier ones, kept as entries arrive so a long profile stays linear:
        self.sums = _Sums()  # amounts by clause, policy and level of government, for `received`
        # 一次性 and 期限: each clause's first grant to an enterprise or item, and per value of its `once by` fact.
        self.first: dict[tuple[int, str, str | None], Entry] = {}
        self.first_by_key: dict[tuple[tuple[int, str, str | None], Any], Entry] = {}
        # Overlaps: by (subject, item), any year, each origin's entries apart, so a clause's own grants are
        # skipped at once.
        self.by_subject: dict[tuple[str, str | None], dict[tuple[int, int], list[Entry]]] = {}
        self._used: dict[tuple[int, str], set[str]] = {}
        # `earlier` inputs (首次突破): for each policy and input, the years whose events met the comparison,
        # by item (None: any item), found in one pass over the profile when first asked.
        self._met: dict[tuple[int, str], dict[str | None, list[int]]] = {}

    def append(self, entry: Entry) -> None:
        """Add an entry to the ledger and, if it counts, to the indexes."""
        entry.seq = len(self.entries)
        self.entries.append(entry)
        if not entry.counts:
            return
        o = entry.origin
        if o.level is not None:
            self.sums.add(("level", o.level), entry.item, entry.date, entry.amount)
        if o.policy is not None and o.clause is not None:
            self.sums.add(("policy", id(o.policy)), entry.item, entry.date, entry.amount)
            self.sums.add(("clause", id(o.policy), o.clause.id), entry.item, entry.date, entry.amount)
            key = (id(o.policy), o.clause.id, entry.item)
            for name, value in entry.quantities.items():
                self.sums.add(("of", id(o.policy), name), entry.item, entry.date, value)
                self.sums.add(("of", id(o.policy), o.clause.id, name), entry.item, entry.date, value)
            self.first.setdefault(key, entry)  # entries arrive in date order: the first is the earliest
            self.first_by_key.setdefault((key, entry.once_key), entry)
        if entry.subject is not None:
            groups = self.by_subject.setdefault((entry.subject, entry.item), {})
            groups.setdefault((id(o.policy), id(o.clause)), []).append(entry)

    def received(self, pol: Policy, decl: ast.InputDecl, ev: Event) -> Decimal:
        """The ledger's sum for an input declared `received …`: the listed clauses, or lower levels', in scope."""
        r = decl.received
        assert r is not None
        wanted = {n.id for n in r.clauses} or None
        scopes = {RECEIVED_SCOPES[s] for s in r.scopes}  # the checker accepted every spelling
        own_rank = LEVEL_RANK.get(pol.level or "", 99)
        item = ev.item if item_scope(scopes) else _ANY
        year, quarter, _ = _periods(ev.date)
        year = {"每年": year, "每季度": quarter}.get(period(scopes) or "", _ANY)
        if r.local:
            # 地方: a lower level of government's grant (a city's or district's for a province's matching).
            return sum(
                (self.sums.get(("level", level), item, year) for level, rank in LEVEL_RANK.items() if rank > own_rank),
                ZERO,
            )
        if r.of is not None:  # a fact summed over the earlier grants, such as the area already subsidised
            if wanted is None:
                return self.sums.get(("of", id(pol), r.of.id), item, year)
            return sum((self.sums.get(("of", id(pol), cid, r.of.id), item, year) for cid in sorted(wanted)), ZERO)
        if wanted is None:
            return self.sums.get(("policy", id(pol)), item, year)
        return sum((self.sums.get(("clause", id(pol), cid), item, year) for cid in sorted(wanted)), ZERO)

    def used(self, ev: Event) -> set[str]:
        """The names the event's clause reads, with those of the document limits covering it."""
        key = (id(ev.policy), ev.clause.id)
        if key not in self._used:
            self._used[key] = self._reads(ev)
        return self._used[key]

    @staticmethod
    def _reads(ev: Event) -> set[str]:
        c = ev.clause
        nodes: list[object] = [c.conditions, c.grant, c.caps, c.offsets]
        nodes += [
            lim.value for lim in ev.policy.policy.limits if not lim.clauses or any(n.id == c.id for n in lim.clauses)
        ]
        used = set(names_in(tuple(n for n in nodes if n is not None)))
        for name in list(used):
            if name in ev.policy.policy.lets:
                used |= set(names_in(ev.policy.policy.lets[name][1].expr))
        return used

    def met_before(self, pol: Policy, name: str, decl: ast.InputDecl, ev: Event) -> int | None:
        """The first earlier year in which an event of this policy (of the same item, if the event has one)
        met the `earlier` comparison of an input, or None."""
        key = (id(pol), name)
        if key not in self._met:
            assert decl.earlier is not None and isinstance(decl.earlier.condition, ast.Compare)
            cond = decl.earlier.condition
            assert isinstance(cond.left, ast.Name) and isinstance(cond.right, ast.Quantity)
            spec, bound, compare = pol.module.INPUTS[cond.left.id], cond.right.value, _COMPARE[cond.op]
            met: dict[str | None, list[int]] = {}
            p = self.profile
            for other in p.events:
                if other.policy is not pol:
                    continue
                merged = {**p.facts, **(p.items.get(other.item, {}) if other.item else {}), **other.facts}
                raw = merged.get(cond.left.id, spec.default)
                try:
                    value = None if raw is None else read_fact(spec, raw)
                except ValueError:
                    continue  # the event's own evaluation reports a fact it cannot read
                if value is not None and compare(value, bound):
                    for where in {other.item, None}:
                        met.setdefault(where, []).append(other.date.year)
            self._met[key] = met
        years = [y for y in self._met[key].get(ev.item, []) if y < ev.date.year]
        return min(years) if years else None

    def facts_for(self, ev: Event) -> tuple[dict[str, Any], list[str]]:
        inputs = ev.policy.module.INPUTS
        p = self.profile
        merged = {**p.facts, **(p.items.get(ev.item, {}) if ev.item else {}), **ev.facts}
        mine = {k: v for k, v in merged.items() if k in inputs}
        notes = []
        used = self.used(ev)
        for name, (_, decl) in ev.policy.policy.inputs.items():
            if decl.earlier is not None and name in used and name not in mine:
                year = self.met_before(ev.policy, name, decl, ev)
                mine[name] = year is not None
                if year is not None:
                    notes.append(
                        f"{decl.label or name}：台账中 {year} 年的事项已符合“{_reading(decl.earlier.condition)}”"
                    )
            if decl.received is None or name not in used:
                continue
            from_ledger = self.received(ev.policy, decl, ev)
            if from_ledger:
                spec = ev.policy.module.INPUTS[name]
                before = mine.get(name, 0)
                stated = (_money(before) if decl.received.of is None else read_fact(spec, before)) if before else ZERO
                mine[name] = from_ledger + stated

                def shown(v: Decimal, spec: Any = spec) -> str:
                    return format_quantity(v, spec.kind, spec.currency, spec.area)

                notes.append(
                    f"{decl.label or name}：台账中已获 {shown(from_ledger)}"
                    + (f"，另有档案所记 {shown(stated)}" if before else "")
                )
        return mine, notes

    def run(self, ev: Event) -> Entry:
        pol, clause = ev.policy, ev.clause
        origin = Origin.of_clause(pol, clause)
        outside = validity.outside(pol.policy.header, ev.date)
        if outside is not None:
            status, why = outside
            where = "有效期外" if status != "not_eligible" else "规定时限外"
            return Entry(ev.index, ev.date, origin, ev.item, status, ZERO, ZERO, [f"事项发生在政策{where}：{why}"])
        facts, notes = self.facts_for(ev)
        try:
            evaluation = pol.module.evaluate(facts, as_of=ev.date, clauses={clause.id})
        except FactsError as exc:
            raise ProfileError([f"events[{ev.index}] ({pol.key} {clause.id}): {p}" for p in exc.problems]) from None
        result = evaluation.results[0]
        explanation = notes + list(result.explanation)
        if result.status == "granted":
            computed = result.amount or ZERO
        elif result.status in ("discretionary", "case_by_case") and result.max_amount is not None:
            computed = result.max_amount
        else:
            return Entry(ev.index, ev.date, origin, ev.item, result.status, ZERO, ZERO, explanation)
        status = "granted" if result.status == "granted" else "discretionary"
        amount = computed
        if ev.awarded is not None and status == "discretionary":
            try:
                awarded = _money(ev.awarded)
            except ValueError as exc:
                raise ProfileError([f"events[{ev.index}].awarded: {exc}"]) from None
            if awarded > computed:
                raise ProfileError(
                    [
                        f"events[{ev.index}].awarded: {format_money(awarded)} is more than the clause's "
                        f"maximum {format_money(computed)}"
                    ]
                )
            amount, status = awarded, "granted"
            explanation.append(f"主管部门审定金额 {format_money(awarded)}")
        entry = Entry(ev.index, ev.date, origin, ev.item, status, computed, amount, explanation)
        for name in _summed(pol):
            raw = facts.get(name, pol.module.INPUTS[name].default)
            if raw is not None:
                entry.quantities[name] = read_fact(pol.module.INPUTS[name], raw)
        if clause.once is not None and clause.once.key is not None:
            key = clause.once.key.id
            raw = facts.get(key, pol.module.INPUTS[key].default)
            entry.once_key = None if raw is None else read_fact(pol.module.INPUTS[key], raw)
        self.schedule(entry, ev)
        self.stack(entry)
        self.limit(entry, evaluation.limits)
        return entry

    def schedule(self, entry: Entry, ev: Event) -> None:
        """一次性 and 期限N年: a clause's own earlier grants to the same enterprise (and item) in the ledger."""
        clause = ev.clause
        if clause.once is None and clause.duration is None:
            return
        what = f"该{'品种或项目' if ev.item else '企业'}"
        key = (id(ev.policy), clause.id, ev.item)
        first = self.first.get(key)
        once = clause.once
        if once is not None:
            e = first if once.key is None else self.first_by_key.get((key, entry.once_key))
            if e is not None:
                same = f"（{once.key.id}为{e.once_key}）" if once.key is not None else ""
                self._cut(
                    entry,
                    ZERO,
                    f"一次性给予：{what}已于 {e.date.isoformat()} 获得本项{same} "
                    f"{format_money(e.amount)}，不再重复给予",
                )
                return
        if clause.duration is not None and first is not None:
            years = int(clause.duration.value)
            first_year = first.year
            if entry.year >= first_year + years:
                self._cut(
                    entry,
                    ZERO,
                    f"支持期限{years}年：{what}自 {first_year} 年起获得本项支持，至 {first_year + years - 1} 年止，"
                    f"{entry.year} 年已超出期限",
                )

    def stack(self, entry: Entry) -> None:
        """从优、就高、不重复 and 不可重复享受 against earlier grants for the same subject and item."""
        if entry.subject is None:
            return
        mine = entry.origin
        # The same thing paid twice: same subject, same product or project, in any year and at any level
        # (the texts set no year limit on 不重复). A clause's own schedule (phase I, then phase II) is its
        # caps' business, not an overlap.
        groups = self.by_subject.get((entry.subject, entry.item), {})
        mine_key = (id(mine.policy), id(mine.clause))
        # Earlier entries in the order they were made, leaving out this clause's own.
        others = sorted((e for key, group in groups.items() if key != mine_key for e in group), key=lambda e: e.seq)
        for earlier in others:
            theirs = earlier.origin
            reason = mine.exclusive or theirs.exclusive
            if reason is not None:
                self._cut(
                    entry,
                    ZERO,
                    f"{reason}：同一事项（{entry.subject}）已获{theirs.name} "
                    f"{format_money(earlier.amount)}，本项不再享受",
                )
                return
            same_region = theirs.region is not None and theirs.region == mine.region
            if same_region and (mine.best_only or theirs.best_only):
                rest = max(entry.amount - earlier.amount, ZERO)
                self._cut(
                    entry,
                    rest,
                    f"按“从优、就高、不重复”原则：同一事项（{entry.subject}）已获{theirs.name} "
                    f"{format_money(earlier.amount)}，本项只补足差额，为 {format_money(rest)}",
                )

    def limit(self, entry: Entry, limits: tuple[Any, ...]) -> None:
        """A document's limits, such as 8000万 per enterprise per year, net of what the ledger already holds."""
        assert entry.origin.clause is not None
        for lim in limits:
            if lim.clauses is not None and entry.origin.clause.id not in lim.clauses:
                continue
            room = max(lim.amount, ZERO)
            if entry.amount > room:
                spent = "已获金额已超过上限，余额按 0元 计" if lim.amount < 0 else f"为 {format_money(room)}"
                self._cut(
                    entry,
                    room,
                    f"{lim.label}{spent}，本项由 {format_money(entry.amount)} 核减为 {format_money(room)}",
                )

    def _cut(self, entry: Entry, to: Decimal, why: str) -> None:
        if to < entry.amount:
            entry.amount = to
            entry.cuts.append(why)
            entry.explanation.append(why)


def _summed(pol: Policy) -> tuple[str, ...]:
    """The facts of the policy that a `received … of` input sums over earlier grants."""
    return tuple(
        sorted({d.received.of.id for _, d in pol.policy.inputs.values() if d.received and d.received.of is not None})
    )


def evaluate_profile(raw: Any, policies: dict[str, Policy], as_of: datetime.date | None = None) -> Ledger:
    """Evaluate every event of a profile in date order, keeping a ledger that later events and limits read.

    With `as_of`, events after that day are left out: the ledger as it stood then.
    """
    profile = read_profile(raw, policies)
    events, externals = profile.events, profile.externals
    if as_of is not None:
        events = [e for e in events if e.date <= as_of]
        externals = [x for x in externals if x.date <= as_of]
    ev = _Evaluator(profile)
    happenings: list[Event | External] = [*events, *externals]
    # Grants received elsewhere on a day come before that day's events, which must see them.
    happenings.sort(key=lambda h: (h.date, 0 if isinstance(h, External) else 1, h.index))
    for h in happenings:
        if isinstance(h, External):
            ev.append(
                Entry(
                    h.index,
                    h.date,
                    h.origin,
                    h.item,
                    "external",
                    h.amount,
                    h.amount,
                    [f"档案记载：已获{h.origin.name} {format_money(h.amount)}"],
                )
            )
        else:
            ev.append(ev.run(h))
    return Ledger(profile.enterprise, ev.entries)


# ---------------------------------------------------------------- matching


@attrs.frozen
class Match:
    """A clause the enterprise may qualify for, what is still missing, and whether data alone decides it."""

    policy: Policy
    clause: ast.Clause
    status: str
    amount: Decimal | None
    missing: tuple[str, ...]

    @property
    def automatic(self) -> bool:
        """免申即享: the facts decide eligibility and the amount, with no review of a maximum or a range."""
        return self.status == "granted" and self.clause.grant is not None and self.clause.grant.mode == "exact"

    @property
    def verdict(self) -> str:
        if self.status == "needs_facts":
            return "尚缺信息：" + "、".join(self.missing)
        if self.automatic:
            return "可免申即享：数据齐全，金额可直接计算"
        if self.status == "granted":
            return "符合条件"
        return "可能符合：需申请，由主管部门审定金额"

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy.key,
            "clause": self.clause.id,
            "article": self.clause.article,
            "status": self.status,
            "amount": None if self.amount is None else _fen(self.amount),
            "missing": list(self.missing),
            "automatic": self.automatic,
            "verdict": self.verdict,
        }


def match(raw: Any, policies: dict[str, Policy], as_of: datetime.date, item: str | None = None) -> list[Match]:
    """Every clause in force on `as_of`, in the enterprise's regions, that it (or one of its items) may qualify for."""
    profile = read_profile(raw, policies)
    if item is not None and item not in profile.items:
        raise ProfileError([f"--item: {item!r} is not one of the profile's items ({', '.join(sorted(profile.items))})"])
    merged = {**profile.facts, **(profile.items.get(item, {}) if item else {})}
    found: list[Match] = []
    for pol in policies.values():
        if not profile.covers(pol):
            continue
        if validity.outside(pol.policy.header, as_of) is not None or pol.policy.header.get("status") == "征求意见稿":
            continue
        mine = {k: v for k, v in merged.items() if k in pol.module.INPUTS}
        try:
            evaluation = pol.module.evaluate(mine, as_of=as_of)
        except FactsError as exc:
            raise ProfileError([f"facts ({pol.key}): {p}" for p in exc.problems]) from None
        for result in evaluation.results:
            if result.status in ("not_eligible", *OUT_OF_FORCE):
                continue
            clause = pol.clause(result.id)
            assert clause is not None
            amount = result.amount if result.status == "granted" else result.max_amount
            found.append(Match(pol, clause, result.status, amount, tuple(result.missing)))
    return found
