"""Whole numbers: images/segment.py finds the digits, reading.read_number reads them.

Pictures are drawn with the pen of examples/make_examples.py (no MNIST needed), except the
last test, which reads numbers made of MNIST test digits (benchmarks/read_numbers.py's set)."""

import json
import random
import struct
import sys
import zlib
from pathlib import Path

import pytest
from digits import load_benchmark, run_predict
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet import network, reading, weights
from tinynet.images import imagefile, png, segment
from tinynet.images.preprocess import ink_image, to_mnist

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

import make_examples as mk  # noqa: E402  (the examples' pen)


def picture(strokes, width, height):
    """Pen strokes [(x, y, radius), ...] drawn dark on white: (width, height, rgba bytes)."""
    cover = mk.render(strokes, width, height)
    grey = bytes(255 - int(255 * c + 0.5) for c in cover)
    rgba = bytearray(4 * width * height)
    for channel in range(3):
        rgba[channel::4] = grey
    rgba[3::4] = b"\xff" * (width * height)
    return width, height, bytes(rgba)


def line(*points, radius=4.0):
    """A stroke through the given (x, y) points."""
    return [(x, y, radius) for x, y in mk.resample(list(points), 2.0)]


def digits_found(width, height, rgba):
    """The boxes segment.find_digits finds, in the picture's pixels."""
    w, h, ink, k = ink_image(width, height, rgba)
    return [box for box, _ in segment.find_digits(w, h, ink)]


def pen_digit(digit, seed, cx, cy, height):
    """A digit's strokes by make_examples.py's pen, centred on (cx, cy)."""
    return mk.pen_path(digit, random.Random(seed), cx, cy, height)


@pytest.fixture(scope="module")
def net():
    if weights.PRETRAINED.exists():
        return weights.load()
    return network.new_network(seed=1)


# ---------------------------------------------------------------- segmentation


@settings(max_examples=25)
@given(
    st.integers(0, 9),
    st.integers(0, 9),
    st.integers(0, 10**6),
    st.integers(6, 40),
    st.integers(-12, 12),
    st.floats(0.8, 1.2),
)
def test_two_digits_placed_apart_are_found_as_two(a, b, seed, gap, drop, size):
    height = 60
    first = pen_digit(a, seed, 0, 0, height)
    second = pen_digit(b, seed + 1, 0, 0, height * size)

    def extent(strokes):
        xs = [x - r for s in strokes for x, _, r in s] + [x + r for s in strokes for x, _, r in s]
        return min(xs), max(xs)

    (a0, a1), (b0, b1) = extent(first), extent(second)
    # place them: the second's ink starts `gap` pixels after the first's ends
    dx1, dx2 = 20 - a0, 20 + (a1 - a0) + gap - b0
    strokes = [[(x + dx1, y + 60, r) for x, y, r in s] for s in first]
    strokes += [[(x + dx2, y + 60 + drop, r) for x, y, r in s] for s in second]
    width = int(20 + (a1 - a0) + gap + (b1 - b0) + 20)
    boxes = digits_found(*picture(strokes, width, 130))
    assert len(boxes) == 2, boxes
    assert boxes[0][2] <= boxes[1][0]  # left to right, the first ends before the second


def test_a_five_with_a_detached_top_bar_is_one_digit():
    bar = line((40, 15), (75, 15))
    body = line((40, 28), (37, 55), (55, 50), (70, 62), (68, 85), (50, 95), (35, 88))
    assert len(segment.components(*ink_of(picture([bar, body], 110, 120)))) == 2
    assert len(digits_found(*picture([bar, body], 110, 120))) == 1


def test_a_four_in_two_strokes_that_do_not_touch_is_one_digit():
    left = line((40, 15), (28, 65), (58, 65))
    upright = line((70, 25), (68, 105))
    assert len(segment.components(*ink_of(picture([left, upright], 110, 120)))) == 2
    assert len(digits_found(*picture([left, upright], 110, 120))) == 1


def test_a_broken_stroke_is_one_digit():
    one = [line((55, 10), (55, 52)), line((55, 62), (55, 105))]  # a 1 with a gap
    seven = [line((25, 12), (80, 12)), line((76, 22), (48, 105))]  # a 7 broken at its corner
    two_foot = [  # a 2 whose bottom bar is broken
        line((30, 30), (50, 12), (75, 25), (70, 50), (30, 100), (60, 100)),
        line((73, 100), (92, 100)),
    ]
    for strokes in (one, seven, two_foot):
        assert len(segment.components(*ink_of(picture(strokes, 120, 120)))) == 2
        assert len(digits_found(*picture(strokes, 120, 120))) == 1, strokes


@settings(max_examples=40)
@given(st.integers(0, 9), st.integers(0, 10**6), st.integers(2, 6), st.floats(0, 1))
def test_a_digit_broken_across_by_a_gap_stays_one_digit(digit, seed, gap, where):
    """Erase a band of rows anywhere across a pen-drawn digit (a skipping pen, chalk, a fold):
    the pieces are still read as one digit."""
    cover = mk.render(pen_digit(digit, seed, 60, 60, 80), 120, 120)
    rows = [i // 120 for i, c in enumerate(cover) if c > 0.2]
    top, bottom = min(rows) + 8, max(rows) - 8 - gap
    y0 = top + int(where * (bottom - top))
    cover[y0 * 120 : (y0 + gap) * 120] = [0.0] * (gap * 120)
    grey = bytes(255 - int(255 * c + 0.5) for c in cover)
    rgba = bytearray(4 * 120 * 120)
    for channel in range(3):
        rgba[channel::4] = grey
    rgba[3::4] = b"\xff" * (120 * 120)
    assert len(digits_found(120, 120, bytes(rgba))) == 1


def test_specks_of_dust_are_not_digits():
    strokes = [line((40, 15), (40, 100)), line((90, 15), (90, 100))]
    specks = [line((130, 50), (131, 51), radius=1.5), line((15, 110), (16, 110), radius=1.5)]
    assert len(digits_found(*picture(strokes + specks, 150, 120))) == 2


@settings(max_examples=20)
@given(st.integers(0, 60), st.integers(0, 40), st.integers(0, 10**6))
def test_a_shifted_number_is_found_the_same(dx, dy, seed):
    strokes = pen_digit(3, seed, 40, 50, 60) + pen_digit(7, seed, 110, 55, 60)
    moved = [[(x + dx, y + dy, r) for x, y, r in s] for s in strokes]
    here = digits_found(*picture(strokes, 220, 150))
    there = digits_found(*picture(moved, 220, 150))
    assert [[x0 + dx, y0 + dy, x1 + dx, y1 + dy] for x0, y0, x1, y1 in here] == there


def test_the_work_is_bounded_on_noise():
    rng = random.Random(3)
    w = h = 400
    grey = bytes(rng.choice((0, 255)) for _ in range(w * h))  # salt and pepper, many pieces
    rgba = bytearray(4 * w * h)
    for channel in range(3):
        rgba[channel::4] = grey
    rgba[3::4] = b"\xff" * (w * h)
    boxes = digits_found(w, h, bytes(rgba))
    assert len(boxes) <= segment.MAX_GROUPS


def ink_of(pic):
    w, h, ink, _ = ink_image(*pic)
    return w, h, ink


# ---------------------------------------------------------------- reading


def test_read_number_reads_each_digit_as_it_would_read_alone(net):
    strokes_a = pen_digit(2, 5, 45, 60, 70)
    strokes_b = pen_digit(7, 6, 45, 60, 70)
    both = strokes_a + [[(x + 90, y, r) for x, y, r in s] for s in strokes_b]
    answer = reading.read_number(net, *picture(both, 190, 120))
    assert len(answer["digits"]) == 2
    for d, alone in zip(answer["digits"], (strokes_a, strokes_b)):
        x = to_mnist(*picture(alone, 100, 120))
        assert max(abs(u - v) for u, v in zip(d["input"], x)) < 0.02  # prepared the same
        assert set(d) == {"digit", "probabilities", "outputs", "box", "input", "upright", "unsure"}
        assert d["upright"] == d["input"]  # no deskewing asked for
        assert len(d["input"]) == 784 and len(d["outputs"]) == 10
    assert answer["number"] == "".join(str(d["digit"]) for d in answer["digits"])
    assert answer["unsure"] == any(d["unsure"] for d in answer["digits"])
    if weights.PRETRAINED.exists():
        assert answer["number"] == "27"


def test_a_single_digit_reads_exactly_as_to_mnist_prepares_it(net):
    pic = picture(pen_digit(5, 9, 60, 60, 80), 120, 120)
    answer = reading.read_number(net, *pic)
    assert len(answer["digits"]) == 1 and answer["digits"][0]["input"] == to_mnist(*pic)


def test_boxes_are_in_the_pictures_pixels_even_for_big_photos(net):
    """A 1200x800 picture is worked on block-averaged by k = 3; boxes are given back in the
    picture's own pixels, within a block or two of the pen's true extent."""
    one, four = pen_digit(1, 2, 300, 400, 500), pen_digit(4, 3, 900, 400, 500)
    answer = reading.read_number(net, *picture(one + four, 1200, 800))
    assert len(answer["digits"]) == 2
    for d, strokes in zip(answer["digits"], (one, four)):
        points = [p for s in strokes for p in s]
        true_box = [
            min(x - r for x, _, r in points),
            min(y - r for _, y, r in points),
            max(x + r for x, _, r in points),
            max(y + r for _, y, r in points),
        ]
        assert all(abs(a - b) <= 8 for a, b in zip(d["box"], true_box)), (d["box"], true_box)


@pytest.mark.skipif(not weights.PRETRAINED.exists(), reason="no pretrained weights shipped yet")
def test_the_command_reads_a_whole_number(tmp_path):
    strokes = []
    for k, (digit, seed) in enumerate(((2, 11), (0, 12), (2, 13), (6, 14))):
        strokes += pen_digit(digit, seed, 50 + 85 * k, 60, 70)
    w, h, rgba = picture(strokes, 400, 120)
    path = tmp_path / "year.png"
    path.write_bytes(png.encode(w, h, rgba, "RGBA"))
    r = run_predict([path], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{path}: 2026 (least sure digit ") and r.stdout.endswith("%)\n")
    r = run_predict(["--json", "--show", path], tmp_path)
    d = json.loads(r.stdout)  # one JSON object: the pictures went to stderr
    assert d["number"] == "2026" and "digit" not in d and d["unsure"] is False
    assert [x["digit"] for x in d["digits"]] == [2, 0, 2, 6]
    boxes = [x["box"] for x in d["digits"]]
    assert all(a[2] <= b[0] for a, b in zip(boxes, boxes[1:]))
    assert r.stderr.count("digit ") == 4 and r.stderr.count("\n") >= 4 * 28


@pytest.mark.slow
@pytest.mark.skipif(not weights.PRETRAINED.exists(), reason="no pretrained weights shipped yet")
def test_numbers_of_mnist_digits_read_about_as_well_as_the_digits_alone(tmp_path, mnist_dir):
    from tinynet import mnist

    bench = load_benchmark("read_numbers")

    images, labels = mnist.load("test", data_dir=mnist_dir, download=False)
    made = bench.build(tmp_path, images, labels, count=40, seed=7)
    f = bench.measure(weights.load(), made)
    digit_accuracy = f["digits_right"] / f["digits"]
    single = f["single_right"] / f["digits"]
    assert digit_accuracy >= single - 0.03, f  # the issue asks for 2 points on the full set


# Glyphs of dark bars (x0, y0, x1, y1), each one connected piece: a 1, a 7 and a 0.
GLYPHS = [
    [(40, 0, 80, 400)],
    [(0, 0, 200, 40), (160, 0, 200, 400)],
    [(0, 0, 200, 40), (0, 360, 200, 400), (0, 0, 40, 400), (160, 0, 200, 400)],
]


def big_png(width, height, placed):
    """A grey PNG, dark glyphs on white, each glyph GLYPHS[g] at (x, y): made at C speed."""
    canvas = bytearray(b"\xff" * (width * height))
    for g, x, y in placed:
        for x0, y0, x1, y1 in GLYPHS[g]:
            for row in range(y + y0, y + y1):
                canvas[row * width + x + x0 : row * width + x + x1] = bytes(x1 - x0)
    raw = b"".join(b"\x00" + canvas[row * width : (row + 1) * width] for row in range(height))
    return (
        png.SIGNATURE
        + png.chunk("IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + png.chunk("IDAT", zlib.compress(raw, 1))
        + png.chunk("IEND", b"")
    )


@settings(max_examples=8, deadline=None)
@given(
    glyphs=st.lists(st.integers(0, 2), min_size=1, max_size=3),
    gaps=st.lists(st.integers(150, 600), min_size=4, max_size=4),
    ys=st.lists(st.integers(0, 590), min_size=3, max_size=3),
)
def test_boxes_of_a_big_image_file_are_in_the_files_own_pixels(tmp_path_factory, glyphs, gaps, ys):
    """A 3000×1000 file is read reduced by k = 6; the boxes are given back in the file's own
    pixels, each within a block or two of the glyph drawn there."""
    placed, x = [], gaps[0]
    for g, gap, y in zip(glyphs, gaps[1:], ys):
        placed.append((g, x, y))
        x += 200 + gap
    path = tmp_path_factory.mktemp("big") / "big.png"
    path.write_bytes(big_png(3000, 1000, placed))
    width, height, rgba, original = imagefile.read_image_and_original(path)
    assert original == (6, 3000, 1000) and (width, height) == (500, 167)
    answer = reading.read_number(
        network.new_network(seed=1), width, height, rgba, original=original
    )
    assert len(answer["digits"]) == len(placed)
    for d, (g, x, y) in zip(answer["digits"], placed):
        drawn = [
            x + min(r[0] for r in GLYPHS[g]),
            y + min(r[1] for r in GLYPHS[g]),
            x + max(r[2] for r in GLYPHS[g]),
            y + max(r[3] for r in GLYPHS[g]),
        ]
        assert all(abs(a - b) < 2 * 6 for a, b in zip(d["box"], drawn)), (d["box"], drawn)


def test_predict_json_gives_the_boxes_in_the_files_pixels_and_small_images_as_before(tmp_path):
    (tmp_path / "big.png").write_bytes(big_png(3000, 1000, [(0, 500, 300), (2, 2000, 500)]))
    r = run_predict(["--json", "big.png"], tmp_path)
    boxes = [d["box"] for d in json.loads(r.stdout)["digits"]]
    assert len(boxes) == 2 and boxes[0][0] >= 500 - 12 and boxes[1][3] <= 900 + 12, boxes
    assert boxes[1][0] > 1900  # (reduced, it would be 2000 / 6 = 333)
    small = picture(pen_digit(5, 9, 60, 60, 80), 120, 120)
    (tmp_path / "small.png").write_bytes(png.encode(120, 120, small[2], "RGBA"))
    assert imagefile.read_image_and_original(tmp_path / "small.png")[3] == (1, 120, 120)
    r = run_predict(["--json", "small.png"], tmp_path)
    same = reading.read_number(weights.load(), *small)
    assert json.loads(r.stdout)["digits"][0]["box"] == same["digits"][0]["box"]
