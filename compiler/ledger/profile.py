"""Evaluate an enterprise's profile across policies and years: a ledger of grants, cut by stacking rules and limits."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import attrs

from pol.compiler.check.vocabulary import LEVELS
from pol.compiler.ledger.entries import Origin
from pol.compiler.ledger.policies import Policy, ProfileError
from pol.compiler.runtime import (
    MAX_TEXT,
    bounded,
    few,
    parse_quantity_text,
    read_fact,
    shown,
    unknown_field,
)
from pol.dsl import ast


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
class Change:
    """A dated change of the enterprise's (or one item's) facts: 迁出, 转让, 停产; later events and obligations see it."""

    index: int
    date: datetime.date
    item: str | None
    facts: dict[str, Any]


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
    changes: list[Change] = attrs.Factory(list)

    def facts_on(self, day: datetime.date, item: str | None) -> dict[str, Any]:
        """The enterprise's facts (and the item's) as they stood on a day, after the changes up to it."""
        merged = {**self.facts, **(self.items.get(item, {}) if item else {})}
        for ch in self.changes:
            if ch.date > day:
                break
            if ch.item is None or ch.item == item:
                merged.update(ch.facts)
        return merged

    def covers(self, pol: Policy) -> bool:
        """Whether the policy's region is one the enterprise is in (always, when either does not say)."""
        return not self.regions or pol.region is None or pol.region in self.regions


PROFILE_FIELDS = ("enterprise", "regions", "facts", "items", "events", "received", "changes")
CHANGE_FIELDS = ("date", "item", "facts", "note")


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
            amount = read_money(rec.get("amount"))
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
    for i, ch in enumerate(_list(raw, "changes", "a list of dated changes of facts", problems)):
        where = f"changes[{i}]"
        ch = _object(ch, where, problems)
        _fields(ch, CHANGE_FIELDS, "a change", f"{where}.", problems)
        day = _date(ch.get("date"), f"{where}.date", problems)
        item = _item(ch.get("item"), items, f"{where}.item", problems)
        own = _object(ch.get("facts"), f"{where}.facts", problems)
        unknown(own, f"{where}.facts")
        if day is not None:
            profile.changes.append(Change(i, day, item, own))
    profile.changes.sort(key=lambda c: (c.date, c.index))
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


def read_money(raw: Any) -> Decimal:
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
