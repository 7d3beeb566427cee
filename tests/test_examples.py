"""Tests for the example pictures in examples/ and the script that draws them."""

import importlib.util
import os
import struct
import zlib
from pathlib import Path

import pytest

from tinynet import reading
from tinynet.images.imagefile import read_image
from tinynet.weights import PRETRAINED, load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
IMAGE_EXTENSIONS = {
    ".png",
    ".pgm",
    ".ppm",
    ".pbm",
    ".pnm",
    ".jpg",
    ".jpeg",
    ".gif",
    ".bmp",
    ".webp",
    ".tif",
    ".tiff",
}
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
WEIGHTS = PRETRAINED  # the shipped weights

#: PNG kinds the set promises: file -> (colour type, bit depth, interlaced).
PNG_KINDS = {
    "zero-small.png": (0, 8, 0),
    "one-red-pen-palette.png": (3, 4, 0),
    "one-black-and-white-1bit.png": (0, 1, 0),
    "two-blue-ink-on-cream.png": (2, 8, 0),
    "two-pencil-photo-uneven-light.png": (2, 8, 0),
    "three-chalk-on-blackboard.png": (2, 8, 0),
    "three-white-on-black-app.png": (0, 8, 0),
    "four-pencil-16bit-grey.png": (0, 16, 0),
    "five-transparent.png": (6, 8, 0),
    "six-grey-alpha.png": (4, 8, 0),
    "seven-ink-on-paper.png": (2, 8, 0),
    "eight-large.png": (2, 8, 0),
    "nine-interlaced.png": (2, 8, 1),
}


def load_script():
    spec = importlib.util.spec_from_file_location(
        "make_examples", str(EXAMPLES / "make_examples.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def image_files():
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)


def label(path):
    """The true digit, from the first word of the file name ("seven-ink-on-paper.png" -> 7)."""
    return DIGIT_WORDS.index(path.name.split("-")[0].split(".")[0])


def canonical(data):
    """PNG chunks with the IDAT stream inflated: equal for equal pictures even if zlib differs."""
    if not data.startswith(b"\x89PNG"):
        return data
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IDAT":
            idat += body
        else:
            chunks.append((kind, body))
        pos += 12 + length
    return chunks, zlib.decompress(idat)


def test_there_are_at_least_a_dozen_examples():
    assert len(image_files()) >= 12


@pytest.mark.parametrize("path", image_files(), ids=lambda p: p.name)
def test_example_decodes_and_is_not_blank(path):
    width, height, rgba = read_image(str(path))
    assert width * height * 4 == len(rgba)
    # grey level of each pixel laid on white paper (alpha taken into account)
    grey = []
    for i in range(0, len(rgba), 4):
        r, g, b, a = rgba[i : i + 4]
        lum = (299 * r + 587 * g + 114 * b) / 1000
        grey.append(lum * a / 255 + 255 * (1 - a / 255))
    middle = sorted(grey)[len(grey) // 2]  # the paper
    far = sum(1 for v in grey if abs(v - middle) >= 100)
    assert far >= 0.002 * len(grey), (
        f"{path.name} looks blank: only {far:d} pixels differ strongly from the paper"
    )


def test_every_example_is_named_after_its_digit_and_all_ten_are_there():
    labels = [label(p) for p in image_files()]  # raises ValueError for a name without a digit word
    assert sorted(set(labels)) == list(range(10))


def test_script_lists_exactly_the_files_in_the_folder():
    script = load_script()
    assert sorted(script.NAMES) == [p.name for p in image_files()]
    assert all(script.label(name) == label(Path(name)) for name in script.NAMES)


@pytest.mark.parametrize("name, kind", sorted(PNG_KINDS.items()))
def test_png_kinds_are_as_promised(name, kind):
    data = (EXAMPLES / name).read_bytes()
    assert data[12:16] == b"IHDR"
    bit_depth, colour_type, interlace = data[24], data[25], data[28]
    assert (colour_type, bit_depth, interlace) == kind


def test_pgm_example_is_a_pgm():
    pgms = [p for p in image_files() if p.suffix == ".pgm"]
    assert pgms and all(p.read_bytes().startswith(b"P5") for p in pgms)


def test_readme_describes_every_file():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for path in image_files():
        assert f"`{path.name}`" in readme


def test_regenerating_gives_the_same_files(tmp_path):
    script = load_script()
    written = script.make_all(str(tmp_path))  # about 5 s on CPython, 2 s on PyPy
    assert sorted(os.path.basename(p) for p in written) == sorted(script.NAMES)
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name], "temporary files left behind"
    for path in written:
        name = os.path.basename(path)
        new, old = Path(path).read_bytes(), (EXAMPLES / name).read_bytes()
        # Byte-identical where zlib is the one the files were made with; a
        # different zlib build (e.g. zlib-ng) may compress the same picture
        # into other bytes, so then the inflated pixel data must be equal.
        assert new == old or canonical(new) == canonical(old), (
            f"{name} differs from the committed file"
        )


def test_drawing_is_deterministic_within_a_run(tmp_path):
    script = load_script()
    a = script.make("seven-ink-on-paper.png", str(tmp_path / "a"))
    b = script.make("seven-ink-on-paper.png", str(tmp_path / "b"))
    assert Path(a).read_bytes() == Path(b).read_bytes()


def test_the_network_reads_every_example():
    """The README promises that the shipped weights read all 14 examples correctly."""
    net = load(str(WEIGHTS))
    files = image_files()
    assert len(files) == 14
    results = [
        (p.name, label(p), reading.predict(net, reading.read_digit(str(p)))[0]) for p in files
    ]
    wrong = [(name, true, got) for name, true, got in results if true != got]
    assert not wrong, f"read {len(files) - len(wrong):d} of {len(files):d}; wrong: {wrong}"
