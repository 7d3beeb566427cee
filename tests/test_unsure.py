"""Honest when unsure: reading.unsure, ink_shape, and what the command says about non-digits."""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from digits import load_benchmark
from drawing import PAD_DIGITS, stroke_png
from hypothesis import given
from hypothesis import strategies as st

from tinynet import reading, teach, weights
from tinynet.images import png, preprocess
from tinynet.network import copy_network, new_network

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


# --------------------------------------------------------------------- drawings from the pad


@pretrained
def test_clean_pad_drawings_are_read_right_and_not_unsure():
    """Issue 20: 14 clean digits drawn on the pad (every digit, a plain 1, a crossed 7, a
    straight-tailed 9, a small 2), read the draw page's way: at most 1 flagged unsure, and
    none by the ink's shape (the pad's clean stroke is handwriting)."""
    net, info = weights.load_digit_reader()
    deskew = weights.weights_input(info)["deskew"]
    flagged = []
    for name, digit, strokes in PAD_DIGITS:
        answer = teach.analyse_png(net, stroke_png(strokes, width=18), deskew=deskew)
        assert answer["digit"] == digit, (name, answer["digit"])
        upright = teach.read_drawing(net, stroke_png(strokes, width=18), deskew)["digits"][0]
        assert not reading.unsure([1.0, 0.0], upright["upright"]), name  # shape alone: a stroke
        if answer["unsure"]:
            flagged.append(name)
    assert len(flagged) <= 1, flagged


@pytest.mark.parametrize("name, digit, strokes", PAD_DIGITS[:4] + PAD_DIGITS[-4:])
def test_the_page_judges_the_ink_as_drawn_like_predict(name, digit, strokes):
    """The draw page's "unsure" -- as read, before and after teaching -- is reading.read_number's:
    the ink's shape judged before deskewing (whose resampling blurs a thin stroke into "faint"
    ink), for any network."""
    net = weights.load_digit_reader()[0] if weights.PRETRAINED.exists() else new_network(seed=3)
    data = stroke_png(strokes, width=18)
    for deskew in (False, True):
        read = teach.read_drawing(net, data, deskew)
        shown = teach.analyse_reading(net, read)
        assert [d["unsure"] for d in shown["digits"]] == [d["unsure"] for d in read["digits"]]
        one = read["digits"][0]
        step = teach.teach(copy_network(net), one["input"], digit, upright=one["upright"])
        assert step["before"]["unsure"] == one["unsure"], name
        after = reading.unsure(step["after"]["outputs"], one["upright"])
        assert step["after"]["unsure"] == after, name


@pytest.mark.slow
@pretrained
def test_unsure_benchmark_shares(mnist_dir):
    """benchmarks/unsure.py, run as a reader would: at least 75% of the non-digits flagged, at
    most 3% of MNIST's 10,000 test digits, at most 1 of the 14 pad drawings."""
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "unsure.py"), "--data", str(mnist_dir)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    figures = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    assert float(figures["non_digits_flagged"].split("%")[0]) >= 75.0, r.stdout
    assert float(figures["mnist_test_flagged"].split("%")[0]) <= 3.0, r.stdout
    assert int(figures["pad_drawings_flagged"].split()[0]) <= 1, r.stdout
