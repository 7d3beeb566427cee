"""Weights files: a network saved as JSON, checked thoroughly when loaded.

    {"format": "tinynet", "version": 1, "sizes": [784, 16, 16, 10], "activation": "sigmoid",
     "output": "sigmoid", "cost": "cross-entropy", "weights": w[l][i][j], "biases": b[l][i],
     "training": {...}}

`weights[l][i][j]` is the weight from neuron j of layer l to neuron i of layer l+1, `biases[l][i]`
the bias of neuron i of layer l+1 (see network.py). `training` records how the file was made.
"activation" is the hidden layers' f (sigmoid, relu or tanh), "output" the output layer's
(sigmoid or softmax); a file without them is the video's all-sigmoid network.
"""

import gc
import json
import math
import os
import re
import stat
from pathlib import Path

from .network import ACTIVATIONS, COSTS, DEFAULT_COST, OUTPUTS, SOFTMAX_COSTS, Network
from .support import ON_PYPY
from .support.files import write_atomic
from .support.text import is_whole, one_line, short

FORMAT, VERSION = "tinynet", 1
CHECKPOINT_FORMAT = "tinynet-checkpoint"  # what train.py writes while training (see --resume)


def shipped_file(name):
    """A file shipped with tinynet (the pretrained weights, the example digit), by its name.

    Installed, the files are inside the package, in tinynet/pretrained/; in a clone they are in
    pretrained/ at the top of the repository (also with an editable install). The one place
    that knows this.
    """
    package = Path(__file__).resolve().parent
    inside = package / "pretrained" / name
    return inside if inside.exists() else package.parent / "pretrained" / name


PRETRAINED = shipped_file("tinynet-784-16-16-10.json")
# The second shipped network: 784-64-10, ReLU hidden layer, softmax output (--preset relu-softmax)
PRETRAINED_RELU = shipped_file("tinynet-784-64-10-relu-softmax.json")


# The largest weights or checkpoint file read: the shipped 784-16-16-10 file is 286 KB; a
# 784-100-10 network 1.8 MB and its checkpoint 2.8 MB; --preset wide's 784-2048-10 network 36 MB
# and its checkpoint 57 MB (3.2 million numbers).
MAX_BYTES = 64 * 1024 * 1024
# Decoded, a small value costs far more memory than its bytes ("0," is 2 bytes, 8 in a list;
# "[]," 3 bytes, 64 as a list), so the text is also limited to MAX_VALUES values (counted as its
# commas: n values in a list need n - 1) and to MAX_CONTAINERS lists and objects and as many
# strings (a 784-500-10 checkpoint has 790,000 numbers, about 500 lists and 100 strings).
# Hostile files within these limits stay under 300 MB and a few seconds to decode
# (benchmarks/file_limits.py).
MAX_VALUES = 3_500_000
MAX_CONTAINERS = 100_000
# The longest integer read: 18 digits, so that every integer fits a machine word (under 2⁶³),
# which PyPy keeps unboxed (a file of 40-digit integers took it to 363 MB). Checkpoints hold the
# first layer as w·2⁴⁰ (at most 17 digits: see MAX_WEIGHTED_INPUT), and seeds have at most 18.
MAX_DIGITS = 18
# The largest weighted input a neuron may be able to reach: Σⱼ |wᵢⱼ| + |bᵢ| (its inputs are
# between 0 and 1). Past ±40, σ(z) is within 10⁻¹⁷ of 0 or 1, and a trained network comes
# nowhere near this (the shipped one: at most 118); but the lanes engine holds z·255·2⁴⁰ in a
# 64-bit lane, which overflows from 2²³/255 ≈ 32,900 (engines/lanes.py). Larger weights, finite
# as they may be, would make a forward pass overflow: such a file is refused on load.
MAX_WEIGHTED_INPUT = 30_000


class WeightsError(Exception):
    """A weights file that cannot be used; the message says why in one line."""


def to_dict(net, cost=DEFAULT_COST, training=None, deskew=False):
    """The weights file's content. "input" says how images must be prepared for this network:
    {"deskew": true} when it was trained on deskewed digits (absent means false)."""
    d = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": list(net.sizes),
        "activation": net.activation,
        "output": net.output,
        "cost": cost,
    }
    if deskew:
        d["input"] = {"deskew": True}
    d.update({"weights": net.w, "biases": net.b, "training": training or {}})
    return d


def write_json_atomic(path, obj, indent=None):
    """Write obj as JSON to a temporary file beside `path`, then rename it into place."""
    write_atomic(path, (json.dumps(obj, indent=indent, allow_nan=False) + "\n").encode("utf-8"))


def save(net, path, cost=DEFAULT_COST, training=None, deskew=False):
    """Save a network as a weights file (written to a temporary name, then renamed)."""
    write_json_atomic(path, to_dict(net, cost, training, deskew))


def from_dict(d, where="weights file"):
    """Check a decoded weights file and build the Network; WeightsError if anything is off."""

    def fail(msg):
        raise WeightsError(f"{where}: {msg}")

    _check_header(d, where, fail)
    sizes, w, b = _checked_layers(d, fail)
    w = [[list(map(float, row)) for row in w_l] for w_l in w]
    b = [list(map(float, b_l)) for b_l in b]
    return Network(sizes, w, b, d.get("activation", "sigmoid"), d.get("output", "sigmoid"))


def _check_header(d, where, fail):
    """The fields around the numbers: format, version, activation, cost, training, input."""
    if not isinstance(d, dict):
        fail("not a tinynet weights file (the JSON is not an object)")
    if d.get("format") == CHECKPOINT_FORMAT:
        fail(
            f"this is a training checkpoint; resume it with `python -m tinynet.train --resume "
            f"{where}`, or use its finished weights file"
        )
    if d.get("format") != FORMAT:
        fail(
            f'not a tinynet weights file ("format" is {short(d.get("format"))}, '
            f"expected {FORMAT!r})"
        )
    version = d.get("version")
    if not is_whole(version) or version != VERSION:
        fail(f"unsupported version {short(version)} (this tinynet reads version {VERSION:d})")
    activation, output = d.get("activation", "sigmoid"), d.get("output", "sigmoid")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        fail(f"unsupported activation {short(activation)} (sigmoid, relu or tanh)")
    if not isinstance(output, str) or output not in OUTPUTS:
        fail(f'unsupported "output" {short(output)} (sigmoid or softmax)')
    cost = d.get("cost", "quadratic")
    if not isinstance(cost, str) or cost not in COSTS:
        fail(f"unknown cost {short(cost)}")
    if output == "softmax" and cost not in SOFTMAX_COSTS:
        fail(f"a softmax output with the {cost} cost (softmax goes with cross-entropy)")
    training = d.get("training")
    if training is not None and not isinstance(training, dict):
        fail(
            f'"training" must be an object (a record of how the file was made), '
            f"not {short(training)}"
        )
    spec = d.get("input", {})
    if (
        not isinstance(spec, dict)
        or set(spec) - {"deskew"}
        or not isinstance(spec.get("deskew", False), bool)  # 1 == True, but is no bool
    ):
        fail(f'"input" must be {{"deskew": true or false}}, not {short(spec)}')


def _checked_layers(d, fail):
    """(sizes, weights, biases), every matrix and vector of the shape the sizes say, finite."""
    sizes = d.get("sizes")
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(is_whole(n) and n > 0 for n in sizes)
    ):
        fail('"sizes" must be a list of at least two positive whole numbers')
    w, b = d.get("weights"), d.get("biases")
    if not isinstance(w, list) or len(w) != len(sizes) - 1:
        fail(f'"weights" must hold {len(sizes) - 1:d} matrices for sizes {short(sizes)}')
    if not isinstance(b, list) or len(b) != len(sizes) - 1:
        fail(f'"biases" must hold {len(sizes) - 1:d} vectors for sizes {short(sizes)}')
    for l in range(len(sizes) - 1):
        n_in, n_out = sizes[l], sizes[l + 1]
        if not isinstance(w[l], list) or len(w[l]) != n_out:
            fail(f"weights[{l:d}] must have {n_out:d} rows (sizes {short(sizes)})")
        for i, row in enumerate(w[l]):
            if not isinstance(row, list) or len(row) != n_in:
                fail(f"weights[{l:d}][{i:d}] must have {n_in:d} numbers (sizes {short(sizes)})")
            if not _all_finite(row):
                fail(f"weights[{l:d}][{i:d}] holds something that is not a finite number")
        if not isinstance(b[l], list) or len(b[l]) != n_out:
            fail(f"biases[{l:d}] must have {n_out:d} numbers (sizes {short(sizes)})")
        if not _all_finite(b[l]):
            fail(f"biases[{l:d}] holds something that is not a finite number")
    too_large = out_of_range(w, b)
    if too_large:
        fail(too_large)
    return sizes, w, b


def out_of_range(w, b):
    """None if no neuron's weighted input can pass ±MAX_WEIGHTED_INPUT (Σⱼ |wᵢⱼ| + |bᵢ|, its
    inputs being between 0 and 1), else the one line that names the first neuron that can."""
    for l, (w_l, b_l) in enumerate(zip(w, b)):
        for i, (row, b_i) in enumerate(zip(w_l, b_l)):
            reach = sum(map(abs, row)) + abs(b_i)  # inf, not an error, if it overflows
            if not reach <= MAX_WEIGHTED_INPUT:  # NaN too
                return (
                    f"weights[{l:d}][{i:d}] and biases[{l:d}][{i:d}] are too large: that "
                    f"neuron's weighted input could reach {reach:.3g} (Σ|w| + |b|), over the "
                    f"{MAX_WEIGHTED_INPUT:,d} a forward pass can hold"
                )
    return None


def _all_finite(values):
    """Every value is an int or float (not a bool, string, list…) and finite.

    (Integers are already at most MAX_DIGITS long, so float(n) cannot overflow.)"""
    return set(map(type, values)) <= {int, float} and all(map(math.isfinite, values))


def load_dict(path=None):
    """Read and decode a weights or checkpoint file as a dict (not yet checked).

    Default: the pretrained file. Safe with any file: it must be a regular file of at most
    MAX_BYTES (checked before reading; a pipe or device is refused without waiting on it) with
    at most MAX_VALUES values, MAX_CONTAINERS lists and objects and as many strings, UTF-8 JSON,
    with no number a float cannot hold (no NaN, Infinity, 1e400 or integers longer than
    MAX_DIGITS digits), nested at most as deep as Python's recursion limit allows.
    Anything else is a WeightsError with one line naming the file.
    """
    path = Path(path) if path is not None else PRETRAINED
    data = _read_bounded(path)
    # Counted in C over the whole text, before decoding: a comma, bracket or quote inside a
    # string counts too, which only overestimates.
    for count, limit, what in [
        (data.count(b","), MAX_VALUES, "values"),
        (data.count(b"[") + data.count(b"{"), MAX_CONTAINERS, "lists and objects"),
        (data.count(b'"') // 2, MAX_CONTAINERS, "strings"),
    ]:
        if count > limit:
            raise WeightsError(
                f"{path}: more than {limit:,d} {what} ({count:,d}), more than a weights or "
                f"checkpoint file may have; the file is damaged or not a weights file"
            )
    # The hooks that refuse long integers and floats too large for a float cost a Python call
    # per number; only a file with a run of over MAX_DIGITS digits or an exponent of 100 or more
    # can hold such a number (below that, |x| < 10⁴¹ · 10⁹⁹), so only such a file needs them.
    hooks = {"parse_int": _parse_int, "parse_float": _parse_float} if _suspect(data) else {}
    # JSON has no NaN or Infinity, Python's json reads them: refused by a hook too, only when the
    # text has them (with any hook, PyPy's json decodes in Python: 200 MB more for 16 MB).
    if b"NaN" in data or b"Infinity" in data:
        hooks["parse_constant"] = _refuse_constant
    text = _text(path, data)
    big = len(data) > 1024 * 1024
    del data
    if big and ON_PYPY:
        gc.collect()  # PyPy frees the file's bytes only when it collects: before json's peak
    try:
        return json.loads(text, **hooks)
    except NumberRefused as e:
        raise WeightsError(
            f"{path}: holds {e}; the file is damaged or not a weights file"
        ) from None
    except ValueError as e:
        raise WeightsError(
            f"{path}: not valid JSON ({one_line(e)}); the file is damaged or not a weights file"
        ) from None
    except RecursionError:
        raise WeightsError(f"{path}: JSON nested too deeply; not a weights file") from None
    finally:
        del text
        if big and ON_PYPY:
            gc.collect()  # and the text, and json's leftovers, before the caller's checks


def _text(path, data):
    """The file's bytes decoded as UTF-8, a byte-order mark at the start (which some Windows
    editors write) skipped; WeightsError if it is not UTF-8 or holds nothing but spaces."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise WeightsError(
            f"{path}: not UTF-8 text (byte {e.start:d}); the file is damaged or not a weights file"
        ) from None
    if not text or text.isspace():
        raise WeightsError(f"{path}: file is empty")
    return text


def _read_bounded(path):
    """The bytes of a regular file of at most MAX_BYTES; WeightsError (one line) otherwise.

    The file is looked at (stat) before it is opened, and opened without blocking, so a named
    pipe, a terminal or /dev/zero is refused at once instead of hanging or filling memory.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        hint = (
            " (give --weights FILE, e.g. one made by python -m tinynet.train)"
            if path == PRETRAINED
            else ""
        )
        raise WeightsError(f"{path}: no such file{hint}") from None
    except OSError as e:
        raise WeightsError(f"{path}: cannot read: {one_line(e)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise WeightsError(f"{path}: is a directory, not a weights file")
    if not stat.S_ISREG(st.st_mode):
        raise WeightsError(
            f"{path}: not a regular file (a pipe, device or socket?), not a weights file"
        )
    too_big = (
        f"{path}: {{}} bytes, more than the {MAX_BYTES:,d} a weights or checkpoint file may have"
    )
    if st.st_size > MAX_BYTES:
        raise WeightsError(too_big.format(f"{st.st_size:,d}"))
    try:
        # O_NONBLOCK: should the file have been swapped for a pipe since stat(), open() does not
        # wait for a writer; fstat() below then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise WeightsError(f"{path}: cannot read: {one_line(e)}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise WeightsError(f"{path}: not a regular file, not a weights file")
        with os.fdopen(fd, "rb") as f:
            fd = None
            # Ask for the size stat() gave, plus one byte to notice a file still growing; then,
            # should it have grown, for at most the rest of the limit.
            data = f.read(min(st.st_size, MAX_BYTES) + 1)
            if len(data) > st.st_size:
                data += f.read(MAX_BYTES + 1 - len(data))
    except OSError as e:
        raise WeightsError(f"{path}: cannot read: {one_line(e)}") from None
    finally:
        if fd is not None:
            os.close(fd)
    if len(data) > MAX_BYTES:
        raise WeightsError(too_big.format("over " + format(MAX_BYTES, ",d")))
    return data


# A number whose exponent has three digits or more: e, the exponent, and then not another
# letter, digit or quote (so that the hex digests of "data_sha256", where "e650" is common, do
# not count).
_LARGE_EXPONENT = re.compile(rb"[eE]\+?0*[1-9][0-9]{2,}(?![0-9A-Za-z\"])")
# Where one may start: patterns with no "?", "*" or "+", which PyPy's regular expressions run
# through 16 MB without allocating (with them: 220 MB).
_EXPONENT_STARTS = [re.compile(rb"[eE][0-9][0-9][0-9]"), re.compile(rb"[eE]\+[0-9][0-9][0-9]")]
# Every digit as "0", ".", "e", "E" and "+" as "e", everything else as " ": an integer of n
# digits is then " " and n times "0" (a float's fraction or exponent follows an "e").
_DIGITS_AS_ZEROS = bytes(48 if 48 <= c <= 57 else 101 if c in b".eE+" else 32 for c in range(256))


def _suspect(data):
    """True if the text may hold a number the json hooks refuse: an integer (or a float's whole
    part) of over MAX_DIGITS digits, or an exponent of 100 or more. (The long integer is found
    by translate and `in`, at C speed: a regular expression took 0.8 s on 16 MB, and 220 MB
    under PyPy.)"""
    zeros = data.translate(_DIGITS_AS_ZEROS)
    if b" " + b"0" * (MAX_DIGITS + 1) in zeros or zeros.startswith(b"0" * (MAX_DIGITS + 1)):
        return True
    return any(
        _LARGE_EXPONENT.match(data, start.start())
        for pattern in _EXPONENT_STARTS
        for start in pattern.finditer(data)
    )


def _parse_int(text):
    """json's hook for integers: refuse ones longer than MAX_DIGITS digits (float() of a
    400-digit integer overflows, and Python refuses to even read 4,300 digits)."""
    if len(text) > MAX_DIGITS and len(text.lstrip("-")) > MAX_DIGITS:
        raise NumberRefused(
            f"an integer of {len(text.lstrip('-')):d} digits (at most {MAX_DIGITS:d})"
        )
    return int(text)


def _parse_float(text):
    """json's hook for numbers with a fraction or exponent: refuse 1e400 and the like, which
    would become infinity."""
    x = float(text)
    if not math.isfinite(x):
        raise NumberRefused(f"{text[:20]}, too large for a float")
    return x


def _refuse_constant(name):
    raise NumberRefused(f"{name}, which JSON does not allow (not a finite number)")


class NumberRefused(ValueError):
    """A number in a JSON file that tinynet will not read (raised by the json hooks)."""


def load(path=None):
    """Load and check a weights file; returns a Network. Default: the shipped pretrained file."""
    path = Path(path) if path is not None else PRETRAINED
    return from_dict(load_dict(path), where=str(path))


def weights_input(info):
    """How a weights file wants its images prepared: ``{"deskew": bool}``.

    ``info`` is the decoded weights file (``load_digit_reader`` returns it beside the network);
    ``"input": {"deskew": true}`` in it means the network was trained on deskewed digits, so
    every image it reads must be deskewed too. Absent (files made before deskewing) means false.
    """
    spec = info.get("input") if isinstance(info, dict) else None
    return {"deskew": isinstance(spec, dict) and spec.get("deskew") is True}


def load_with_info(path=None):
    """(Network, the whole decoded file) — for tools that also show the training record."""
    path = Path(path) if path is not None else PRETRAINED
    d = load_dict(path)
    return from_dict(d, where=str(path)), d


def check_digit_reader(net, where="weights file"):
    """WeightsError unless the network reads 28×28 images (784 inputs) into ten digits."""
    if net.sizes[0] != 784 or net.sizes[-1] != 10:
        raise WeightsError(
            f"{where}: sizes {net.sizes} do not read 28×28 digits (need 784 inputs and 10 outputs)"
        )


def load_digit_reader(path=None):
    """(Network, decoded file) for a weights file that reads digits; default: the pretrained
    file."""
    net, info = load_with_info(path)
    check_digit_reader(net, path if path is not None else PRETRAINED)
    return net, info
