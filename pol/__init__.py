"""pol: subsidy policies as code, checked and computed exactly, with an explanation of every amount."""

__version__ = "0.2.0"
