"""Tests for tinynet.images.imagefile.read_image: formats by magic bytes, file problems, Pillow
fallback."""

import os
import random
import shutil
import struct
import subprocess
import sys
import types
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet.images import imagefile, png, pnm
from tinynet.images.imagefile import ImageError, read_image
from tinynet.support import memory

RED_DOT = png.encode(1, 1, [255, 0, 0, 255], "RGBA")
OTHER_FORMATS = [
    ("JPEG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20)),
    ("GIF", b"GIF89a" + bytes(20)),
    ("BMP", b"BM" + bytes(30)),
    ("WebP", b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20)),
    ("TIFF", b"II*\x00" + bytes(20)),
    ("TIFF", b"MM\x00*" + bytes(20)),
    ("ICO", b"\x00\x00\x01\x00\x01\x00" + bytes(20)),
    ("HEIF/AVIF", b"\x00\x00\x00\x18ftypheic" + bytes(20)),
    ("JPEG 2000", b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(20)),
]


@pytest.fixture
def write(tmp_path):
    """write(data, name="image") -> path of a file holding `data`."""

    def write_file(data, name="image"):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write_file


@pytest.fixture
def no_pillow(monkeypatch):
    """Make `import PIL` fail, whether or not Pillow is installed."""
    monkeypatch.setitem(sys.modules, "PIL", None)


def test_reads_png(write):
    assert read_image(write(RED_DOT)) == (1, 1, [255, 0, 0, 255])


def test_reads_pgm_whatever_the_file_is_called(write):
    path = write(pnm.encode_pgm(2, 1, [0, 200]), name="picture.jpg")
    assert read_image(path) == (2, 1, [0, 0, 0, 255, 200, 200, 200, 255])


def test_reads_plain_pbm_and_accepts_str_paths(write):
    assert read_image(str(write(b"P1\n1 1\n1\n"))) == (1, 1, [0, 0, 0, 255])


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        read_image(tmp_path / "nothing-here.png")


def test_directory(tmp_path):
    with pytest.raises(ImageError, match="is a directory"):
        read_image(tmp_path)


def test_empty_file(write):
    with pytest.raises(ImageError, match="file is empty"):
        read_image(write(b""))


def test_permission_denied(write, monkeypatch):
    path = write(RED_DOT)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(imagefile, "open", refuse, raising=False)
    with pytest.raises(ImageError, match="permission denied"):
        read_image(path)


def test_other_os_errors_are_image_errors(write, monkeypatch):
    path = write(RED_DOT)

    def fail(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(imagefile, "open", fail, raising=False)
    with pytest.raises(ImageError, match="Input/output error"):
        read_image(path)


def test_oversized_file_is_refused_before_reading(write, monkeypatch):
    monkeypatch.setattr(imagefile, "MAX_FILE_BYTES", 100)
    with pytest.raises(ImageError, match="over the 0 MB limit|limit"):
        read_image(write(bytes(101)))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_endless_device_is_refused_without_reading():
    with pytest.raises(ImageError, match="not a regular file"):
        read_image("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (os.mkfifo)")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    # Opening a FIFO with no writer blocks forever; read_image must look before it opens.
    fifo = tmp_path / "image.png"
    os.mkfifo(str(fifo))
    with pytest.raises(ImageError, match="not a regular file"):
        read_image(fifo)


def test_size_limit_is_checked_before_opening(write, monkeypatch):
    def no_open(*args, **kwargs):
        raise AssertionError("read_image opened an oversized file")

    path = write(bytes(101))
    monkeypatch.setattr(imagefile, "MAX_FILE_BYTES", 100)
    monkeypatch.setattr(imagefile.os, "open", no_open)
    with pytest.raises(ImageError, match="over the 0 MB limit"):
        read_image(path)


def test_large_png_and_pnm_come_back_at_the_working_size_with_their_scale(write):
    # 3000 × 1000 8-bit grey, every row the same (filter type 0), made at C speed.
    raw = (b"\x00" + bytes(range(250)) * 12) * 1000
    big_png = (
        png.SIGNATURE
        + png.chunk("IHDR", struct.pack(">IIBBBBB", 3000, 1000, 8, 0, 0, 0, 0))
        + png.chunk("IDAT", zlib.compress(raw, 1))
        + png.chunk("IEND", b"")
    )
    width, height, rgba, scale = imagefile.read_image_and_scale(write(big_png, "big.png"))
    assert (width, height, scale) == (500, 167, 6)  # 6 = ceil(3000 / 512)
    assert len(rgba) == 4 * width * height
    assert read_image(write(big_png, "big.png")) == (width, height, rgba)
    big_pgm = b"P5 600 100 255\n" + bytes(60000)
    assert imagefile.read_image_and_scale(write(big_pgm, "big.pgm"))[::3] == (300, 2)


def test_small_images_come_back_exactly_as_the_full_decoders_give_them(write):
    small = png.encode(3, 3, list(range(9)))
    assert read_image(write(small)) == png.decode(small)
    pgm = pnm.encode_pgm(2, 2, [1, 2, 3, 4])
    assert read_image(write(pgm)) == pnm.decode(pgm)


def test_a_tiny_pgm_with_a_huge_number_is_one_clear_error(write):
    with pytest.raises(ImageError, match="cannot read PBM/PGM/PPM: .*far too large"):
        read_image(write(b"P5 1111111111\xff"))


def test_junk_is_not_an_image(write):
    with pytest.raises(ImageError, match=r"not an image \(unrecognised format\)"):
        read_image(write(b"hello, this is text\n"))


@pytest.mark.parametrize(
    "kind, data", OTHER_FORMATS, ids=[f[0] + str(i) for i, f in enumerate(OTHER_FORMATS)]
)
def test_other_formats_without_pillow_say_how_to_read_them(write, no_pillow, kind, data):
    with pytest.raises(ImageError) as caught:
        read_image(write(data))
    message = str(caught.value)
    assert message.startswith(f"this looks like a {kind} file")
    assert "pip install pillow" in message and "convert the file to PNG" in message


def test_jpeg_message_exactly(write, no_pillow):
    with pytest.raises(ImageError) as caught:
        read_image(write(OTHER_FORMATS[0][1]))
    assert str(caught.value) == (
        "this looks like a JPEG file; tinynet reads PNG and PGM/PPM/PBM by itself — "
        "install Pillow (pip install pillow) to read JPEG, or convert the file to PNG"
    )


def test_broken_png_becomes_image_error_without_the_path(write):
    path = write(RED_DOT[:-20] + bytes([RED_DOT[-20] ^ 0xFF]) + RED_DOT[-19:], name="zebra-7.png")
    with pytest.raises(ImageError, match="cannot read PNG: bad CRC") as caught:
        read_image(path)
    assert isinstance(caught.value.__cause__, png.PNGError)
    assert str(path) not in str(caught.value) and "zebra" not in str(caught.value)


def test_broken_pnm_becomes_image_error(write):
    with pytest.raises(ImageError, match="cannot read PBM/PGM/PPM: .*cut short"):
        read_image(write(b"P5 2 2 255\n\x00"))


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def test_pillow_is_not_imported_at_module_level():
    source = Path(imagefile.__file__).read_text(encoding="utf-8")
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not any("PIL" in line for line in top_level)


# --- the Pillow path, with a stand-in module so it runs without Pillow ---


class FakeImage:
    """Just enough of a PIL.Image.Image for read_with_pillow."""

    def __init__(self, size, rgba):
        self.size = size
        self.rgba = rgba

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def convert(self, mode):
        assert mode == "RGBA"
        return self

    def tobytes(self):
        return self.rgba


def install_fake_pillow(monkeypatch, open_function):
    package = types.ModuleType("PIL")
    image_module = types.ModuleType("PIL.Image")
    image_module.open = open_function
    image_module.DecompressionBombWarning = type("DecompressionBombWarning", (RuntimeWarning,), {})
    ops_module = types.ModuleType("PIL.ImageOps")
    ops_module.exif_transpose = lambda image: image
    package.Image, package.ImageOps = image_module, ops_module
    monkeypatch.setitem(sys.modules, "PIL", package)
    monkeypatch.setitem(sys.modules, "PIL.Image", image_module)
    monkeypatch.setitem(sys.modules, "PIL.ImageOps", ops_module)


def test_pillow_path_converts_to_rgba_list(write, monkeypatch):
    install_fake_pillow(
        monkeypatch, lambda stream: FakeImage((2, 1), bytes([1, 2, 3, 4, 5, 6, 7, 8]))
    )
    assert read_image(write(OTHER_FORMATS[0][1])) == (2, 1, [1, 2, 3, 4, 5, 6, 7, 8])


def test_pillow_path_applies_the_pixel_limit(write, monkeypatch):
    install_fake_pillow(monkeypatch, lambda stream: FakeImage((30000, 30000), b""))
    with pytest.raises(ImageError, match="30000×30000 pixels, over the"):
        read_image(write(OTHER_FORMATS[1][1]))


def test_pillow_failures_become_image_errors(write, monkeypatch):
    def broken(stream):
        raise OSError("cannot identify image file")

    install_fake_pillow(monkeypatch, broken)
    with pytest.raises(ImageError, match="cannot read this BMP file .*cannot identify"):
        read_image(write(OTHER_FORMATS[2][1]))


def test_real_pillow_reads_gif_and_bmp(write):
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (optional)")
    import io

    for fmt in ("GIF", "BMP", "TIFF"):
        picture = Image.new("RGB", (3, 2), (10, 20, 30))
        buffer = io.BytesIO()
        picture.save(buffer, fmt)
        assert read_image(write(buffer.getvalue(), name="x." + fmt)) == (
            3,
            2,
            [10, 20, 30, 255] * 6,
        )


def test_real_pillow_refuses_broken_jpeg(write):
    pytest.importorskip("PIL.Image", reason="Pillow is not installed (optional)")
    with pytest.raises(ImageError, match="JPEG"):
        read_image(write(OTHER_FORMATS[0][1]))


# --- fuzzing ---

SEEDS = [
    RED_DOT,
    png.encode(3, 3, list(range(9))),
    pnm.encode_pgm(2, 2, [1, 2, 3, 4]),
    b"P3 1 1 255 1 2 3",
]


@st.composite
def files(draw):
    """Random bytes, or a valid PNG/PNM with random edits."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=80))
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(data)))
        if draw(st.booleans()) and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        else:
            del data[pos:]
    return bytes(data)


@pytest.fixture(scope="module")
def fuzz_path(tmp_path_factory):
    """One file that every fuzz example overwrites (module-scoped, so hypothesis may share it)."""
    return tmp_path_factory.mktemp("fuzz") / "image"


@settings(max_examples=150, deadline=None)
@given(data=files())
def test_fuzz_read_image(fuzz_path, data):
    fuzz_path.write_bytes(data)
    try:
        width, height, rgba = read_image(fuzz_path)
    except ImageError as exc:
        assert str(exc) and str(fuzz_path) not in str(exc)
    else:
        assert len(rgba) == width * height * 4


# --- memory under PyPy: the whole of `pypy3 -m tinynet.predict` on big images (#18) ---------

ROOT = Path(__file__).resolve().parent.parent
PYPY = shutil.which("pypy3")


def big_plain_pgm(side):
    """A plain PGM of side² samples (the most a plain file may hold at 2048²): one random row."""
    rng = random.Random(1)
    row = b" ".join(b"%d" % rng.randrange(256) for _ in range(side)) + b"\n"
    return b"P2\n%d %d\n255\n" % (side, side) + row * side


def big_paeth_png(side):
    """A side² 8-bit grey PNG, every row Paeth-filtered noise (the same row each time)."""
    line = b"\x04" + random.Random(2).randbytes(side)
    compressor = zlib.compressobj(1)
    idat = b"".join(compressor.compress(line) for _ in range(side)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        png.SIGNATURE + png.chunk("IHDR", ihdr) + png.chunk("IDAT", idat) + png.chunk("IEND", b"")
    )


# Started from a small process: a child's peak (ru_maxrss) starts at the size of the process it
# was forked from, kept across exec, so one forked from this test run (under PyPy, 300 MB and
# more) would report the test run's size, not its own.
PEAK_OF_CHILD = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=sys.stdout, stderr=sys.stdout)
print(os.wait4(child.pid, 0)[2].ru_maxrss, file=sys.stderr)
"""


def predict_peak_mb(python, path):
    """(peak resident MB, output) of `python -m tinynet.predict path`, PyPy's own nursery."""
    env = {k: v for k, v in os.environ.items() if k != "PYPY_GC_NURSERY"}
    small = shutil.which("python3") or sys.executable
    run = subprocess.run(
        [small, "-c", PEAK_OF_CHILD, python, "-m", "tinynet.predict", str(path)],
        capture_output=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    said = run.stdout.decode("utf-8", "replace")
    return int(run.stderr.decode().split()[-1]) / 1024, said


@pytest.mark.skipif(PYPY is None, reason="pypy3 is not installed: PyPy's memory cannot be measured")
@pytest.mark.parametrize("make", [big_plain_pgm, big_paeth_png], ids=["plain-pgm", "paeth-png"])
def test_pypy_predict_on_a_big_image_stays_under_300_mb(write, make):
    path = write(make(2048), "big")
    peak, said = predict_peak_mb(PYPY, path)
    assert "looks most like" in said or "no digit" in said, said  # read, not refused
    assert peak < 300, f"{peak:.0f} MB: {said}"


def test_a_command_restarts_itself_the_same_way(monkeypatch):
    main = types.ModuleType("__main__")
    main.__spec__ = types.SimpleNamespace(name="tinynet.predict")
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert memory.restart_command(["/x/predict.py", "a.png", "--json"]) == [
        sys.executable, "-m", "tinynet.predict", "a.png", "--json"
    ]  # fmt: skip
    main.__spec__ = types.SimpleNamespace(name="tinynet.__main__")
    assert memory.restart_command(["/x/__main__.py", "predict"])[1:3] == ["-m", "tinynet"]
    main.__spec__ = None
    assert memory.restart_command(["-c", "x"]) is None  # python -c: cannot be started again
    assert memory.restart_command([__file__, "y"]) == [sys.executable, __file__, "y"]
    if not memory.ON_PYPY:
        assert memory.nursery_bytes() == 0
        memory.small_nursery_on_pypy()  # CPython: nothing to do (and no restart)
