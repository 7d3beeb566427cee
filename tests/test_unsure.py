"""Honest when unsure: reading.unsure, ink_shape, and what the command says about non-digits."""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from digits import load_benchmark
from hypothesis import given
from hypothesis import strategies as st

from tinynet import reading, weights
from tinynet.images import png, preprocess

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
pretrained = pytest.mark.skipif(
    not weights.PRETRAINED.exists(), reason="no pretrained weights shipped yet"
)


def stroke_input():
    """A plain upright stroke, 3 pixels of full ink and soft edges, as a 28×28 input."""
    x = [0.0] * 784
    for y in range(4, 24):
        x[y * 28 + 12 : y * 28 + 17] = [0.3, 1.0, 1.0, 1.0, 0.3]
    return x


outputs = st.lists(st.floats(0, 1), min_size=10, max_size=10)


@given(outputs)
def test_a_weak_strongest_output_is_unsure(a):
    if max(a) < reading.UNSURE_MIN_OUTPUT:
        assert reading.unsure(a) and reading.unsure(a, stroke_input())


@given(outputs)
def test_two_close_outputs_are_unsure(a):
    first, second = sorted(a, reverse=True)[:2]
    if first - second < reading.UNSURE_MIN_MARGIN:
        assert reading.unsure(a)


@given(st.floats(0.0, 0.2), st.integers(0, 9))
def test_one_clear_output_on_a_pen_stroke_is_sure(rest, digit):
    a = [rest] * 10
    a[digit] = max(reading.UNSURE_MIN_OUTPUT, rest + reading.UNSURE_MIN_MARGIN) + 0.3
    assert not reading.unsure(a) and not reading.unsure(a, stroke_input())


def test_ink_shape_tells_strokes_from_blobs_patterns_and_haze():
    sure = [0.0] * 9 + [0.99]
    stroke = reading.ink_shape(stroke_input())
    assert stroke["faint"] <= reading.UNSURE_MAX_FAINT and stroke["solid"] < 0.5
    assert stroke["crossings"] == 2 and stroke["spread"] < 0.2
    blob = [
        1.0 if (r - 14) ** 2 + (c - 14) ** 2 < 64 else 0.0 for r in range(28) for c in range(28)
    ]
    assert reading.ink_shape(blob)["solid"] > reading.UNSURE_MAX_SOLID
    assert reading.unsure(sure, blob)
    stripes = [1.0 if c % 3 == 0 and 4 <= r < 24 else 0.0 for r in range(28) for c in range(28)]
    assert reading.ink_shape(stripes)["crossings"] > reading.UNSURE_MAX_CROSSINGS
    assert reading.unsure(sure, stripes)
    haze = [0.3 if 4 <= r < 24 and 4 <= c < 24 else 0.0 for r in range(28) for c in range(28)]
    assert reading.ink_shape(haze)["faint"] == 1.0 and reading.unsure(sure, haze)
    everywhere = [1.0 if (r // 2 + c // 2) % 4 == 0 else 0.0 for r in range(28) for c in range(28)]
    assert reading.ink_shape(everywhere)["spread"] > reading.UNSURE_MAX_SPREAD


@pretrained
def test_the_example_digits_are_not_unsure():
    net = weights.load()
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix in (".png", ".pgm"):
            x = reading.read_digit(path)
            assert not reading.unsure(reading.predict(net, x)[2], x), path.name


@pretrained
def test_most_non_digit_pictures_are_flagged(tmp_path):
    """A small version of benchmarks/unsure.py: 8 pictures of each kind (the README gives the
    full figures); the bar here is a little below the 75% the issue asks for on the full set."""
    bench = load_benchmark("unsure")
    made = bench.build_non_digits(tmp_path, count=8, seed=2)
    net = weights.load()
    flagged = total = 0
    for paths in made.values():
        for result in bench.readings(net, paths, deskew=False):
            total += 1
            flagged += result is None or any(
                bench.unsure_with(o, by_shape, reading.UNSURE_MIN_OUTPUT, reading.UNSURE_MIN_MARGIN)
                for o, by_shape in result
            )
    assert flagged >= 0.6 * total, (flagged, total)


@pytest.mark.slow
@pretrained
def test_few_mnist_test_digits_are_flagged(mnist_dir):
    with gzip.open(str(mnist_dir / "t10k-images-idx3-ubyte.gz")) as f:
        images = f.read()[16 : 16 + 3000 * 784]
    net, info = weights.load_digit_reader()
    deskew = weights.weights_input(info)["deskew"]
    flagged = 0
    for k in range(3000):
        upright = [v / 255 for v in images[k * 784 : (k + 1) * 784]]  # the ink's shape, as drawn
        x = preprocess.deskew_input(upright) if deskew else upright  # what the network is shown
        flagged += reading.unsure(reading.predict(net, x)[2], upright)
    assert flagged <= 0.03 * 3000, flagged


@pretrained
def test_the_command_says_unsure_for_noise(tmp_path):
    bench = load_benchmark("unsure")
    import random

    rng = random.Random(5)
    path = tmp_path / "hatching.png"
    path.write_bytes(png.encode(bench.SIDE, bench.SIDE, bench.hatching(rng), "L"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "tinynet.predict"]
    r = subprocess.run(cmd + [str(path)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{path}: looks most like "), r.stdout
    assert ", but unsure" in r.stdout
    r = subprocess.run(
        cmd + ["--json", str(path)], capture_output=True, text=True, env=env, timeout=60
    )
    assert json.loads(r.stdout)["unsure"] is True
    r = subprocess.run(
        cmd + ["--json", str(EXAMPLES / "seven-ink-on-paper.png")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert json.loads(r.stdout)["unsure"] is False
