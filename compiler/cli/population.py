"""`pol` commands: whole populations: batch, synth, simulate."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

import attrs
from rich.table import Table

from pol.compiler import ir
from pol.compiler.check.report import escape, to_json
from pol.compiler.cli.arguments import EXIT_OK
from pol.compiler.cli.base import Command, as_of_day
from pol.compiler.files import overlapping, write_file
from pol.compiler.ledger.policies import ProfileError, policy_keys
from pol.compiler.lower import lower


class Population(Command):
    """Whole populations: batch, synth, simulate."""

    def batch(self, args: argparse.Namespace) -> int:
        inputs = [*args.policies, args.input, args.columns, args.history]
        if (refused := self.apart(args.out, inputs, "the results")) is not None:
            return refused
        from pol.compiler.population.postgres import is_table

        database = args.engine == "postgres"
        if Path(args.out).suffix.lower() not in (".parquet", ".csv") and not database:
            return self.fail(f"--out {args.out}: write .parquet or .csv")

        def source(name: str) -> Path | str | None:
            """A table of the database (PostgreSQL), a CSV or Parquet file, or None when `name` is neither."""
            if database and is_table(name):
                return name
            path = Path(name)
            return path if path.is_file() and path.suffix.lower() in (".parquet", ".csv") else None

        applicants = source(args.input)
        if applicants is None:
            what = "a table, or " if database else ""
            return self.fail(f"--input {args.input}: give {what}a .csv or .parquet file of one row per applicant")
        grants = source(args.history) if args.history else None
        if args.history and grants is None:
            return self.fail(f"--history {args.history}: give a .csv or .parquet file of one row per grant")
        as_of = as_of_day(args)
        if isinstance(as_of, str):
            return self.fail(as_of)
        columns: dict[str, str] = {}
        if args.columns:
            try:
                table = tomllib.loads(Path(args.columns).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                return self.fail(f"--columns {args.columns}: {exc}{_bare_key_hint(Path(args.columns), exc)}")
            if not all(isinstance(v, str) for v in table.values()):
                return self.fail(f'--columns {args.columns}: give input = "column" lines')
            columns = dict(table)
        compiled = self.checked(args.policies)
        if isinstance(compiled, int):
            return compiled
        try:
            keys = policy_keys([c.source.path for c in compiled])
        except ProfileError as exc:
            return self.fail_all("the policies cannot be told apart:", exc.problems)
        programs = {
            key: lower(c.policy, c.source.path)  # type: ignore[arg-type]
            for key, c in zip(keys, compiled, strict=True)
        }
        ignore = list(args.ignore)
        if args.clause:
            chosen = _chosen_clauses(programs, args.clause)
            if isinstance(chosen, str):
                return self.fail(chosen)
            # The columns of the clauses left out are the policies' inputs still: read past, not refused.
            kept = {i.name for p in chosen.values() for i in p.inputs}
            ignore += [columns.get(i.name, i.name) for p in programs.values() for i in p.inputs if i.name not in kept]
            programs = chosen
        unknown = sorted(set(columns) - {i.name for p in programs.values() for i in p.inputs})
        if unknown:
            return self.fail(f"--columns {args.columns}: not inputs of the policies: {', '.join(unknown)}")
        from pol.compiler.population import batch  # DuckDB is imported only when a batch runs
        from pol.compiler.population.engines import EngineUnavailable, SpillFull

        try:
            result = batch.run(
                programs,
                applicants,
                args.out if database and is_table(args.out) else Path(args.out),
                as_of,
                columns,
                progress=self.err.is_terminal,
                match=args.match,
                on=args.engine,
                grants=grants,
                ignore=tuple(ignore),
                keep=tuple(args.keep),
                memory=args.memory,
                spill_limit=args.spill_limit,
                dsn=args.dsn,
            )
        except batch.InputError as exc:
            return self.fail(f"--input {args.input}: {exc}")
        except (EngineUnavailable, SpillFull) as exc:
            return self.fail(str(exc))
        for b in result.bad:
            self.err.print(
                f"[yellow]row {b.row}, column {escape(b.column)}:[/] {escape(b.problem)}; the row is left out"
            )
        if result.bad_rows > len({b.row for b in result.bad}):
            self.err.print(f"[yellow]…{result.bad_rows} row(s) left out in all[/]")
        if not args.json:
            read = [c for c in result.columns if c.column is not None]
            summary = Table(title="values read from each column", title_justify="left", box=None)
            for heading in ("input", "column", "values", "refused"):
                summary.add_column(heading, justify="right" if heading in ("values", "refused") else "left")
            for c in read:
                refused_text = f"[yellow]{c.refused:,}[/]" if c.refused else "0"
                summary.add_row(escape(c.input), escape(c.column or ""), f"{c.given:,}", refused_text)
            if read:
                self.err.print(summary)
            absent = [c.input for c in result.columns if c.column is None]
            if absent:
                names = "、".join(absent[:12]) + (f" … and {len(absent) - 12} more" if len(absent) > 12 else "")
                self.err.print(f"{len(absent)} input(s) have no column, so are missing in every row: {escape(names)}")
        self.err.print(
            f"[green]evaluated {result.rows} row(s) under {len(programs)} polic(ies) as of "
            f"{as_of.isoformat()}; wrote {escape(args.out)}[/]"
        )
        if args.json:
            self.out.print(
                to_json(
                    {
                        "out": args.out,
                        "as_of": as_of.isoformat(),
                        "rows": result.rows,
                        "rows_left_out": result.bad_rows,
                        "policies": list(programs),
                        "bad_values": [attrs.asdict(b) for b in result.bad],
                        "columns": [attrs.asdict(c) for c in result.columns],
                    }
                ),
                markup=False,
            )
        return EXIT_OK

    def synth(self, args: argparse.Namespace) -> int:
        if (refused := self.apart(args.out, args.policies, "the population")) is not None:
            return refused
        compiled = self.checked(args.policies)
        if isinstance(compiled, int):
            return compiled
        from pol.compiler.population import draw  # DuckDB draws it, a million rows in seconds

        if Path(args.out).suffix.lower() not in (".csv", ".parquet"):
            return self.fail(f"--out {args.out}: write .csv or .parquet")
        if not 0 <= args.missing <= 100:
            return self.fail(f"--missing {args.missing}: a share of the rows, from 0 to 100 (%)")
        programs = [lower(c.policy, c.source.path) for c in compiled]  # type: ignore[arg-type]
        # Staged beside the file and moved into place.
        names = draw.write(programs, args.rows, Path(args.out), args.seed, round(args.missing * 100))
        self.err.print(f"[green]wrote {args.rows} applicant(s), {len(names)} column(s), to {escape(args.out)}[/]")
        if args.json:
            self.out.print(
                to_json({"out": args.out, "rows": args.rows, "seed": args.seed, "columns": names}), markup=False
            )
        return EXIT_OK

    def simulate(self, args: argparse.Namespace) -> int:
        from pol.compiler.population import batch, reform, simulate  # DuckDB is imported only when a simulation runs

        loaded = self.evaluator(args.policy)
        if isinstance(loaded, int):
            return loaded
        compiled, _ = loaded
        as_of = as_of_day(args)
        if isinstance(as_of, str):
            return self.fail(as_of)
        if not Path(args.input).is_file():
            return self.fail(f"--input {args.input}: no such file")
        if args.markdown and args.report and overlapping(Path(args.markdown), [Path(args.report)]):
            return self.fail(f"--markdown and --report are both {args.report}: give each output its own file")
        for target in (args.markdown, args.report):
            if target and (refused := self.apart(target, [args.policy, args.input, args.reform], "the report")):
                return refused
        assert compiled.policy is not None  # self.evaluator returns only policies that checked
        base = lower(compiled.policy, compiled.source.path)
        try:
            title, changes = reform.read_reform(Path(args.reform)) if args.reform else ("", [])
            changes += [reform.parse_set(text) for text in args.set or []]
            if not changes:
                return self.fail("give a reform: --reform REFORM.toml or --set CLAUSE.FIGURE=VALUE")
            changed = reform.apply(base, changes)
        except reform.ReformError as exc:
            return self.fail_all("the reform does not fit the policy:", exc.problems)
        title = title or "；".join(f"{c.clause} {c.figure} 调为 {c.to}" for c in changes)
        try:
            result = simulate.simulate(base, changed, Path(compiled.source.path).stem, Path(args.input), as_of, title)
        except batch.InputError as exc:
            return self.fail(f"--input {args.input}: {exc}")
        summary = simulate.markdown(result)
        if args.markdown:
            write_file(Path(args.markdown), summary)
        if args.report:
            write_file(Path(args.report), simulate.report(result))
        if args.json:
            self.out.print(to_json(attrs.asdict(result)), markup=False, soft_wrap=True)
        else:
            self.out.print(summary, markup=False, highlight=False)
        return EXIT_OK


def _chosen_clauses(programs: dict[str, Any], ids: list[str]) -> dict[str, Any] | str:
    """The programs with only the named clauses (and their limits, over those of them that remain), or what is
    wrong: a name that is no clause of any policy, with the closest one."""
    import difflib

    import attrs

    known = {c.id for p in programs.values() for c in p.clauses}
    wrong = [i for i in ids if i not in known]
    if wrong:
        hints = []
        for w in wrong:
            close = difflib.get_close_matches(w, sorted(known), n=1)
            hints.append(f"{w}" + (f" (did you mean {close[0]}?)" if close else ""))
        return f"--clause: no clause {', '.join(hints)} in the policies"
    out = {}
    for key, program in programs.items():
        clauses = tuple(c for c in program.clauses if c.id in ids)
        if not clauses:
            continue
        kept = {c.id for c in clauses}
        limits = []
        for lim in program.limits:
            if lim.clauses is None:
                limits.append(lim)
            elif set(lim.clauses) & kept:
                limits.append(attrs.evolve(lim, clauses=tuple(c for c in lim.clauses if c in kept)))
        # Only the definitions and facts the kept clauses and limits read: the run asks for no other column.
        lets = {let.name: let for let in program.lets}
        names = ir.inputs_in((clauses, tuple(limits)))
        pending = [n for n in names if n in lets]
        while pending:
            for n in ir.inputs_in(lets[pending.pop()].value) - names:
                names.add(n)
                if n in lets:
                    pending.append(n)
        out[key] = attrs.evolve(
            program,
            clauses=clauses,
            limits=tuple(limits),
            lets=tuple(let for let in program.lets if let.name in names),
            inputs=tuple(i for i in program.inputs if i.name in names),
        )
    return out


def _bare_key_hint(path: Path, exc: Exception) -> str:
    """A hint when a TOML line names a key in Chinese without quotes, which TOML's ASCII-only bare keys refuse."""
    if not isinstance(exc, tomllib.TOMLDecodeError):
        return ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        key = line.split("=", 1)[0].strip()
        if "=" in line and key and not key.startswith(("'", '"', "#")) and not key.isascii():
            return f'; line {number}: a name in Chinese is quoted in TOML, as in "{key}" = "column"'
    return ""
