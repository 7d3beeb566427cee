"""End-to-end time of `python -m tinynet.predict` on a 300×300 PNG, process start included.

    python benchmarks/predict_speed.py [--runs N] [--weights FILE]

Prints `name: value` lines: the best and median wall time of the whole command, and of an empty
`python -c pass` for comparison (what the interpreter itself costs on this machine).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall_times(cmd, runs):
    # As on a learner's machine: Python keeps compiled bytecode (__pycache__), so only the first
    # run compiles tinynet (that run is not counted), whatever PYTHONDONTWRITEBYTECODE says here.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=str(ROOT), env=env)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=str(ROOT), env=env)
        times.append(time.perf_counter() - t)
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=15)
    p.add_argument(
        "--image",
        default=str(ROOT / "examples" / "seven-ink-on-paper.png"),
        help="a 300×300 PNG (default: examples/seven-ink-on-paper.png)",
    )
    p.add_argument("--weights", help="weights file (default: the pretrained one)")
    a = p.parse_args()
    cmd = [sys.executable, "-m", "tinynet.predict", a.image] + (
        ["--weights", a.weights] if a.weights else []
    )
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=str(ROOT))  # warm the .pyc cache
    empty = wall_times([sys.executable, "-c", "pass"], a.runs)
    full = wall_times(cmd, a.runs)
    print(f"python: {sys.version.split()[0]}")
    print(f"image: {a.image}")
    print("predict_best_ms: %.0f" % (1000 * min(full)))
    print("predict_median_ms: %.0f" % (1000 * statistics.median(full)))
    print("empty_python_best_ms: %.0f" % (1000 * min(empty)))


if __name__ == "__main__":
    main()
