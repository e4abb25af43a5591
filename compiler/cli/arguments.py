"""The `pol` command line: its arguments, and the exit codes every command shares.

Only the standard library is imported here, so `pol --help` and `pol --version` answer at once; the
commands, and what they need, are imported when one runs.
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pol import __version__

if TYPE_CHECKING:
    from pol.compiler.cli.base import Command

EXIT_OK, EXIT_POLICY_ERRORS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def date_or_error(text: str) -> datetime.date | str:
    """The date given to --as-of, or the message saying it is not one."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return f"--as-of: '{text}' is not a date such as 2022-06-30"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pol", description="Check, compile and evaluate subsidy policies written in .pol")
    p.add_argument("--version", action="version", version=f"pol {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="check policies and report every error")
    c.add_argument("paths", nargs="+", help=".pol files or folders")
    c.add_argument("--format", choices=("text", "json"), default="text")
    li = sub.add_parser("lint", help="check that every figure of each original text is used by its rule or waived")
    li.add_argument("paths", nargs="+", help=".pol files or folders")
    li.add_argument("--format", choices=("text", "json"), default="text")
    dr = sub.add_parser("draft", help="draft a .pol file from a policy's original text (UTF-8 or GB18030, HTML, .docx)")
    dr.add_argument("original", help="the original text: .txt, .html or .docx")
    dr.add_argument("--out", help="write the draft to this .pol file (standard output without)")
    dr.add_argument(
        "--against", nargs="+", metavar="HAND.pol", help="compare the draft with hand encodings of the text"
    )
    dr.add_argument("--format", choices=("text", "json"), default="text")
    pv = sub.add_parser("prove", help="decide each clause's properties over every set of facts (an SMT solver)")
    pv.add_argument("paths", nargs="+", help=".pol files or folders")
    pv.add_argument("--format", choices=("text", "json"), default="text")
    pv.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="the solver's time per question")
    iv = sub.add_parser("inventory", help="count each document's provisions by kind and bound what they grant")
    iv.add_argument("paths", nargs="+", help=".pol files or folders")
    iv.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    b = sub.add_parser("build", help="write one evaluator module per policy (Python, or JavaScript with --target js)")
    b.add_argument("paths", nargs="+")
    b.add_argument("--out", required=True, help="folder to write the modules and their runtime into")
    b.add_argument(
        "--target",
        choices=("python", "js"),
        default="python",
        help="python: a module per policy and pol_runtime.py; js: an ES module per policy, "
        "pol_runtime.mjs and decimal.mjs, for browsers and Node 18+",
    )
    d = sub.add_parser("docs", help="write the citizens' website (an MkDocs project) for the policies")
    d.add_argument("paths", nargs="+", help=".pol files or folders")
    d.add_argument("--out", required=True, help="folder for mkdocs.yml and docs/; replaced as a whole")
    d.add_argument("--guide", action="append", help="a hand-written Markdown page to include (repeatable, in order)")
    d.add_argument(
        "--compare",
        action="append",
        help="a project file (see `pol compare`) to show as a comparison "
        "page across the policies it names (repeatable)",
    )
    d.add_argument("--as-of", help="the day policy status is judged on (default: today)")
    d.add_argument("--site-name", help="the site's title (产业扶持政策 unless given)")
    d.add_argument(
        "--site-url", help="where the site will be served (https://…/): fills sitemap.xml and canonical links"
    )
    e = sub.add_parser("eval", help="evaluate a policy for one applicant's facts")
    e.add_argument("policy")
    e.add_argument("--facts", required=True, help="JSON file of input names to values; - reads standard input")
    e.add_argument("--as-of", help="evaluate as on this date (default: today)")
    e.add_argument(
        "--clause", action="append", help="evaluate only this clause (repeatable); its facts must all be given"
    )
    e.add_argument(
        "--complete",
        action="store_true",
        help="every fact a clause needs must be given: exit 2 naming what is missing, as --clause does",
    )
    e.add_argument(
        "--why-not",
        action="store_true",
        help="for each clause not granted or not at its most, the nearest change of one fact that gives more",
    )
    e.add_argument("--json", action="store_true", help="print the result as JSON (the same as --format json)")
    i = sub.add_parser("inputs", help="print a JSON Schema of the facts a policy needs, or of a profile")
    i.add_argument("paths", nargs="+", metavar="POLICY", help="one .pol file; with --profile, files or folders")
    i.add_argument(
        "--profile",
        action="store_true",
        help="describe an enterprise profile (pol eval-profile, pol match) across these policies",
    )
    ep = sub.add_parser("eval-profile", help="evaluate an enterprise's profile across policies and years")
    ep.add_argument("profile", help="JSON file: the enterprise's facts, items and dated events (- for standard input)")
    ep.add_argument("--policies", nargs="+", required=True, help=".pol files or folders")
    ep.add_argument("--as-of", help="leave out events after this date, to see the ledger as it stood then")
    ep.add_argument("--json", action="store_true", help="print the ledger as JSON (the same as --format json)")
    cp = sub.add_parser("compare", help="evaluate one project under several policies, side by side")
    cp.add_argument("project", help="JSON file: the project's facts, shared and per policy (- for standard input)")
    cp.add_argument("--policies", nargs="+", required=True, help=".pol files or folders, one column each, in order")
    cp.add_argument("--as-of", help="evaluate as on this date (default: the project's as_of, else today)")
    cp.add_argument("--markdown", help="also write the comparison as a Markdown page to this file")
    cp.add_argument("--json", action="store_true", help="print the comparison as JSON (the same as --format json)")
    bt = sub.add_parser(
        "batch", help="evaluate a population of applicants exactly: on DuckDB, Spark, or inside PostgreSQL"
    )
    bt.add_argument("policies", nargs="+", metavar="POLICY", help=".pol files or folders")
    bt.add_argument(
        "--input",
        required=True,
        help="CSV or Parquet, one row per applicant, columns named by inputs (with --engine postgres, or a table)",
    )
    bt.add_argument(
        "--out", required=True, help="results: .parquet or .csv, one row per applicant (postgres: a table, or .csv)"
    )
    bt.add_argument("--as-of", help="evaluate as on this date (default: today)")
    bt.add_argument(
        "--match",
        action="store_true",
        help="add KEY.CLAUSE.match: 免申即享, 可能符合 or 尚缺信息 as pol match groups it (empty when ruled out)",
    )
    bt.add_argument(
        "--engine",
        choices=("duckdb", "spark", "postgres"),
        default="duckdb",
        help="duckdb: embedded (the default); spark: PySpark, in local mode or on the cluster SPARK_MASTER names; "
        "postgres: inside the PostgreSQL server --dsn names, in one transaction",
    )
    bt.add_argument("--dsn", help="with --engine postgres: the server, as postgresql://user@host/db or key=value pairs")
    bt.add_argument(
        "--memory", default="768MB", help="DuckDB: the memory it may use before it spills to disk (default 768MB)"
    )
    bt.add_argument(
        "--spill-limit", help="DuckDB: the most it may spill to its temporary folder (default: 90%% of the free disk)"
    )
    bt.add_argument("--columns", help='TOML lines "input" = "column" (keys quoted) when columns are named otherwise')
    bt.add_argument(
        "--clause",
        nargs="+",
        default=[],
        metavar="ID",
        help="evaluate only these clauses (their columns and the totals over them); the others are not computed",
    )
    bt.add_argument(
        "--ignore",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="columns of the input that are no input of the policies (an id, a name); any other such column is refused",
    )
    bt.add_argument(
        "--keep",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="columns of the input copied to each result row as they are (an enterprise's id), to join results back",
    )
    bt.add_argument(
        "--history",
        metavar="GRANTS",
        help="CSV or Parquet of earlier grants (enterprise, date, policy, clause, amount; item, level): each "
        "application (with enterprise and date columns) is evaluated against them as pol eval-profile does",
    )
    sy = sub.add_parser(
        "synth", help="write a synthetic population for policies: realistic, with rows at every threshold"
    )
    sy.add_argument("policies", nargs="+", metavar="POLICY")
    sy.add_argument("--rows", type=int, default=10_000)
    sy.add_argument("--seed", type=int, default=2021)
    sy.add_argument("--missing", type=float, default=10, help="the share of facts left out, in %% (default 10)")
    sy.add_argument("--out", required=True, help="CSV or Parquet file, a column per input")
    si = sub.add_parser(
        "simulate", help="what a reform of a policy's figures costs over a population, before and after"
    )
    si.add_argument("policy")
    si.add_argument("--input", required=True, help="CSV or Parquet, one applicant a row (see pol batch, pol synth)")
    si.add_argument(
        "--reform", help="TOML: title, and [[change]] tables of clause, figure (rate, cap, or as printed) and to"
    )
    si.add_argument("--set", action="append", help="a change such as 创新药研发.rate=30%% or 创新药研发.3000万=2500万")
    si.add_argument("--as-of", help="evaluate as on this date (default: today)")
    si.add_argument("--markdown", help="also write the summary to this Markdown file")
    si.add_argument("--report", help="write the HTML report (self-contained) to this file")
    m = sub.add_parser("match", help="list every clause an enterprise may qualify for, and what is missing")
    m.add_argument("profile", help="JSON profile (its facts and items are used)")
    m.add_argument("--policies", nargs="+", required=True, help=".pol files or folders")
    m.add_argument("--item", help="add the facts of this product or project")
    m.add_argument("--as-of", help="consider the policies in force on this date (default: today)")
    m.add_argument("--json", action="store_true", help="print the matches as JSON (the same as --format json)")
    t = sub.add_parser("test", help="run the worked examples in policies")
    t.add_argument("paths", nargs="+")
    t.add_argument("-v", "--verbose", action="store_true", help="list passing examples too")
    t.add_argument(
        "--coverage",
        action="store_true",
        help="also report the conditions (each side), tiers, table rows and caps no worked example exercises",
    )
    t.add_argument(
        "--target",
        choices=("python", "js"),
        default="python",
        help="the evaluator that runs the examples: the Python one, or the JavaScript one in Node.js",
    )
    df = sub.add_parser("diff", help="what changed between two versions of a policy, and its effect on the examples")
    df.add_argument("old", help="the earlier version (a draft for comment, say)")
    df.add_argument("new", help="the later version")
    sub.add_parser(
        "lsp", help="the language server, on standard input and output, for editors (pip install 'pol[lsp]')"
    )
    fm = sub.add_parser(
        "fmt", help="lay out .pol files the one way: indentation, no trailing spaces, single blank lines"
    )
    fm.add_argument("paths", nargs="+", help=".pol files or folders")
    fm.add_argument("--check", action="store_true", help="change nothing; exit 1 naming the files not laid out so")
    al = sub.add_parser("all", help="the whole pipeline: check, lint, test, build, docs and the website, from pol.toml")
    al.add_argument("--project", default="pol.toml", help="the project file (default: pol.toml; defaults when absent)")
    al.add_argument("--no-site", action="store_true", help="stop after writing the MkDocs project; do not run mkdocs")
    sv = sub.add_parser("serve", help="serve the policies over HTTP: a JSON API with its OpenAPI document at /docs")
    sv.add_argument("paths", nargs="+", help=".pol files or folders")
    sv.add_argument("--host", default="127.0.0.1", help="the address to listen on (127.0.0.1: this machine only)")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="worker processes for large profile requests (0: compute every request in a thread)",
    )
    sv.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="the longest one request may compute; past it the answer is 503",
    )
    sv.add_argument(
        "--max-body",
        type=int,
        default=1024 * 1024,
        metavar="BYTES",
        help="the largest request body read; a larger one gets 413",
    )
    sv.add_argument("--no-access-log", action="store_true", help="do not log each request")
    _formats(sub)
    return p


def _formats(sub: argparse._SubParsersAction) -> None:
    """Give every command --format text|json, so tools read any command's outcome the same way, and --lang."""
    for command in sub.choices.values():
        command.add_argument(
            "--lang",
            choices=("zh", "en"),
            default=os.environ.get("POL_LANG") if os.environ.get("POL_LANG") in ("zh", "en") else "zh",
            help="the language of diagnostics about policies: zh (中文, the default) or en; POL_LANG sets the default",
        )
        if not any("--format" in a.option_strings for a in command._actions):
            command.add_argument(
                "--format",
                choices=("text", "json"),
                default="text",
                help="json: print the outcome as one JSON object on standard output",
            )


def main(argv: Sequence[str] | None = None, cli: Command | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "json", False):
        args.format = "json"
    args.json = args.format == "json"
    if cli is None:
        from pol.compiler.cli.commands import Cli

        cli = Cli()
    cli.lang = args.lang
    try:
        return int(getattr(cli, args.command.replace("-", "_"))(args))
    except KeyboardInterrupt:
        return cli.fail("interrupted; nothing was half-written, outputs are replaced only when complete")
    except OSError as exc:  # a file that cannot be read or written: the user's to fix, not a bug
        return cli.fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
    except Exception as exc:  # a bug in pol: say so plainly, and keep the traceback for whoever reports it
        if os.environ.get("POL_DEBUG"):
            raise
        from pol.compiler.check.report import escape

        cli.err.print(
            f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))}\n"
            "this is a bug in pol, not in your input; run again with POL_DEBUG=1 for the traceback "
            "and report it"
        )
        return EXIT_INTERNAL


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so a stopped command tidies up as an interrupted one does: no staging left behind


def entry() -> None:
    # SIGTERM (a `kill`, a job scheduler's stop) would otherwise end the process at once, leaving what a
    # command stages (an output not yet moved into place, an engine's spill folder) behind. DuckDB sees the
    # pending signal and stops its query, so the command unwinds through its clean-up within a moment.
    signal.signal(signal.SIGTERM, _terminated)
    from pol.dsl import parse_cache

    parse_cache.DISK = True  # a command runs once: what it parsed is kept on disk for the next one
    sys.exit(main())
