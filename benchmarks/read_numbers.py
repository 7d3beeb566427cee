"""How well predict reads whole numbers: MNIST test digits and pen-drawn digits side by side.

    python benchmarks/read_numbers.py --data DIR [--count N] [--out FOLDER] [--weights FILE]

Builds (seeded, the same every run) numbers of 2-6 digits as PNG files (in FOLDER, default a
temporary folder): MNIST *test* digits cropped to their ink, blown up 2-3.5 times (each digit
0.8-1.2 times the number's size, nearest-neighbour), set side by side with gaps of 3-24 pixels
and baselines up to 12 pixels apart, dark on light, saved as grey, RGB, RGBA (ink on
transparency) or palette PNGs; and "typed" numbers whose digits are drawn with the pen of
examples/make_examples.py, 40-70 pixels tall.  Each file is read with `reading.read_number` as
`python -m tinynet.predict` reads it, and compared with the truth.

(Not called numbers.py, the name the issue suggested: a script's folder comes first on sys.path,
so a benchmarks/numbers.py would stand in for the standard module `numbers` and break every other
script there that imports statistics, fractions or decimal.)

Prints: exact-number accuracy (every digit right and no digit missing or extra), digit
accuracy (digits read right, position by position, over all digits, numbers read with the
wrong count counting all their digits wrong), the share of numbers read with the wrong count,
and the single-digit accuracy on the very same digits, each drawn alone in its own picture.
"""

import argparse
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from tinynet import mnist, reading, weights  # noqa: E402
from tinynet.images import png  # noqa: E402
from tinynet.images.imagefile import read_image  # noqa: E402
from tinynet.images.preprocess import NoDigitError  # noqa: E402


def ink_box(image, size=28):
    """(x0, y0, x1, y1) of an MNIST image's ink (exclusive ends)."""
    xs = [i % size for i, v in enumerate(image) if v]
    ys = [i // size for i, v in enumerate(image) if v]
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def mnist_glyph(image, scale):
    """An MNIST digit cropped to its ink and blown up `scale` times: (width, height, ink
    0..1 row-major)."""
    x0, y0, x1, y1 = ink_box(image)
    w, h = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    ink = [
        image[(y0 + int(y / scale)) * 28 + x0 + int(x / scale)] / 255
        for y in range(h)
        for x in range(w)
    ]
    return w, h, ink


def pen_glyph(digit, rng, height=None):
    """A digit drawn with examples/make_examples.py's pen: (width, height, ink 0..1)."""
    import make_examples as mk

    height = rng.uniform(40, 70) if height is None else height
    side = int(height * 1.6)
    cover = mk.draw(digit, rng, side, side, side / 2, side / 2, height, pen=rng.uniform(0.09, 0.13))
    xs = [i % side for i, c in enumerate(cover) if c > 0.05]
    ys = [i // side for i, c in enumerate(cover) if c > 0.05]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs) + 1, max(ys) + 1
    return x1 - x0, y1 - y0, [cover[y * side + x] for y in range(y0, y1) for x in range(x0, x1)]


def compose(glyphs, rng, gap=(3, 24), baseline=12, margin=(8, 30)):
    """Glyphs set left to right on one canvas: (width, height, ink 0..1 row-major)."""
    gaps = [rng.randint(*gap) for _ in glyphs[1:]]
    drops = [rng.randint(0, baseline) for _ in glyphs]
    left, top = rng.randint(*margin), rng.randint(*margin)
    width = left + sum(w for w, _, _ in glyphs) + sum(gaps) + rng.randint(*margin)
    height = top + max(h + d for (_, h, _), d in zip(glyphs, drops)) + rng.randint(*margin)
    canvas = [0.0] * (width * height)
    x = left
    for k, ((w, h, ink), drop) in enumerate(zip(glyphs, drops)):
        y = top + drop
        for row in range(h):
            start = (y + row) * width + x
            canvas[start : start + w] = ink[row * w : (row + 1) * w]
        x += w + (gaps[k] if k < len(gaps) else 0)
    return width, height, canvas


def encode(width, height, ink, kind):
    """Dark ink on light paper as a PNG of the given kind."""
    paper = [255 - int(255 * min(1.0, v) + 0.5) for v in ink]
    if kind == "L":
        return png.encode(width, height, paper, "L")
    if kind == "RGB":  # blue ink on cream paper
        rgb = [c for v in paper for c in (v * 250 // 255, v * 245 // 255, 120 + v * 110 // 255)]
        return png.encode(width, height, rgb, "RGB")
    if kind == "RGBA":  # black ink on a transparent background
        return png.encode(width, height, [c for v in paper for c in (0, 0, 0, 255 - v)], "RGBA")
    levels = [v // 17 for v in paper]  # 16 grey levels through a palette
    return png.encode_raw(width, height, levels, 3, 4, palette=[(17 * k,) * 3 for k in range(16)])


KINDS = ("L", "RGB", "RGBA", "palette")


def build(folder, images, labels, count, seed=1):
    """Write the numbers and the single digits they are made of; return a list of
    (number path, truth, [single-digit paths])."""
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for n in range(count):
        length = rng.randint(2, 6)
        typed = n % 4 == 3  # a quarter of the numbers are pen-drawn
        if typed:
            truth = [rng.randrange(10) for _ in range(length)]
            base = rng.uniform(40, 70)
            glyphs = [pen_glyph(d, rng, base * rng.uniform(0.8, 1.2)) for d in truth]
        else:
            picks = [rng.randrange(len(images)) for _ in range(length)]
            truth = [labels[k] for k in picks]
            base = rng.choice([2.0, 2.5, 3.0, 3.5])  # each digit 0.8-1.2 times the number's size
            glyphs = [mnist_glyph(images[k], base * rng.uniform(0.8, 1.2)) for k in picks]
        kind = rng.choice(KINDS)
        name = f"{'pen' if typed else 'mnist'}-{n:04d}-{''.join(map(str, truth))}"
        path = folder / f"{name}.png"
        path.write_bytes(encode(*compose(glyphs, rng), kind))
        singles = []
        for k, glyph in enumerate(glyphs):
            single = folder / f"{name}-digit{k:d}.png"
            single.write_bytes(encode(*compose([glyph], rng), kind))
            singles.append(single)
        made.append((path, "".join(map(str, truth)), singles))
    return made


def measure(net, made, deskew=False):
    """{"numbers", "exact", "digits", "digits_right", "wrong_count", "single_right"}."""
    f = {"numbers": 0, "exact": 0, "digits": 0, "digits_right": 0, "wrong_count": 0}
    f["single_right"] = 0
    for path, truth, singles in made:
        try:
            number = reading.read_number(net, *read_image(path), deskew=deskew)["number"]
        except NoDigitError:
            number = ""
        f["numbers"] += 1
        f["exact"] += number == truth
        f["digits"] += len(truth)
        if len(number) == len(truth):
            f["digits_right"] += sum(a == b for a, b in zip(number, truth))
        else:
            f["wrong_count"] += 1
        for single, digit in zip(singles, truth):
            x = reading.read_digit(single, deskew)
            f["single_right"] += str(reading.predict(net, x)[0]) == digit
    return f


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="folder with the MNIST .gz files (default: $TINYNET_DATA)")
    p.add_argument("--count", type=int, default=400, help="numbers to build (default 400)")
    p.add_argument("--out", help="write the pictures here (default: a temporary folder)")
    p.add_argument("--weights", help="weights file (default: the pretrained one)")
    a = p.parse_args()
    net, info = weights.load_digit_reader(a.weights)
    deskew = weights.weights_input(info)["deskew"]
    images, labels = mnist.load("test", data_dir=a.data, download=False)
    with tempfile.TemporaryDirectory() as tmp:
        made = build(a.out or tmp, images, labels, a.count)
        figures = {
            name: measure(net, [m for m in made if Path(m[0]).name.startswith(name)], deskew)
            for name in ("mnist", "pen")
        }
    figures["all"] = {k: figures["mnist"][k] + figures["pen"][k] for k in figures["mnist"]}
    print(f"weights: {a.weights or weights.PRETRAINED.name}  (deskew: {deskew})")
    for name in ("all", "mnist", "pen"):
        f = figures[name]
        print(
            f"{name}: numbers {f['numbers']:d}, digits {f['digits']:d}; "
            f"exact_number_accuracy {f['exact'] / f['numbers']:.3f}; "
            f"digit_accuracy {f['digits_right'] / f['digits']:.3f}; "
            f"single_digit_accuracy {f['single_right'] / f['digits']:.3f}; "
            f"wrong_digit_count {f['wrong_count'] / f['numbers']:.3f}"
        )


if __name__ == "__main__":
    main()
