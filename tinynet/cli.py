"""Small pieces shared by the command lines."""

import argparse
import sys


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


def run(main):
    """sys.exit(main()), except that Ctrl-C ends the program quietly with status 130."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        sys.exit(130)
