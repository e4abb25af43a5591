"""`pol` commands: long-running services: the HTTP API (serve) and the language server (lsp)."""

from __future__ import annotations

import argparse
import os
import socket

from pol.compiler.check.report import escape
from pol.compiler.cli.arguments import EXIT_OK, EXIT_POLICY_ERRORS
from pol.compiler.cli.base import Command


class Services(Command):
    """Long-running services: the HTTP API (serve) and the language server (lsp)."""

    def serve(self, args: argparse.Namespace) -> int:
        """Serve the policies over HTTP until interrupted; `kill -HUP` reloads them without dropping requests."""
        try:
            import uvicorn

            from pol.compiler.server.app import create_app
        except ImportError as exc:
            return self.fail(f"pol serve needs {exc.name}: pip install 'pol[serve]'")
        from pol.api import PolicyError

        if not 1 <= args.port <= 65535:
            return self.fail(f"--port {args.port}: give a port from 1 to 65535")
        if args.max_body < 1:
            return self.fail(f"--max-body {args.max_body}: give the largest body to read, in bytes (at least 1)")
        if not 0 < args.time_limit <= 86400:  # also refuses nan and inf
            return self.fail(f"--time-limit {args.time_limit}: give the seconds one request may compute (0 to 86400)")
        if not 0 <= args.processes <= 64:
            return self.fail(f"--processes {args.processes}: give 0 to 64 worker processes")
        try:
            app = create_app(
                args.paths,
                max_body=args.max_body,
                reload_on_sighup=True,
                time_limit=args.time_limit,
                processes=args.processes,
            )
        except PolicyError as exc:
            self.err.print(escape(str(exc)), markup=False)
            return EXIT_POLICY_ERRORS
        except FileNotFoundError as exc:
            return self.fail(str(exc))
        # Bound before "serving" is said: a busy port or an address not of this machine is a clear error.
        try:
            family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((args.host, args.port))
        except (OSError, OverflowError) as exc:
            return self.fail(f"cannot listen on {args.host}:{args.port}: {getattr(exc, 'strerror', None) or exc}")
        self.err.print(
            f"serving {len(app.state.service.current.policies)} policies on http://{args.host}:{args.port} "
            f"(API reference at /docs; kill -HUP {os.getpid()} reloads them)",
            markup=False,
        )
        config = uvicorn.Config(app, access_log=not args.no_access_log, log_level="info")
        uvicorn.Server(config).run(sockets=[sock])
        return EXIT_OK

    def lsp(self, args: argparse.Namespace) -> int:
        """Serve the language server protocol on standard input and output until the editor closes it."""
        try:
            from pol.compiler.drafting.lsp import main as serve_lsp
        except ImportError as exc:
            return self.fail(f"pol lsp needs {exc.name}: pip install 'pol[lsp]'")
        serve_lsp()
        return EXIT_OK
