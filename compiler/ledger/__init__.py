"""The ledger: an enterprise's grants across years, levels and documents, cut by stacking rules and limits."""
