"""python -m tinynet.predict: output, --json, exit statuses, one-line errors; and the decisive test:
MNIST test digits made to look like a person's image still read as well as the originals."""

import gzip
import json
import os
import random
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from digits import run_predict as run

from tinynet import network, predict, reading, weights
from tinynet.engines import make_engine
from tinynet.images import png, preprocess

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """The shipped pretrained file if there is one, else a random network (for format tests)."""
    if weights.PRETRAINED.exists():
        return weights.PRETRAINED
    path = tmp_path_factory.mktemp("w") / "random.json"
    weights.save(network.new_network(seed=1), path)
    return path


def chunk(kind, data):
    body = kind + data
    return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")


def bad_files(folder):
    """name → a file of that kind of trouble."""
    good = png.encode(20, 20, [255] * 200 + [0] * 200, "L")
    files = {
        "empty.png": b"",
        "junk.png": b"this is not an image at all",
        "truncated.png": good[: len(good) // 2],
        "bad-crc.png": good[:30] + bytes([good[30] ^ 0xFF]) + good[31:],
        "huge.png": png.SIGNATURE
        + chunk(b"IHDR", (30000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0]))
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b""),
        "bomb.png": png.SIGNATURE
        + chunk(b"IHDR", (4000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0]))
        + chunk(b"IDAT", zlib.compress(b"\0" * 50_000_000, 9))
        + chunk(b"IEND", b""),
        "photo.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100,
        "blank.png": png.encode(50, 40, [255] * 2000, "L"),
    }
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    paths["missing.png"] = folder / "missing.png"
    (folder / "a-directory.png").mkdir()
    paths["a-directory.png"] = folder / "a-directory.png"
    return paths


def test_every_bad_file_gets_one_line_and_the_good_ones_an_answer(tmp_path, weights_file):
    paths = bad_files(tmp_path)
    good = EXAMPLES / "seven-ink-on-paper.png"
    r = run(["--weights", weights_file, good] + list(paths.values()) + [good], tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    errors = r.stderr.strip().splitlines()
    assert len(errors) == len(paths), r.stderr
    for path, line in zip(paths.values(), errors):
        assert line.startswith(f"{path}: ") and len(line) > len(str(path)) + 5, line
    answers = r.stdout.strip().splitlines()
    assert len(answers) == 2 and all(a.startswith(str(good) + ": ") for a in answers)
    blank_line = errors[list(paths).index("blank.png")]
    assert "no digit" in blank_line


def test_json_output_and_exit_status_zero(tmp_path, weights_file):
    images = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".png", ".pgm"))
    r = run(["--weights", weights_file, "--json"] + images, tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["file"] for d in lines] == [str(p) for p in images]
    for d in lines:
        assert set(d) == {"file", "number", "digit", "probabilities", "digits", "unsure"}
        assert len(d["probabilities"]) == 10 and abs(sum(d["probabilities"]) - 1) < 1e-4
        assert d["digit"] == max(range(10), key=lambda k: d["probabilities"][k])
        assert d["number"] == str(d["digit"]) and len(d["digits"]) == 1
        assert d["digits"][0]["digit"] == d["digit"]
        assert d["digits"][0]["probabilities"] == d["probabilities"]
        assert d["unsure"] is d["digits"][0]["unsure"] and isinstance(d["unsure"], bool)


def test_show_draws_the_input(tmp_path, weights_file):
    r = run(["--weights", weights_file, "--show", EXAMPLES / "seven-ink-on-paper.png"], tmp_path)
    assert r.returncode == 0
    art = r.stdout.splitlines()[1:]
    assert len(art) == 28 and any("@" in line for line in art)


def test_a_broken_weights_file_is_one_line(tmp_path):
    bad = tmp_path / "w.json"
    bad.write_text('{"format": "tinynet", "version": 1, "sizes": [784, 10], "weights": []}')
    r = run(["--weights", bad, EXAMPLES / "seven-ink-on-paper.png"], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and str(bad) in r.stderr


def test_the_examples_are_read_correctly():
    net = weights.load()
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    results = []
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix in (".png", ".pgm"):
            digit = names.index(path.name.split("-")[0])
            results.append((path.name, digit, reading.predict(net, reading.read_digit(path))[0]))
    right = [r for r in results if r[1] == r[2]]
    assert len(right) >= 0.8 * len(results), results


# --- the decisive test ------------------------------------------------------------------------


def mnist_test_digits(mnist_dir, n):
    with gzip.open(str(mnist_dir / "t10k-images-idx3-ubyte.gz")) as f:
        images = f.read()[16:]
    with gzip.open(str(mnist_dir / "t10k-labels-idx1-ubyte.gz")) as f:
        labels = f.read()[8:]
    return [images[k * 784 : (k + 1) * 784] for k in range(n)], labels[:n]


def as_a_persons_image(image, rng):
    """An MNIST digit blown up, dark on light, off-centre on a bigger canvas, as some PNG."""
    scale = rng.choice([2, 3, 4])
    side = 28 * scale
    width, height = side + rng.randrange(10, 60), side + rng.randrange(10, 60)
    left, top = rng.randrange(0, width - side + 1), rng.randrange(0, height - side + 1)
    paper = [255] * (width * height)
    for y in range(side):
        row = image[(y // scale) * 28 : (y // scale + 1) * 28]
        paper[(top + y) * width + left : (top + y) * width + left + side] = [
            255 - row[x // scale] for x in range(side)
        ]
    kind = rng.choice(["L", "RGB", "RGBA", "palette"])
    if kind == "L":
        return png.encode(width, height, paper, "L")
    if kind == "RGB":  # blue ink on cream paper
        return png.encode(
            width,
            height,
            [c for v in paper for c in (v * 250 // 255, v * 245 // 255, 120 + v * 110 // 255)],
            "RGB",
        )
    if kind == "RGBA":  # black ink on a transparent background
        return png.encode(width, height, [c for v in paper for c in (0, 0, 0, 255 - v)], "RGBA")
    levels = [v // 17 for v in paper]  # 16 grey levels through a palette
    return png.encode_raw(width, height, levels, 3, 4, palette=[(17 * k,) * 3 for k in range(16)])


@pytest.mark.slow
def test_digits_made_to_look_like_a_persons_image_read_as_well_as_mnist(tmp_path, mnist_dir):
    net = weights.load()
    engine = make_engine(net)
    images, labels = mnist_test_digits(mnist_dir, 1000)
    rng = random.Random(1)
    original = transformed = 0
    for k, (image, digit) in enumerate(zip(images, labels)):
        out = engine.output(image)
        original += out.index(max(out)) == digit
        path = tmp_path / (f"digit-{k:d}.png")
        path.write_bytes(as_a_persons_image(image, rng))
        transformed += reading.predict(net, reading.read_digit(path))[0] == digit
    assert transformed >= original - 10, (original, transformed)  # within 1 point of 1,000


def test_a_terminal_without_unicode_gets_an_ascii_bar(tmp_path, weights_file):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="ascii")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "tinynet.predict",
            "--weights",
            str(weights_file),
            str(EXAMPLES / "seven-ink-on-paper.png"),
        ],
        capture_output=True,
        env=env,
        cwd=str(tmp_path),
    )
    assert r.returncode == 0 and b"Traceback" not in r.stderr
    r.stdout.decode("ascii")


# --- weights' input recipe, non-image files, --json --show, the bar -------------------------


def test_weights_input_reads_the_deskew_flag():
    assert predict.weights_input({}) == {"deskew": False}  # files made before deskewing
    assert predict.weights_input({"input": {"deskew": True}}) == {"deskew": True}
    assert predict.weights_input({"input": {"deskew": False}}) == {"deskew": False}
    for odd in ({"input": "deskew"}, {"input": {"deskew": "yes"}}, {"input": None}, None):
        assert predict.weights_input(odd) == {"deskew": False}


def test_predict_deskews_exactly_when_the_weights_file_says_so(tmp_path, weights_file):
    d = json.loads(Path(weights_file).read_text())
    d.pop("input", None)  # a file made before deskewing existed
    as_is = tmp_path / "as-is.json"
    as_is.write_text(json.dumps(d))
    d["input"] = {"deskew": True}
    deskewing = tmp_path / "deskew.json"
    deskewing.write_text(json.dumps(d))
    image = EXAMPLES / "seven-ink-on-paper.png"
    net = weights.load(weights_file)
    for path, deskew in ((as_is, False), (deskewing, True)):
        r = run(["--weights", path, "--show", image], tmp_path)
        assert r.returncode == 0, r.stderr
        x = reading.read_digit(image, deskew)
        digit, p, _ = reading.predict(net, x)
        lines = r.stdout.splitlines()
        assert lines[1:] == preprocess.ascii_art(x).splitlines()
        assert f" {digit:d} (" in lines[0] or f"like {digit:d}," in lines[0]
    assert reading.read_digit(image, True) != reading.read_digit(image, False)


def test_non_image_files_from_a_glob_are_skipped_with_a_note(tmp_path, weights_file):
    (tmp_path / "notes.md").write_text("# not a picture\n")
    (tmp_path / "script.py").write_text("print('hello')\n")
    (tmp_path / "fake.png").write_text("not a png either\n")  # says it is an image: an error
    good = EXAMPLES / "seven-ink-on-paper.png"
    r = run(["--weights", weights_file, good, "notes.md", "script.py"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [
        "notes.md: not an image, skipped",
        "script.py: not an image, skipped",
    ]
    assert len(r.stdout.splitlines()) == 1
    r = run(["--weights", weights_file, good, "fake.png", "notes.md"], tmp_path)
    assert (
        r.returncode == 2 and "fake.png: " in r.stderr and "skipped" not in r.stderr.split("\n")[0]
    )


def test_the_examples_glob_reads_every_picture(tmp_path, weights_file):
    files = sorted(EXAMPLES.iterdir())
    r = run(["--weights", weights_file] + files, tmp_path)
    assert r.returncode == 0, r.stderr
    pictures = [p for p in files if p.suffix in (".png", ".pgm")]
    assert len(r.stdout.splitlines()) == len(pictures)
    assert all(line.endswith("not an image, skipped") for line in r.stderr.splitlines())
    assert len(r.stderr.splitlines()) == len(files) - len(pictures)


def test_json_with_show_keeps_stdout_json(tmp_path, weights_file):
    images = [EXAMPLES / "seven-ink-on-paper.png", EXAMPLES / "zero-small.png"]
    r = run(["--weights", weights_file, "--json", "--show"] + images, tmp_path)
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["file"] for line in r.stdout.splitlines()] == [str(p) for p in images]
    assert r.stderr.count("\n") == 2 * 28 and "@" in r.stderr


def test_no_trailing_space_after_the_bar(tmp_path, weights_file):
    images = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".png", ".pgm"))
    r = run(["--weights", weights_file] + images, tmp_path)
    assert r.stdout and all(line == line.rstrip() for line in r.stdout.splitlines())
    assert predict.bar([0.0] * 9 + [1.0]).endswith("9█")
    assert predict.bar([1.0] + [0.0] * 9) == "0█ 1  2  3  4  5  6  7  8  9"
