"""Small pieces shared by the command lines."""

import argparse
import os
import sys


def at_least(minimum):
    """An argparse type: a whole number ≥ minimum, with a clear message otherwise."""

    def parse(text):
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        if n < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum:d}, not {text}")
        return n

    return parse


positive_int = at_least(1)
non_negative_int = at_least(0)


def run(main):
    """sys.exit(main()), except that Ctrl-C ends the program quietly with status 130, and so
    does a reader that stops reading the output early (`... | head`), with status 141."""
    try:
        status = main()
        sys.stdout.flush()  # a broken pipe shows here, while we can still catch it
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        # Python would complain again when it flushes stdout on the way out; point it elsewhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    sys.exit(status)
