"""PyPy's young-object space (its *nursery*), kept small so a command's memory stays bounded.

PyPy sizes its nursery from the "cache size" line of /proc/cpuinfo, meant to be the L2 cache
(half of it).  Many machines report their last-level cache there: 480 MB on a server CPU gives a
240 MB nursery, and every PyPy command that allocates that much in all (reading any big image)
then holds 240 MB more than it needs.  The nursery is fixed when PyPy starts
(``PYPY_GC_NURSERY``), so a command started with a big one starts itself again, the same way,
with ``PYPY_GC_NURSERY`` set (docs/files-and-limits.md, "PyPy's nursery").
"""

import gc
import os
import sys

from . import ON_PYPY
from .debugging import debugger

#: The nursery a command runs with when PyPy would choose a larger one than MAX_NURSERY_BYTES
#: (4 MB is PyPy's own size for a machine whose cache it cannot tell; just as fast here).
NURSERY = "4M"
MAX_NURSERY_BYTES = 16 << 20


def nursery_bytes():
    """The size of this PyPy's nursery in bytes (0 on CPython, or if PyPy does not say)."""
    stats = getattr(gc, "_get_stats", None) if ON_PYPY else None
    try:
        return int(stats().nursery_size) if stats else 0
    except (AttributeError, TypeError, ValueError):
        return 0


def restart_command(argv=None):
    """The command line that runs this program again (None when it cannot be told: ``-c``)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    argv = sys.argv if argv is None else argv
    if spec is not None and spec.name:
        name = spec.name[: -len(".__main__")] if spec.name.endswith(".__main__") else spec.name
        return [sys.executable, "-m", name, *argv[1:]]
    if argv and argv[0] and os.path.isfile(argv[0]):
        return [sys.executable, argv[0], *argv[1:]]
    return None


def small_nursery_on_pypy():
    """On PyPy with a nursery over MAX_NURSERY_BYTES and no PYPY_GC_NURSERY set, run this
    command again (os.execv: the same process id, files and arguments) with a NURSERY one."""
    if "PYPY_GC_NURSERY" in os.environ or nursery_bytes() <= MAX_NURSERY_BYTES:
        return
    if sys.gettrace() is not None or debugger():  # under a debugger: a restart would leave it
        return
    command = restart_command()
    if command is None:
        return
    os.environ["PYPY_GC_NURSERY"] = NURSERY  # also stops a second restart
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)
