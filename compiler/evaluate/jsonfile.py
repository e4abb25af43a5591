"""Reading the JSON files people give pol (facts, profiles, projects): exact numbers, no silent surprises."""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

# No facts, profile or project file comes near this; a larger one is refused before it is parsed.
MAX_JSON_BYTES = 8 * 1024 * 1024


class DuplicateField(ValueError):
    """An object gives the same field twice, so one of the two values would be silently lost."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateField(key)
        out[key] = value
    return out


def _integer(text: str) -> int | Decimal:
    # Python refuses to convert integers of more than 4,300 digits; as a Decimal the field's own
    # range check refuses it, naming the field.
    return int(text) if len(text) <= 30 else Decimal(text)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        # An exponent past what a Decimal holds (1e530001000000000000000): as far out as one goes, so that the
        # field's range check refuses it, naming the field.
        mantissa, _, exponent = text.lower().partition("e")
        return Decimal(f"{mantissa}e{'-' if exponent.startswith('-') else ''}999999999999999990")


def loads(text: str) -> Any:
    """JSON with numbers as int or Decimal (never float) and duplicate fields refused."""
    return json.loads(text, parse_float=_decimal, parse_int=_integer, object_pairs_hook=_no_duplicates)


def read_json(path: str, what: str = "facts file") -> Any:
    """The JSON in a file (`-`: standard input), decimals kept exact; a message string when it cannot be used."""
    from pol.compiler.runtime import shown_name

    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_JSON_BYTES + 1)
            if len(data) > MAX_JSON_BYTES:
                return f"{what} on standard input is larger than {MAX_JSON_BYTES} bytes, the most pol reads"
            text = data.decode("utf-8-sig")
            path = "<stdin>"
        else:
            file = Path(path)
            if file.is_file() and file.stat().st_size > MAX_JSON_BYTES:
                return f"{what} {path} is {file.stat().st_size} bytes; pol reads at most {MAX_JSON_BYTES}"
            text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return f"cannot read {what} {path}: {exc.strerror}"
    except UnicodeDecodeError:
        return f"{what} {path} is not UTF-8 text"
    try:
        return loads(text)
    except DuplicateField as exc:
        return (
            f"{path}: the field {shown_name(exc.args[0])} is given twice in one object; "
            "keep one, so no value is silently lost"
        )
    except json.JSONDecodeError as exc:
        return f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
    except RecursionError:
        return f"{path}: the JSON is nested too deeply"
