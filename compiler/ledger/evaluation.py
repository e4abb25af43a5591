"""Evaluating a profile: each event run in date order, then scheduled, stacked and limited into the ledger."""

from __future__ import annotations

import datetime
import operator
from decimal import Decimal
from typing import Any

from pol.compiler.check import validity
from pol.compiler.check.checker import names_in
from pol.compiler.check.scopes import RECEIVED_SCOPES, item_scope, period
from pol.compiler.check.vocabulary import other_levels
from pol.compiler.ledger.entries import ZERO, Clawback, Entry, Ledger, Origin
from pol.compiler.ledger.policies import Policy, ProfileError
from pol.compiler.ledger.profile import Event, External, Profile, read_money, read_profile
from pol.compiler.runtime import (
    FactsError,
    format_money,
    format_quantity,
    read_fact,
)
from pol.dsl import ast

_ANY = object()  # in _Sums: any item, or any year


def _periods(day: datetime.date) -> tuple[Any, ...]:
    """The periods a day counts in for scoped sums: its year, its quarter, its month, and all time."""
    return (day.year, (day.year, "Q", (day.month - 1) // 3 + 1), (day.year, "M", day.month), _ANY)


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
            self.sums.add(("level", o.level, o.subject), entry.item, entry.date, entry.amount)
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
        item = ev.item if item_scope(scopes) else _ANY
        year, quarter, month, _ = _periods(ev.date)
        year = {"每年": year, "每季度": quarter, "每月": month}.get(period(scopes) or "", _ANY)
        if r.local or r.higher:
            # 地方: a lower level of government's grant (a city's or district's for a province's matching);
            # 上级: a higher level's (the state's or province's, for a city's 配套 or 就高不重复).
            subject = () if r.subject is None else (r.subject.id,)
            levels = other_levels(pol.level, r.higher)
            return sum((self.sums.get(("level", lv, *subject), item, year) for lv in levels), ZERO)
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
        merged = {**p.facts_on(ev.date, ev.item), **ev.facts}
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
                stated = (
                    (read_money(before) if decl.received.of is None else read_fact(spec, before)) if before else ZERO
                )
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
                awarded = read_money(ev.awarded)
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
    return Ledger(profile.enterprise, ev.entries, clawbacks(profile, ev.entries, as_of))


def _anniversary(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later (28 February for a 29 February with no match)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def clawbacks(profile: Profile, entries: list[Entry], as_of: datetime.date | None) -> list[Clawback]:
    """The grants whose obligations (承诺) a later change of the enterprise's facts broke before their term ended.

    A grant is checked on the day of every later change (of the enterprise, or of the grant's item): the first
    day on which an obligation's condition is false claws the grant back. A fact not known is not a breach.
    """
    out = []
    for entry in entries:
        clause, pol = entry.origin.clause, entry.origin.policy
        if not entry.counts or clause is None or pol is None or clause.id not in pol.module.OBLIGATIONS:
            continue
        ends = [_anniversary(entry.date, years) for years, _, _ in pol.module.OBLIGATIONS[clause.id]]
        for change in profile.changes:
            if change.date <= entry.date or change.date >= max(ends) or (as_of is not None and change.date > as_of):
                continue
            if change.item is not None and change.item != entry.item:
                continue
            facts = {k: v for k, v in profile.facts_on(change.date, entry.item).items() if k in pol.module.INPUTS}
            try:
                kept = pol.module.kept(facts, clause.id)
            except FactsError:
                continue  # the profile's reading already names a bad fact
            broken = [label for (_, label, k), end in zip(kept, ends, strict=True) if k is False and change.date < end]
            if broken:
                out.append(Clawback(entry, change.date, broken[0], entry.amount))
                break
    return out
