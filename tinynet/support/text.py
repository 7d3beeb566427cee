"""Checking a value read from a file or the command line, and saying what it is in one line."""

import json
import math


def is_whole(v, lo=None, hi=None):
    """v is an int (not a bool: JSON's true and false decode to bools, which are ints in Python),
    from lo to hi when they are given."""
    if not isinstance(v, int) or isinstance(v, bool):
        return False
    return (lo is None or lo <= v) and (hi is None or v <= hi)


def is_real(v, lo, hi):
    """v is an int or a finite float (not a bool) from lo to hi."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return (not isinstance(v, float) or math.isfinite(v)) and lo <= v <= hi


def short(value, limit=60):
    """The value as a file would hold it (JSON: true, null, "text"), cut to `limit` characters,
    so that an error message stays one short line. A value JSON cannot write is shown by repr;
    a whole number of 30 digits or more as "a huge number"."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return "a huge number"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(e):
    """An exception's message on one line: its strerror (OSError), else its text, else its type's
    name, with every run of white space (line breaks too) made one space."""
    text = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return " ".join(str(text).split())
