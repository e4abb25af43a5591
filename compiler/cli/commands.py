"""The command object `pol.compiler.cli.arguments` dispatches to: one class composed of the command families."""

from __future__ import annotations

from pol.compiler.cli.authoring import Authoring
from pol.compiler.cli.drafting import Drafting
from pol.compiler.cli.evaluation import Evaluation
from pol.compiler.cli.population import Population
from pol.compiler.cli.publishing import Publishing
from pol.compiler.cli.services import Services


class Cli(Authoring, Drafting, Publishing, Evaluation, Population, Services):
    """Every `pol` command as a method returning an exit code, each family in its own module of `compiler/cli/`."""
