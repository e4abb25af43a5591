"""`pol draft`: from a policy's original text to a checked skeleton, every figure traced to the text.

The text is read (`source`), cut into numbered provisions (`outline`), its header read from what it says
(`header`), each money sentence drafted as a rule in the language's forms (`rules`) and the whole written as a
`.pol` file (`writer`). `against` compares a draft with a hand encoding of the same text, clause by clause.
Nothing here guesses: what the text leaves open is a `todo` the checker reports.
"""

from pol.compiler.drafting.draft.against import Comparison, compare
from pol.compiler.drafting.draft.writer import Draft, draft_text

__all__ = ["Comparison", "Draft", "compare", "draft_text"]
