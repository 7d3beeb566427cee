"""Small pieces shared by the command lines."""

import argparse


def at_least(minimum):
    """An argparse type: a whole number ≥ minimum, with a clear message otherwise."""
    def parse(text):
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a whole number" % text)
        if n < minimum:
            raise argparse.ArgumentTypeError("must be at least %d, not %s" % (minimum, text))
        return n
    return parse


positive_int = at_least(1)
non_negative_int = at_least(0)
