"""The drafter's tools: lint, fmt, coverage, diff, prove and the language server."""
