"""The checking stage: names, types and units, thresholds and limits of a parsed policy, and their diagnostics."""
