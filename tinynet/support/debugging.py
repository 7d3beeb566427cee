"""Whether a debugger runs this program, for the commands that behave differently under one."""

import bdb
import sys


def debugger():
    """What debugs this program ("pdb", "debugpy", "a trace function"), or None.

    pdb (python -m pdb, breakpoint()) leaves its frames on the stack and, while it has
    breakpoints, a trace function; VS Code's debugpy loads pydevd. A coverage tool's trace
    function is not a debugger, and neither is the debugpy a Jupyter kernel loads but does not run.
    """
    tracer = sys.gettrace()
    if isinstance(getattr(tracer, "__self__", None), bdb.Bdb):
        return "pdb"
    frame = sys._getframe(1)
    while frame is not None:
        if isinstance(frame.f_locals.get("self"), bdb.Bdb):
            return "pdb"
        frame = frame.f_back
    # Jupyter's kernel (ipykernel) always loads debugpy: there it counts only while it traces.
    jupyter_idle = "ipykernel" in sys.modules and tracer is None
    if ("pydevd" in sys.modules or "debugpy" in sys.modules) and not jupyter_idle:
        return "debugpy"
    if tracer is not None and "coverage" not in type(tracer).__module__ + repr(tracer):
        return "a trace function"
    return None


def program_args(argv=None):
    """argv, or else the program's arguments (sys.argv[1:]), there without a first `--` under pdb.

    `python -m pdb -m tinynet.train -- --limit 1000` is how options get past Python 3.13.0's pdb,
    which takes options after the module as its own ("unrecognized arguments"; fixed in 3.13.1).
    Other versions hand the `--` on to the program, where it would stop argparse reading them.
    An argv given by a caller (`tinynet` to its commands, a REPL) is taken as it is.
    """
    if argv is not None:
        return list(argv)
    argv = sys.argv[1:]
    if argv[:1] == ["--"] and debugger() == "pdb":
        del argv[0]
    return argv
