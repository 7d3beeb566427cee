"""Fuzzing the image readers: every mutated PNG or PNM is read, or refused with the module's
own error (PNGError, PNMError, ImageError), never anything else.

The mutations are the ones a reliability probe used: bit flips, truncations, chunk lengths
that lie, huge dimensions (with correct CRCs, so they reach the limits), zlib bombs, bad
filter bytes and bad CRCs, on seed images of every colour type, bit depth and interlacing,
some of them larger than the working size so the shrinking reader is fuzzed too.

A few thousand examples run by default (about 10-20 s on CPython); set
TINYNET_FUZZ_EXAMPLES to run more, e.g. TINYNET_FUZZ_EXAMPLES=100000 for a night.
"""

import os
import random
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinynet.images import imagefile, png, pnm

EXAMPLES = int(os.environ.get("TINYNET_FUZZ_EXAMPLES", "1000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def chunks_of(data):
    """The (name, body) chunks of a valid PNG, up to and including IEND."""
    result = []
    for name, body in png.iter_chunks(data):
        result.append((name, bytes(body)))
        if name == "IEND":
            return result


def build(chunks):
    return png.SIGNATURE + b"".join(png.chunk(name, body) for name, body in chunks)


def png_seeds():
    """Small images of every colour type, depth, filter and interlacing, and a few larger
    than the working size (so read() shrinks them)."""
    rng = random.Random(13)
    seeds = []
    for colour, depths in sorted(png.ALLOWED_DEPTHS.items()):
        for depth in depths:
            for interlace in (False, True):
                width, height = rng.randint(1, 11), rng.randint(1, 11)
                channels = png.CHANNELS[colour]
                top = (1 << depth) - 1
                palette = trns = None
                if colour == 3:
                    palette = [(i, 2 * i % 256, 255 - i) for i in range(min(top + 1, 7))]
                    samples = [rng.randrange(len(palette)) for _ in range(width * height)]
                    trns = [0, 128]
                else:
                    samples = [rng.randint(0, top) for _ in range(width * height * channels)]
                    if colour in (0, 2):
                        trns = samples[0] if colour == 0 else tuple(samples[:3])
                filters = [rng.randint(0, 4) for _ in range(5)]
                seeds.append(
                    png.encode_raw(
                        width, height, samples, colour, depth, palette, trns, interlace, filters
                    )
                )
    for width, height, depth, colour, interlace in (
        (600, 9, 1, 0, False),
        (40, 700, 8, 0, True),
        (530, 17, 8, 6, False),
    ):
        header = png.Header(width, height, depth, colour, interlace)
        raw = b"".join(
            bytes([rng.randint(0, 4)])
            + bytes(rng.getrandbits(8) for _ in range(png.row_bytes(w, header)))
            for _, _, _, _, w, h in png.passes(header)
            for _ in range(h)
        )
        ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, int(interlace))
        seeds.append(build([("IHDR", ihdr), ("IDAT", zlib.compress(raw)), ("IEND", b"")]))
    return seeds


PNG_SEEDS = png_seeds()
PNM_SEEDS = [
    b"P1\n# c\n3 2\n0 1 0\n1 0 1\n",
    b"P2 3 1 15\n0 7 15",
    b"P2 2 2 65535\n0 1000 65535 3",
    b"P3 2 1 255 255 0 0 0 0 255",
    b"P4 10 2\n" + bytes([0x80, 0x40, 0xFF, 0xC0]),
    b"P5\n# made by hand\n2 2\n255\n" + bytes([0, 1, 254, 255]),
    b"P5 2 1 1000\n" + bytes([0, 0, 3, 232]),
    b"P6 2 1 255\n" + bytes(range(6)),
    b"P5 600 3 255\n" + bytes(range(200)) * 9,
    b"P2 1 600 9\n" + b"3 " * 600,
]


def zeros_stream(total):
    """A zlib stream of `total` zero bytes (a multiple of 1 MiB), built without compressing
    them all."""
    block = 1 << 20
    compressor = zlib.compressobj(9)
    first = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return (
        first
        + repeat * (total // block - 1)
        + b"\x03\x00"
        + struct.pack(">I", (total % 65521) << 16 | 1)
    )


BOMB = zeros_stream(64 << 20)  # 64 MiB of zeros in about 64 KB

MUTATIONS = [
    "flip",
    "truncate",
    "length-lie",
    "huge-size",
    "bomb",
    "bad-filter",
    "bad-crc",
    "insert",
    "chunk-body",
]


@st.composite
def mutated_pngs(draw):
    data = draw(st.sampled_from(PNG_SEEDS))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(MUTATIONS))
        data = mutate_png(data, action, rng)
    return data


def mutate_png(data, action, rng):
    """One mutation of PNG bytes (whatever state they are in)."""
    data = bytearray(data)
    try:
        chunks = chunks_of(bytes(data))
    except png.PNGError:
        chunks = None
    if action == "flip" and data:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif action == "truncate" and data:
        del data[rng.randrange(len(data)) :]
    elif action == "length-lie" and len(data) > 12:
        # Rewrite the length field of some chunk (its CRC no longer matters: it is misread).
        pos = 8
        starts = []
        while pos + 8 <= len(data):
            starts.append(pos)
            (length,) = struct.unpack_from(">I", data, pos)
            pos += 12 + length
        if starts:
            at = rng.choice(starts)
            value = rng.choice([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rng.getrandbits(16)])
            data[at : at + 4] = struct.pack(">I", value)
    elif chunks is None:
        pass  # the chunk-level mutations need a well-formed file
    elif action == "huge-size":
        name, body = chunks[0]
        if name == "IHDR" and len(body) == 13:
            width = rng.choice([1, 16384, 16385, 65535, 2**31 - 1, 2**32 - 1, rng.getrandbits(15)])
            height = rng.choice([1, 8192, 16384, 100000, 2**31, rng.getrandbits(15)])
            chunks[0] = (name, struct.pack(">II", width, height) + body[8:])
        data = build(chunks)
    elif action == "bomb":
        chunks = [c for c in chunks if c[0] != "IDAT"]
        chunks.insert(len(chunks) - 1, ("IDAT", BOMB))
        data = build(chunks)
    elif action == "bad-filter":
        for i, (name, body) in enumerate(chunks):
            if name == "IDAT":
                try:
                    raw = bytearray(zlib.decompress(body))
                except zlib.error:
                    break
                if raw:
                    raw[rng.randrange(len(raw))] = rng.choice([5, 6, 255, rng.getrandbits(8)])
                chunks[i] = (name, zlib.compress(bytes(raw)))
                break
        data = build(chunks)
    elif action == "bad-crc" and len(data) > 20:
        at = rng.randrange(8, len(data) - 4)
        data[at : at + 4] = rng.getrandbits(32).to_bytes(4, "big")
    elif action == "insert":
        at = rng.randrange(len(data) + 1)
        data[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 12)))
    elif action == "chunk-body":
        i = rng.randrange(len(chunks))
        name, body = chunks[i]
        body = bytearray(body)
        for _ in range(rng.randint(1, 3)):
            if body:
                body[rng.randrange(len(body))] = rng.getrandbits(8)
        chunks[i] = (name, bytes(body))
        data = build(chunks)
    return bytes(data)


@st.composite
def mutated_pnms(draw):
    data = bytearray(draw(st.sampled_from(PNM_SEEDS)))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 4))):
        action = rng.choice(["flip", "truncate", "insert", "digit", "size", "comment"])
        if action == "flip" and data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif action == "truncate" and data:
            del data[rng.randrange(len(data)) :]
        elif action == "insert":
            at = rng.randrange(len(data) + 1)
            data[at:at] = bytes(
                rng.choice(b"0123456789 #\n\r\xff") for _ in range(rng.randint(1, 8))
            )
        elif action == "digit" and data:
            data[rng.randrange(len(data))] = rng.choice(b"0123456789")
        elif action == "size":
            # Replace the header numbers after the magic by huge or odd ones.
            numbers = b" ".join(
                b"%d"
                % rng.choice([0, 1, 9, 65535, 65536, 16385, 10**9, 10**12, rng.getrandbits(20)])
                for _ in range(3)
            )
            data = bytearray(bytes(data[:2]) + b" " + numbers + b"\n" + bytes(data[-40:]))
        elif action == "comment":
            at = rng.randrange(len(data) + 1)
            data[at:at] = b"#" + bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 5))) + b"\n"
    return bytes(data)


def check_result(result, max_side=png.WORKING_SIDE):
    width, height, rgba = result
    assert width >= 1 and height >= 1
    if max_side is not None:
        assert max(width, height) <= max_side
    assert isinstance(rgba, list) and len(rgba) == 4 * width * height
    bytes(rgba)  # every value is 0..255


@FUZZ
@given(mutated_pngs())
def test_fuzz_png_readers(data):
    try:
        check_result(png.read(data))
    except png.PNGError as exc:
        assert str(exc) and "\n" not in str(exc)
    try:
        check_result(png.decode(data), max_side=None)
    except png.PNGError as exc:
        assert str(exc) and "\n" not in str(exc)


@FUZZ
@given(mutated_pnms())
def test_fuzz_pnm_readers(data):
    try:
        check_result(pnm.read(data))
    except pnm.PNMError as exc:
        assert str(exc) and "\n" not in str(exc)
    try:
        check_result(pnm.decode(data), max_side=None)
    except pnm.PNMError as exc:
        assert str(exc) and "\n" not in str(exc)


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory):
    """One file that every example overwrites (module-scoped, so hypothesis may share it)."""
    return tmp_path_factory.mktemp("fuzz") / "image"


@settings(
    max_examples=max(1, EXAMPLES // 2),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(st.one_of(mutated_pngs(), mutated_pnms()))
def test_fuzz_read_image(fuzz_file, data):
    fuzz_file.write_bytes(data)
    try:
        check_result(imagefile.read_image(fuzz_file))
    except imagefile.ImageError as exc:
        message = str(exc)
        assert message and "\n" not in message and str(fuzz_file) not in message
