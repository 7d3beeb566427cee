"""Helpers shared by the tests of reading digits (test_predict, test_numbers, test_unsure).

Imported as `from digits import ...`: pytest puts tests/ on sys.path (it has no __init__.py).
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_predict(args, cwd):
    """`python -m tinynet.predict ARGS` run in `cwd` (this clone's tinynet); its result."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "tinynet.predict"] + [str(a) for a in args],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(cwd),
        timeout=60,
    )


def load_benchmark(name):
    """benchmarks/NAME.py as a module (benchmarks/ is kept off sys.path: see read_numbers.py)."""
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
