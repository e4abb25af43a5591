"""Evaluation in this process: a policy loaded as a Python evaluator, facts files read, worked examples run."""
