"""Weights files: a network saved as JSON, checked thoroughly when loaded.

    {"format": "tinynet", "version": 1, "sizes": [784, 16, 16, 10], "activation": "sigmoid",
     "cost": "cross-entropy", "weights": w[l][i][j], "biases": b[l][i], "training": {...}}

`weights[l][i][j]` is the weight from neuron j of layer l to neuron i of layer l+1, `biases[l][i]`
the bias of neuron i of layer l+1 (see network.py). `training` records how the file was made.
"""

import json
import math
from pathlib import Path

from .network import COSTS, DEFAULT_COST, Network
from .support.files import write_atomic

FORMAT, VERSION = "tinynet", 1


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


class WeightsError(Exception):
    """A weights file that cannot be used; the message says why in one line."""


def to_dict(net, cost=DEFAULT_COST, training=None):
    return {
        "format": FORMAT,
        "version": VERSION,
        "sizes": list(net.sizes),
        "activation": "sigmoid",
        "cost": cost,
        "weights": net.w,
        "biases": net.b,
        "training": training or {},
    }


def write_json_atomic(path, obj, indent=None):
    """Write obj as JSON to a temporary file beside `path`, then rename it into place."""
    write_atomic(path, (json.dumps(obj, indent=indent, allow_nan=False) + "\n").encode("utf-8"))


def save(net, path, cost=DEFAULT_COST, training=None):
    """Save a network as a weights file (written to a temporary name, then renamed)."""
    write_json_atomic(path, to_dict(net, cost, training))


def from_dict(d, where="weights file"):
    """Check a decoded weights file and build the Network; WeightsError if anything is off."""

    def fail(msg):
        raise WeightsError(f"{where}: {msg}")

    if not isinstance(d, dict):
        fail("not a tinynet weights file (the JSON is not an object)")
    if d.get("format") != FORMAT:
        fail(
            'not a tinynet weights file ("format" is {!r}, expected {!r})'.format(
                d.get("format"), FORMAT
            )
        )
    if d.get("version") != VERSION:
        fail(f"unsupported version {d.get('version')!r} (this tinynet reads version {VERSION:d})")
    if d.get("activation", "sigmoid") != "sigmoid":
        fail("unsupported activation {!r} (only sigmoid)".format(d.get("activation")))
    if d.get("cost", "quadratic") not in COSTS:
        fail("unknown cost {!r}".format(d.get("cost")))
    sizes = d.get("sizes")
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes)
    ):
        fail('"sizes" must be a list of at least two positive whole numbers')
    w, b = d.get("weights"), d.get("biases")
    if not isinstance(w, list) or len(w) != len(sizes) - 1:
        fail(f'"weights" must hold {len(sizes) - 1:d} matrices for sizes {sizes}')
    if not isinstance(b, list) or len(b) != len(sizes) - 1:
        fail(f'"biases" must hold {len(sizes) - 1:d} vectors for sizes {sizes}')
    for l in range(len(sizes) - 1):
        n_in, n_out = sizes[l], sizes[l + 1]
        if not isinstance(w[l], list) or len(w[l]) != n_out:
            fail(f"weights[{l:d}] must have {n_out:d} rows (sizes {sizes})")
        for i, row in enumerate(w[l]):
            if not isinstance(row, list) or len(row) != n_in:
                fail(f"weights[{l:d}][{i:d}] must have {n_in:d} numbers (sizes {sizes})")
            if not _all_finite(row):
                fail(f"weights[{l:d}][{i:d}] holds something that is not a finite number")
        if not isinstance(b[l], list) or len(b[l]) != n_out:
            fail(f"biases[{l:d}] must have {n_out:d} numbers (sizes {sizes})")
        if not _all_finite(b[l]):
            fail(f"biases[{l:d}] holds something that is not a finite number")
    w = [[list(map(float, row)) for row in w_l] for w_l in w]
    b = [list(map(float, b_l)) for b_l in b]
    return Network(sizes, w, b)


def _all_finite(values):
    """Every value is an int or float (not a bool, string, list…) and finite."""
    return set(map(type, values)) <= {int, float} and all(map(math.isfinite, values))


def load_dict(path=None):
    """Read and decode a weights file as a dict (not yet checked). Default: the pretrained file."""
    path = Path(path) if path is not None else PRETRAINED
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        hint = (
            " (give --weights FILE, e.g. one made by python -m tinynet.train)"
            if path == PRETRAINED
            else ""
        )
        raise WeightsError(f"{path}: no such file{hint}")
    except IsADirectoryError:
        raise WeightsError(f"{path}: is a directory, not a weights file")
    except OSError as e:
        raise WeightsError(f"{path}: cannot read: {e.strerror or e}")
    if not data.strip():
        raise WeightsError(f"{path}: file is empty")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise WeightsError(
            "{}: not valid JSON ({}); the file is damaged or not a weights file".format(
                path, str(e).split("\n")[0]
            )
        )
    except RecursionError:
        raise WeightsError(f"{path}: JSON nested too deeply; not a weights file")


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number")


def load(path=None):
    """Load and check a weights file; returns a Network. Default: the shipped pretrained file."""
    path = Path(path) if path is not None else PRETRAINED
    return from_dict(load_dict(path), where=str(path))


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
