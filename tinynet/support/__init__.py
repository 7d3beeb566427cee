"""Machinery the commands share: command-line helpers, atomic file writes, the progress bar."""

import sys

ON_PYPY = sys.implementation.name == "pypy"  # PyPy's JIT wants plain loops; CPython wants C calls
