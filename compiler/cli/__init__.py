"""The `pol` command line: `arguments` parses, and one module per command family does the work."""

from pol.compiler.cli.arguments import entry, main, parser

__all__ = ["entry", "main", "parser"]
