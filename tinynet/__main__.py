"""The front door:  tinynet COMMAND [options]  (or  python -m tinynet COMMAND [options])

`tinynet predict FILE` does exactly what `python -m tinynet.predict FILE` does: it imports the
command's module and calls its main(argv), through the same Ctrl-C and broken-pipe handling
(support/cli.run). `tinynet` alone lists the commands; `tinynet examples [DIR]` copies the example
digit images (installed with the package) into DIR, so that an installed tinynet has something to
read at once.
"""

import argparse
import importlib
import sys
from pathlib import Path

from . import __version__
from .support import cli
from .support.debugging import program_args
from .support.files import write_atomic

# name → (the module whose main(argv) runs it, one line on what it does)
COMMANDS = {
    "predict": ("tinynet.predict", "read the digits in image files (PNG, PGM, …)"),
    "train": ("tinynet.train", "train the network on MNIST and save its weights"),
    "evaluate": ("tinynet.evaluate", "test-set accuracy and confusion matrix"),
    "explain": ("tinynet.explain", "one prediction, neuron by neuron"),
    "gradcheck": ("tinynet.gradcheck", "check backpropagation against finite differences"),
    "visualize": ("tinynet.visualize", "pictures of the weights, the curves, the mistakes"),
    "draw": ("tinynet.draw", "draw a digit in your browser and watch the network read it"),
    "examples": ("tinynet.__main__", "copy the example images and step_through.py into a folder"),
}

EXAMPLE_SUFFIXES = (".png", ".pgm", ".md")  # the example digit images and their README
EXAMPLE_SCRIPTS = ("step_through.py",)  # one training step to read and debug (docs/learning.md)
DEFAULT_EXAMPLES_DIR = "tinynet-examples"


def usage():
    """The text `tinynet` and `tinynet --help` print: the commands, one line each."""
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: tinynet COMMAND [options]    (or: python -m tinynet COMMAND [options])",
        "",
        "A neural network that reads handwritten digits, in plain Python. Commands:",
        "",
    ]
    lines += [f"  {name:<{width}}  {about}" for name, (_, about) in COMMANDS.items()]
    lines += [
        "",
        "tinynet COMMAND --help shows a command's own options; tinynet --version the version.",
    ]
    return "\n".join(lines)


def command(name):
    """The main(argv) function of command `name`."""
    if name == "examples":
        return examples_main
    module, _ = COMMANDS[name]
    return importlib.import_module(module).main


def dispatch(argv):
    """Run the command argv[0] with the arguments argv[1:]; its exit status."""
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    if argv[0] in ("-V", "--version"):
        print(f"tinynet {__version__}")
        return 0
    name = argv[0]
    if name not in COMMANDS:
        print(f"tinynet: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    cli.PROG = "tinynet {}"  # the command's usage names it as it was run
    return command(name)(argv[1:])


def main(argv=None):
    """The `tinynet` command (console script and `python -m tinynet`); ends the program."""
    cli.run(lambda: dispatch(program_args(argv)))


# ---- tinynet examples [DIR] --------------------------------------------------------------------


def examples_folder():
    """The folder of example digit images shipped with tinynet.

    Installed, they are inside the package, in tinynet/examples/; in a clone they are in examples/
    at the top of the repository (also with an editable install), as weights.shipped_file does.
    """
    package = Path(__file__).resolve().parent
    inside = package / "examples"
    return inside if inside.is_dir() else package.parent / "examples"


def is_example(path):
    """Whether `path` (in examples/) is one of the files tinynet ships and `examples` copies."""
    return path.suffix in EXAMPLE_SUFFIXES or path.name in EXAMPLE_SCRIPTS


def example_files():
    """The shipped example images (and their README), and step_through.py, sorted by name."""
    return sorted(p for p in examples_folder().iterdir() if p.is_file() and is_example(p))


class ExamplesClash(Exception):
    """A file in the way of an example file (same name, other bytes)."""


def copy_examples(folder):
    """Copy the example files into `folder`; the paths written (or already there, identical).

    An existing file of the same name that differs is never overwritten: then nothing is copied
    and ExamplesClash names the first such file (and how many there are).
    """
    folder = Path(folder)
    sources = example_files()
    targets = [folder / source.name for source in sources]
    clashes = [t for s, t in zip(sources, targets) if t.exists() and not same_bytes(s, t)]
    if clashes:
        more = f" (and {len(clashes) - 1:d} more)" if len(clashes) > 1 else ""
        raise ExamplesClash(
            f"{clashes[0]} already exists and is not tinynet's example{more}; nothing copied "
            "(move it away or choose another folder)"
        )
    for source, target in zip(sources, targets):
        if not target.exists():
            write_atomic(target, source.read_bytes())
    return targets


def same_bytes(a, b):
    return b.is_file() and a.read_bytes() == b.read_bytes()


def examples_main(argv=None):
    ap = argparse.ArgumentParser(
        prog="tinynet examples",
        description="Copy the example digit images into DIR, with step_through.py (one step of "
        "training to read and step through in a debugger), and print their paths.",
    )
    ap.add_argument(
        "dir",
        nargs="?",
        default=DEFAULT_EXAMPLES_DIR,
        metavar="DIR",
        help=f"the folder to copy them into (default: ./{DEFAULT_EXAMPLES_DIR}, made if needed)",
    )
    args = ap.parse_args(argv)
    try:
        paths = copy_examples(args.dir)
    except ExamplesClash as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    seven = Path(args.dir) / "seven-ink-on-paper.png"
    print(f"try: tinynet predict {seven}", file=sys.stderr)
    print(f"and: python {Path(args.dir) / 'step_through.py'} --break", file=sys.stderr)
    return 0


if __name__ == "__main__":
    main()
