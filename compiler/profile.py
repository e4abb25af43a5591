"""Evaluate an enterprise's profile across policies and years: a ledger of grants, cut by stacking rules and limits."""

from __future__ import annotations

import datetime
import types
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from compiler import validity
from compiler.checker import OVERLAP, RECEIVED_SCOPES, CheckedPolicy, names_in
from compiler.pipeline import Compiled, load_evaluator, python_source
from compiler.runtime import FEN, FactsError, format_money, parse_quantity_text
from dsl import ast
from dsl.source import Span

ZERO = Decimal(0)

# How each ledger status is shown.
LEDGER_STATUS = {
    "granted": "应得", "discretionary": "最高（金额待主管部门审定）", "case_by_case": "一事一议", "not_eligible": "不符合条件",
    "needs_facts": "需补充信息", "out_of_force": "不在有效期内", "external": "已获（外部）",
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
    def best_only(self) -> bool:
        return self.policy.header.get("overlap") == OVERLAP["best"]

    def clause(self, cid: str) -> ast.Clause | None:
        return next((c for c in self.policy.clauses if c.id == cid), None)


def load_policies(compiled: list[Compiled]) -> dict[str, Policy]:
    """Compile every checked policy's evaluator once, keyed by file stem."""
    out = {}
    for c in compiled:
        assert c.policy is not None
        key = Path(c.source.path).stem
        out[key] = Policy(key, c.policy, load_evaluator(python_source(c), f"pol_{len(out)}"))
    return out


@attrs.define
class Entry:
    """One line of the ledger: an event evaluated under one clause, what it would give and what it gets."""

    index: int  # the event's position in the profile
    date: datetime.date
    policy: Policy
    clause: ast.Clause
    item: str | None
    status: str  # granted | discretionary | case_by_case | not_eligible | needs_facts | out_of_force | external
    computed: Decimal  # what the clause gives on its own (a maximum when discretionary)
    amount: Decimal  # after stacking rules and limits
    explanation: list[str]
    cuts: list[str] = attrs.Factory(list)
    source: str | None = None  # for grants from outside the bundled policies

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def subject(self) -> str | None:
        return self.clause.subject.id if self.clause.subject else None

    @property
    def counts(self) -> bool:
        """Whether the entry is money the enterprise has or may get, so later rules must see it."""
        return self.status in ("granted", "discretionary", "external") and self.amount > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.index, "date": self.date.isoformat(), "year": self.year,
            "policy": self.policy.key if self.status != "external" else None, "clause": self.clause.id,
            "article": self.clause.article, "item": self.item, "subject": self.subject, "status": self.status,
            "computed": _fen(self.computed), "amount": _fen(self.amount), "cuts": list(self.cuts),
            "explanation": list(self.explanation), "source": self.source,
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
            "years": {str(y): {"granted": _fen(self.total(y, "granted")),
                               "discretionary_maximum": _fen(self.total(y, "discretionary"))} for y in self.years()},
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
    """A grant received from a policy outside the bundle, which stacking rules must still see."""

    index: int
    date: datetime.date
    item: str | None
    subject: str
    region: str | None
    amount: Decimal
    source: str


def read_profile(raw: Any, policies: dict[str, Policy]) -> tuple[str, dict[str, Any], dict[str, dict[str, Any]],
                                                                  list[Event], list[External]]:
    """Check a profile's shape and references; raises ProfileError naming every problem at once."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ProfileError([f"the profile must be an object, got {type(raw).__name__}"])
    for key in raw:
        if key not in ("enterprise", "facts", "items", "events", "received"):
            problems.append(f"{key}: not a field of a profile (enterprise, facts, items, events, received)")
    enterprise = str(raw.get("enterprise", ""))
    facts = _object(raw.get("facts"), "facts", problems)
    items: dict[str, dict[str, Any]] = {}
    for name, item in _object(raw.get("items"), "items", problems).items():
        body = _object(item, f"items.{name}", problems)
        items[name] = _object(body.get("facts"), f"items.{name}.facts", problems)
    events: list[Event] = []
    raw_events = raw.get("events", [])
    if not isinstance(raw_events, list):
        problems.append("events: expected a list of events")
        raw_events = []
    for i, ev in enumerate(raw_events):
        where = f"events[{i}]"
        ev = _object(ev, where, problems)
        for key in ev:
            if key not in ("date", "policy", "clause", "item", "facts", "awarded", "note"):
                problems.append(f"{where}.{key}: not a field of an event (date, policy, clause, item, facts, awarded)")
        day = _date(ev.get("date"), f"{where}.date", problems)
        pol = policies.get(str(ev.get("policy")))
        if pol is None:
            problems.append(f"{where}.policy: {ev.get('policy')!r} is not one of the policies "
                            f"({', '.join(sorted(policies))})")
            continue
        clause = pol.clause(str(ev.get("clause")))
        if clause is None:
            problems.append(f"{where}.clause: {ev.get('clause')!r} is not a clause of {pol.key}")
            continue
        item = ev.get("item")
        if item is not None and item not in items:
            problems.append(f"{where}.item: {item!r} is not one of the profile's items")
        if day is not None:
            events.append(Event(i, day, pol, clause, item, _object(ev.get("facts"), f"{where}.facts", problems),
                                ev.get("awarded")))
    externals: list[External] = []
    raw_received = raw.get("received", [])
    if not isinstance(raw_received, list):
        problems.append("received: expected a list of grants received elsewhere")
        raw_received = []
    for i, rec in enumerate(raw_received):
        where = f"received[{i}]"
        rec = _object(rec, where, problems)
        day = _date(rec.get("date"), f"{where}.date", problems)
        try:
            amount = _money(rec.get("amount"))
        except ValueError as exc:
            problems.append(f"{where}.amount: {exc}")
            continue
        if not rec.get("subject") or not rec.get("source"):
            problems.append(f"{where}: a grant received elsewhere needs its subject and source")
            continue
        if day is not None:
            externals.append(External(i, day, rec.get("item"), str(rec["subject"]), rec.get("region"), amount,
                                      str(rec["source"])))
    if problems:
        raise ProfileError(problems)
    return enterprise, facts, items, events, externals


def _money(raw: Any) -> Decimal:
    if isinstance(raw, bool) or isinstance(raw, float) or raw is None:
        raise ValueError(f"expected an amount of money such as \"300万\", got {raw!r}")
    if isinstance(raw, (int, Decimal)):
        value = Decimal(raw)
    else:
        value, kind, currency, _ = parse_quantity_text(str(raw).strip())
        if kind != "money" or currency not in (None, "CNY"):
            raise ValueError(f"expected an amount in 元, got {raw!r}")
    if value < 0:
        raise ValueError(f"must not be negative, got {raw!r}")
    return Decimal(value)


# ---------------------------------------------------------------- evaluating


class _Evaluator:
    def __init__(self, enterprise: str, facts: dict[str, Any], items: dict[str, dict[str, Any]]):
        self.enterprise, self.facts, self.items = enterprise, facts, items
        self.entries: list[Entry] = []

    def received(self, pol: Policy, decl: ast.InputDecl, ev: Event) -> Decimal:
        """The ledger's sum for an input declared `received …`: same policy, listed clauses, in scope."""
        r = decl.received
        assert r is not None
        wanted = {n.id for n in r.clauses}
        scopes = {RECEIVED_SCOPES[s] for s in r.scopes}  # the checker accepted every spelling
        same_item = bool(scopes & {RECEIVED_SCOPES["product"], RECEIVED_SCOPES["project"]})
        same_year = RECEIVED_SCOPES["year"] in scopes
        total = ZERO
        for e in self.entries:
            if e.policy is not pol or not e.counts or (wanted and e.clause.id not in wanted):
                continue
            if (same_item and e.item != ev.item) or (same_year and e.year != ev.date.year):
                continue
            total += e.amount
        return total

    @staticmethod
    def used(ev: Event) -> set[str]:
        """The names the event's clause reads, with those of the document limits covering it."""
        c = ev.clause
        nodes: list[object] = [c.conditions, c.grant, c.caps, c.offsets]
        nodes += [lim.value for lim in ev.policy.policy.limits if not lim.clauses or any(n.id == c.id for n in lim.clauses)]
        used = set(names_in(tuple(n for n in nodes if n is not None)))
        for name in list(used):
            if name in ev.policy.policy.lets:
                used |= set(names_in(ev.policy.policy.lets[name][1].expr))
        return used

    def facts_for(self, ev: Event) -> tuple[dict[str, Any], list[str]]:
        inputs = ev.policy.module.INPUTS
        merged = {**self.facts, **(self.items.get(ev.item, {}) if ev.item else {}), **ev.facts}
        mine = {k: v for k, v in merged.items() if k in inputs}
        notes = []
        used = self.used(ev)
        for name, (_, decl) in ev.policy.policy.inputs.items():
            if decl.received is None or name not in used:
                continue
            from_ledger = self.received(ev.policy, decl, ev)
            if from_ledger:
                before = mine.get(name, 0)
                mine[name] = from_ledger + (_money(before) if before else ZERO)
                notes.append(f"{decl.label or name}：台账中已获 {format_money(from_ledger)}"
                             + (f"，另有档案所记 {format_money(_money(before))}" if before else ""))
        return mine, notes

    def run(self, ev: Event) -> Entry:
        pol, clause = ev.policy, ev.clause
        why = validity.outside(pol.policy.header, ev.date)
        if why is not None:
            return Entry(ev.index, ev.date, pol, clause, ev.item, "out_of_force", ZERO, ZERO,
                         [f"事项发生在政策有效期外：{why}"])
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
            return Entry(ev.index, ev.date, pol, clause, ev.item, result.status, ZERO, ZERO, explanation)
        status = "granted" if result.status == "granted" else "discretionary"
        amount = computed
        if ev.awarded is not None and status == "discretionary":
            try:
                awarded = _money(ev.awarded)
            except ValueError as exc:
                raise ProfileError([f"events[{ev.index}].awarded: {exc}"]) from None
            if awarded > computed:
                raise ProfileError([f"events[{ev.index}].awarded: {format_money(awarded)} is more than the clause's "
                                    f"maximum {format_money(computed)}"])
            amount, status = awarded, "granted"
            explanation.append(f"主管部门审定金额 {format_money(awarded)}")
        entry = Entry(ev.index, ev.date, pol, clause, ev.item, status, computed, amount, explanation)
        self.stack(entry)
        self.limit(entry, evaluation.limits)
        return entry

    def stack(self, entry: Entry) -> None:
        """从优、就高、不重复 and 不可重复享受 against earlier grants for the same subject and item."""
        if entry.subject is None:
            return
        for earlier in self.entries:
            # The same thing paid twice: same subject, same product or project, same year. A clause's own
            # schedule (phase I, then phase II) is its caps' business, not an overlap.
            if not earlier.counts or earlier.subject != entry.subject or earlier.item != entry.item \
                    or earlier.year != entry.year \
                    or (earlier.policy is entry.policy and earlier.clause.id == entry.clause.id):
                continue
            where = f"{earlier.policy.title if earlier.status != 'external' else earlier.source}" \
                    f"{' ' + earlier.clause.article if earlier.clause.article and earlier.status != 'external' else ''}"
            if entry.clause.exclusive is not None or (earlier.status != "external" and earlier.clause.exclusive is not None):
                reason = (entry.clause.exclusive or earlier.clause.exclusive).value or "不可重复享受"  # type: ignore[union-attr]
                self._cut(entry, ZERO, f"{reason}：同一事项（{entry.subject}）已获{where} {format_money(earlier.amount)}，"
                                       f"本项不再享受")
                return
            same_region = earlier.policy.region is not None and earlier.policy.region == entry.policy.region
            if same_region and (entry.policy.best_only or earlier.policy.best_only):
                rest = max(entry.amount - earlier.amount, ZERO)
                self._cut(entry, rest, f"按“从优、就高、不重复”原则：同一事项（{entry.subject}）已获{where} "
                                       f"{format_money(earlier.amount)}，本项只补足差额，为 {format_money(rest)}")

    def limit(self, entry: Entry, limits: tuple[Any, ...]) -> None:
        """A document's limits, such as 8000万 per enterprise per year, net of what the ledger already holds."""
        for lim in limits:
            if lim.clauses is not None and entry.clause.id not in lim.clauses:
                continue
            room = max(lim.amount, ZERO)
            if entry.amount > room:
                self._cut(entry, room, f"{lim.label}为 {format_money(room)}，本项由 {format_money(entry.amount)} "
                                       f"核减为 {format_money(room)}")

    def _cut(self, entry: Entry, to: Decimal, why: str) -> None:
        if to < entry.amount:
            entry.amount = to
            entry.cuts.append(why)
            entry.explanation.append(why)


def evaluate_profile(raw: Any, policies: dict[str, Policy], as_of: datetime.date | None = None) -> Ledger:
    """Evaluate every event of a profile in date order, keeping a ledger that later events and limits read.

    With `as_of`, events after that day are left out: the ledger as it stood then.
    """
    enterprise, facts, items, events, externals = read_profile(raw, policies)
    if as_of is not None:
        events = [e for e in events if e.date <= as_of]
        externals = [x for x in externals if x.date <= as_of]
    ev = _Evaluator(enterprise, facts, items)
    happenings: list[Event | External] = [*events, *externals]
    happenings.sort(key=lambda h: (h.date, 0 if isinstance(h, External) else 1, h.index))
    for h in happenings:
        if isinstance(h, External):
            stand_in = ast.Clause(
                id=h.source, article=None, title=None, original=None, beneficiary=None, stages=(),
                subject=ast.Name(id=h.subject, span=_NOWHERE), exclusive=None, parties=(), lead=(), responsible=(),
                notes=(), waivers=(), conditions=(), grant=None, caps=(), offsets=(), duration=None, examples=(),
                span=_NOWHERE, id_span=_NOWHERE)
            region_holder = Policy(h.source, _region_only(h.region), types.ModuleType("external"))
            ev.entries.append(Entry(-1 - h.index, h.date, region_holder, stand_in, h.item, "external", h.amount,
                                    h.amount, [f"档案记载：已获{h.source} {format_money(h.amount)}"], source=h.source))
        else:
            ev.entries.append(ev.run(h))
    return Ledger(enterprise, ev.entries)


_NOWHERE = Span(file="<profile>", line=1, column=1, end_line=1, end_column=1)


def _region_only(region: str | None) -> CheckedPolicy:
    """A stand-in policy that only carries a region, for grants received elsewhere."""
    return CheckedPolicy(module=ast.Module(path="<profile>", decls=()), header={"region": region} if region else {},
                         enums={}, inputs={}, lets={}, clauses=[], measures=[], limits=[], types={}, refs={},
                         diagnostics=[])


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
        return {"policy": self.policy.key, "clause": self.clause.id, "article": self.clause.article,
                "status": self.status, "amount": None if self.amount is None else _fen(self.amount),
                "missing": list(self.missing), "automatic": self.automatic, "verdict": self.verdict}


def match(raw: Any, policies: dict[str, Policy], as_of: datetime.date, item: str | None = None) -> list[Match]:
    """Every clause in force on `as_of` that the enterprise (or one of its items) may qualify for."""
    _, facts, items, _, _ = read_profile(raw, policies)
    if item is not None and item not in items:
        raise ProfileError([f"--item: {item!r} is not one of the profile's items ({', '.join(sorted(items))})"])
    merged = {**facts, **(items.get(item, {}) if item else {})}
    found: list[Match] = []
    for pol in policies.values():
        if validity.outside(pol.policy.header, as_of) is not None or pol.policy.header.get("status") == "征求意见稿":
            continue
        mine = {k: v for k, v in merged.items() if k in pol.module.INPUTS}
        try:
            evaluation = pol.module.evaluate(mine, as_of=as_of)
        except FactsError as exc:
            raise ProfileError([f"facts ({pol.key}): {p}" for p in exc.problems]) from None
        for result in evaluation.results:
            if result.status in ("not_eligible", "out_of_force"):
                continue
            clause = pol.clause(result.id)
            assert clause is not None
            amount = result.amount if result.status == "granted" else result.max_amount
            found.append(Match(pol, clause, result.status, amount, tuple(result.missing)))
    return found
