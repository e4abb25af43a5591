"""Ship the repository's one grammar.lark inside the wheel, beside the parser that reads it."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    """Copies grammar.lark from the repository's root into `pol/dsl/` of the build."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads the grammar from the checkout
            self.copy_file("grammar.lark", str(Path(self.build_lib, "pol", "dsl", "grammar.lark")))


setup(cmdclass={"build_py": BuildPy})
