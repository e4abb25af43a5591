"""Population runs: a register of applicants evaluated in SQL engines, synthetic populations, reforms and their cost."""
