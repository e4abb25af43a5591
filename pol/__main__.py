"""`python -m pol` runs the `pol` command."""

from pol.compiler.cli import entry

entry()
