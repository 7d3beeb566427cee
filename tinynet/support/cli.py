"""Small pieces shared by the command lines."""

import argparse
import os
import sys

from .memory import small_nursery_on_pypy


def at_least(minimum):
    """An argparse type: a whole number ≥ minimum, with a clear message otherwise."""

    def parse(text):
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum:d}, not {text}")
        return n

    return parse


positive_int = at_least(1)
non_negative_int = at_least(0)

# How a command names itself in its usage line: `python -m tinynet.NAME`, or `tinynet NAME` once
# the front door (tinynet/__main__.py) has started it.
PROG = "python -m tinynet.{}"


def prog(name):
    """The usage name of command `name`, as it was started."""
    return PROG.format(name)


def run(main):
    """sys.exit(main()), except that the ways a command can end without a bug end in one line:

    Ctrl-C ends the program quietly with status 130, and so does a reader that stops reading
    the output early (`... | head`), with status 141. An OSError that escaped the command (a
    file that cannot be read or written: disk full, permission denied, a device error…) is shown
    as one line `error: FILE: reason` with status 2, and running out of memory as one line with
    status 1. Any other exception is a bug and keeps its traceback. On PyPy with an outsized
    nursery a program's own main (not one called from a REPL or a test) first starts the
    program again with a small one (support/memory.py).
    """
    if getattr(main, "__module__", None) == "__main__":
        small_nursery_on_pypy()
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
    except MemoryError:
        sys.stderr.write("error: out of memory (is an input file far bigger than it should be?)\n")
        sys.exit(1)
    except OSError as e:
        sys.stderr.write(f"error: {os_error_line(e)}\n")
        sys.exit(2)
    sys.exit(status)


def os_error_line(e):
    """One line for an OSError: `FILE: reason` (`FILE -> OTHER: reason` for a rename)."""
    reason = e.strerror or str(e) or type(e).__name__
    where = ""
    if e.filename is not None:
        where = f"{e.filename}"
        if getattr(e, "filename2", None) is not None:
            where += f" -> {e.filename2}"
        where += ": "
    return " ".join(f"{where}{reason}".split())
