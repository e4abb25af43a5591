"""How a policy reads: its rules in Chinese prose, its provisions, its inventory, and the Markdown they are written in."""
