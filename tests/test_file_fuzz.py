"""Fuzzing the file readers: mutated weights files, checkpoints and IDX files are each read or
refused with the module's own one-line error (WeightsError, DataError), never anything else.

2,400 examples in all by default (about 8 s on CPython); set TINYNET_FUZZ_EXAMPLES to run more
per test, e.g. `TINYNET_FUZZ_EXAMPLES=20000 python3 -m pytest tests/test_file_fuzz.py`.
"""

import gzip
import json
import os
import struct

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tinynet import mnist, network, weights
from tinynet.mnist import DataError
from tinynet.support import ON_PYPY
from tinynet.weights import WeightsError

# 600 examples per test on CPython; a quarter on PyPy, where hypothesis itself runs slowly.
EXAMPLES = int(os.environ.get("TINYNET_FUZZ_EXAMPLES", "0")) or (150 if ON_PYPY else 600)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NET = network.new_network([4, 3, 2], seed=1)
WEIGHTS = weights.to_dict(NET, "quadratic", {"seed": 1, "history": [{"epoch": 1, "cost": 0.5}]})
CHECKPOINT = {
    "format": "tinynet-checkpoint",
    "settings": {"sizes": [4, 3, 2], "lr": 0.5, "seed": 1},
    "epoch": 1,
    "batch": 0,
    "network": WEIGHTS,
    "exact": [[[round(w * 2**40) for w in row] for row in NET.w[0]]],
    "history": [{"epoch": 1}],
    "stats": None,
    "seconds": 1.5,
}
SEEDS = [json.dumps(WEIGHTS).encode(), json.dumps(CHECKPOINT, indent=1).encode()]

# Pieces a damaged or hostile file might hold where a value or some syntax should be.
NASTY = [
    b"1e400", b"-1e400", b"NaN", b"Infinity", b"-Infinity", b"9" * 400, b"-" + b"1" * 41,
    b"[" * 3000, b"{" * 3000, b'"a":' * 50, b"\x00", b"\xff\xfe", b"\xed\xa0\x80", b'"\\ud800"',
    b"true", b"null", b"[]", b"{}", b'"x"', b"0.0", b"1E5", b"-0", b"]", b"}", b",", b":",
    b'"tinynet-checkpoint"', b'"tinynet"', b'"training": 3,',
]  # fmt: skip


@st.composite
def mutated(draw, seeds):
    """A seed file with a few random byte-level changes: flips, cuts, repeats, insertions."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        n = len(data)
        at = draw(st.integers(0, n))
        action = draw(st.sampled_from(["flip", "cut", "repeat", "insert", "nasty", "truncate"]))
        if action == "flip" and n:
            data[min(at, n - 1)] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 64))] * draw(st.integers(1, 8))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "nasty":
            data[at:at] = draw(st.sampled_from(NASTY))
        else:
            del data[at:]
    return bytes(data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**45), 10**45)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def replaced(draw, seed):
    """A decoded seed (weights file or checkpoint) with one value somewhere in it replaced."""
    doc = json.loads(json.dumps(seed))
    parent, key = None, None
    node = doc
    for _ in range(draw(st.integers(1, 5))):  # walk down a random path
        if isinstance(node, dict) and node:
            k = draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            k = draw(st.integers(0, len(node) - 1))
        else:
            break
        parent, key, node = node, k, node[k]
        if not isinstance(node, (dict, list)) or draw(st.booleans()):
            break
    if parent is not None:
        parent[key] = draw(json_values)
    return doc


def check_loaders(path):
    """Every way a weights file is read either works or raises WeightsError (one line)."""
    for load in (weights.load_dict, weights.load, weights.load_digit_reader):
        try:
            load(path)
        except WeightsError as e:
            assert "\n" not in str(e) and str(path) in str(e)
            event(f"{load.__name__}: refused")
        else:
            event(f"{load.__name__}: read")


@FUZZ
@given(content=mutated(SEEDS))
def test_mutated_weights_and_checkpoint_files(tmp_path, content):
    path = tmp_path / "fuzz.json"
    path.write_bytes(content)
    check_loaders(path)


@FUZZ
@given(doc=replaced(WEIGHTS) | replaced(CHECKPOINT))
def test_weights_and_checkpoints_with_a_value_replaced(tmp_path, doc):
    try:
        weights.from_dict(doc, where="fuzz")
    except WeightsError as e:
        assert "\n" not in str(e) and str(e).startswith("fuzz: ")
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(doc))
    check_loaders(path)


def idx_file(dims, payload):
    return bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


IDX_SEEDS = [
    idx_file((3, 5, 4), bytes(range(60))),
    idx_file((7,), bytes([1, 2, 3, 4, 5, 6, 7])),
    idx_file((2, 28, 28), bytes(range(256)) * 6 + bytes(32)),
]
IDX_SEEDS += [gzip.compress(seed, mtime=0) for seed in IDX_SEEDS]


@FUZZ
@given(content=mutated(IDX_SEEDS), split=st.booleans(), magic=st.sampled_from([None, 2051, 2049]))
def test_mutated_idx_files(tmp_path, content, split, magic):
    path = tmp_path / "fuzz-idx"
    path.write_bytes(content)
    try:
        got_magic, dims, payload = mnist.read_idx(path, magic, split=split)
    except DataError as e:
        assert "\n" not in str(e) and str(path) in str(e)
        event("refused")
    else:
        event("read")
        assert magic is None or got_magic == magic
        size = 1
        for d in dims:
            size *= d
        assert (sum(map(len, payload)) if split else len(payload)) == size


@FUZZ
@given(header=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4), tail=st.binary())
def test_idx_headers_announcing_anything(tmp_path, header, tail):
    """Any sizes in the header, over any (short) payload: read or refused, quickly."""
    path = tmp_path / "fuzz-idx.gz"
    path.write_bytes(gzip.compress(idx_file(tuple(header), tail), compresslevel=1))
    try:
        mnist.read_idx(path, split=True)
    except DataError as e:
        assert "\n" not in str(e) and str(path) in str(e)


@pytest.mark.parametrize("seed", range(len(IDX_SEEDS)))
def test_the_idx_seeds_themselves_are_read(tmp_path, seed):
    """The fuzzing starts from valid files (else it would only test refusals)."""
    path = tmp_path / "seed"
    path.write_bytes(IDX_SEEDS[seed])
    assert mnist.read_idx(path)[1] in [(3, 5, 4), (7,), (2, 28, 28)]


def test_the_weights_seeds_themselves_are_read(tmp_path):
    path = tmp_path / "seed.json"
    path.write_bytes(SEEDS[0])
    assert weights.load(path).w == NET.w
    path.write_bytes(SEEDS[1])
    assert weights.load_dict(path) == CHECKPOINT
