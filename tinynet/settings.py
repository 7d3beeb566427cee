"""Training settings: the defaults, the presets, the one set of rules, and the command line.

Every setting has a default in DEFAULTS, is checked by one rule in SETTING_RULES (whether it
comes from the command line, a REPL call `train(lr=0.5)` or a checkpoint), and is an option of
`python -m tinynet.train` declared once in OPTIONS.
"""

import argparse
import re

from .engines import ENGINES
from .network import ACTIVATIONS, COSTS, DEFAULT_COST, OUTPUTS, SOFTMAX_COSTS, SOFTMAX_QUADRATIC
from .support.cli import at_least, positive_int
from .support.text import is_real, is_whole, short
from .weights import MAX_DIGITS, WeightsError

DEFAULTS = {
    "data": None,  # folder with the MNIST files (else $TINYNET_DATA, else a cache)
    "epochs": 30,  # passes over the training set
    "batch_size": 10,  # examples per step of gradient descent (m)
    "lr": 0.2,  # learning rate η at the start
    "lr_final": 0.01,  # η falls linearly to this by the last epoch (set = lr for none)
    "cost": DEFAULT_COST,  # or "quadratic" (3Blue1Brown's)
    "hidden": "16,16",  # sizes of the hidden layers
    "activation": "sigmoid",  # the hidden layers' f: sigmoid, relu or tanh
    "output": "sigmoid",  # the output layer: sigmoid or softmax
    "seed": 1,  # the same seed gives the same weights, bit for bit
    "l2": 5.0,  # weight decay λ: C = C₀ + (λ/2n) Σ w² (Nielsen ch. 3)
    "shift": 0,  # move each training image by up to N pixels, anew each epoch
    "deskew": True,  # shear every image upright first (images/deskew.py); --no-deskew: as is
    "limit": None,  # use only the first N training images
    "test_limit": None,  # evaluate on only the first N test images
    "out": None,  # tinynet-weights.json; on --resume, the checkpoint's name less .checkpoint.json
    "checkpoint": None,  # default: <out>.checkpoint.json
    "log": None,  # JSON lines, one per epoch (default: <out>.log.jsonl)
    "resume": None,
    "engine": None,  # lanes (CPython) or loops (PyPy); plain = network.py itself, slow
    "download": True,
    "preset": None,  # "3b1b": the video's network, see PRESETS
}

DEFAULTS_OUT = "tinynet-weights.json"

# --preset NAME sets these; options given on the command line override them.
PRESETS = {
    # 3Blue1Brown's video: quadratic cost C = Σ(a − y)², plain SGD at a constant η, no decay.
    # η = 1.0: 94.56% on the test set, the best of 0.5, 1 and 2 in full runs (README "Training").
    # The video's network reads MNIST's images as they are: no deskewing either.
    "3b1b": {"cost": "quadratic", "lr": 1.0, "lr_final": 1.0, "l2": 0.0, "deskew": False},
    # Nielsen's chapter-1 network (his network.py): 784-30-10 sigmoid, quadratic cost, η = 3.0,
    # mini-batches of 10, 30 epochs, no decay, MNIST as it is.  His cost is ½Σ(a − y)², ours
    # Σ(a − y)², whose gradient is twice his: our η = 1.5 takes exactly his η = 3.0 steps.
    # (One difference stays: his chapter-1 weights start as N(0, 1), ours as N(0, 1/fan-in),
    # the initialisation of his chapter 3.)
    "nielsen": {
        "hidden": "30",
        "cost": "quadratic",
        "lr": 1.5,
        "lr_final": 1.5,
        "l2": 0.0,
        "deskew": False,
        "epochs": 30,
        "batch_size": 10,
    },
    # The network of most from-scratch notebooks: one ReLU hidden layer (He's initialisation),
    # softmax output, cross-entropy (log-likelihood) cost.  64 neurons keep the weights file near
    # 1.1 MB; η 0.1 → 0.01, λ = 5 and deskewing as the defaults.  10 epochs: 98.62% on PyPy,
    # where 30 gave 98.73% and η 0.2 → 0.01 98.65% (docs/training.md).
    "relu-softmax": {
        "hidden": "64",
        "activation": "relu",
        "output": "softmax",
        "cost": "cross-entropy",
        "lr": 0.1,
        "lr_final": 0.01,
        "l2": 5.0,
        "deskew": True,
        "epochs": 10,
        "batch_size": 10,
    },
    # The wide network of the from-scratch projects: 784-2048-10, ReLU hidden (He's
    # initialisation), sigmoid output, quadratic cost; published: 88.2% on the test set.
    # η = 0.05 constant (after 6,000 examples: 89.5%; η = 0.5: 73%), no decay, MNIST as
    # it is; 5 epochs, as one PyPy epoch takes about 70 s and a CPython one 4-5 min.
    "wide": {
        "hidden": "2048",
        "activation": "relu",
        "output": "sigmoid",
        "cost": "quadratic",
        "lr": 0.05,
        "lr_final": 0.05,
        "l2": 0.0,
        "deskew": False,
        "epochs": 5,
        "batch_size": 10,
    },
}

# What a checkpoint's settings decide on --resume. Where files go (out, checkpoint, log) and
# where the data is always come from the command line, never from a checkpoint.
TRAINING_SETTINGS = (
    "epochs",
    "batch_size",
    "lr",
    "lr_final",
    "cost",
    "hidden",
    "activation",
    "output",
    "seed",
    "l2",
    "shift",
    "deskew",
    "limit",
    "test_limit",
    "engine",
    "preset",
)


class Interrupted(Exception):
    """Raised between two batches after Ctrl-C, once the state is consistent."""


class TrainingError(Exception):
    """A bad setting or an output that cannot be written, said in one line naming it."""


HIDDEN = re.compile(r"^\s*\d{1,4}\s*(,\s*\d{1,4}\s*){0,7}$")


def _hidden_ok(v):
    return (
        isinstance(v, str)
        and HIDDEN.match(v) is not None
        and all(0 < int(h) <= 4096 for h in v.split(","))
    )


# setting: (test, what it must be)
SETTING_RULES = {
    "epochs": (lambda v: is_whole(v, 1, 100_000), "a whole number from 1 to 100000"),
    "batch_size": (lambda v: is_whole(v, 1, 100_000), "a whole number from 1 to 100000"),
    "lr": (lambda v: is_real(v, 0.0, 1e4) and v > 0, "a number above 0, at most 10000"),
    "lr_final": (lambda v: is_real(v, 0.0, 1e4), "a number from 0 to 10000"),
    "cost": (lambda v: isinstance(v, str) and v in COSTS, "one of: " + ", ".join(COSTS)),
    "hidden": (_hidden_ok, "up to 8 layer sizes from 1 to 4096, comma-separated, e.g. 16,16"),
    "activation": (lambda v: v in tuple(ACTIVATIONS), "one of: " + ", ".join(ACTIVATIONS)),
    "output": (lambda v: v in OUTPUTS, "one of: " + ", ".join(OUTPUTS)),
    "seed": (
        lambda v: is_whole(v, -(10**MAX_DIGITS) + 1, 10**MAX_DIGITS - 1),
        f"a whole number of {MAX_DIGITS:d} digits at most",
    ),
    "l2": (lambda v: is_real(v, 0.0, 1e6), "a number from 0 to 1000000"),
    "shift": (lambda v: is_whole(v, 0, 27), "a whole number from 0 to 27"),
    "deskew": (lambda v: isinstance(v, bool), "true or false"),
    "limit": (lambda v: v is None or is_whole(v, 1, 10**9), "null or a whole number ≥ 1"),
    "test_limit": (lambda v: v is None or is_whole(v, 1, 10**9), "null or a whole number ≥ 1"),
    "engine": (
        lambda v: v is None or (isinstance(v, str) and v in ENGINES),
        "one of: " + ", ".join(ENGINES),
    ),
    "preset": (
        lambda v: v is None or (isinstance(v, str) and v in PRESETS),
        "null or one of: " + ", ".join(PRESETS),
    ),
}


def check_settings(s, where=None):
    """Raise TrainingError (WeightsError for a checkpoint `where`) naming the first bad setting."""
    if is_whole(s.get("hidden")):
        s["hidden"] = str(s["hidden"])  # hidden=32 from a REPL means "32"
    for name, (ok, what) in SETTING_RULES.items():
        if not ok(s.get(name)):
            it_is = short(s.get(name), 40)
            if where is not None:
                raise WeightsError(
                    f"{where}: damaged checkpoint: settings.{name} must be {what} (it is {it_is})"
                )
            option = "--" + name.replace("_", "-")
            raise TrainingError(f"{option} must be {what} (it is {it_is})")
    if s.get("output") == "softmax" and s.get("cost") not in SOFTMAX_COSTS:  # network.cost_pair
        if where is not None:
            raise WeightsError(f"{where}: damaged checkpoint: {SOFTMAX_QUADRATIC}")
        raise TrainingError(f"--output softmax: {SOFTMAX_QUADRATIC} (--cost cross-entropy)")
    check_decay(s, where)


MNIST_TRAINING_IMAGES = 60_000


def check_decay(s, where=None, n=None):
    """Refuse a weight decay that grows the weights: each step multiplies them by 1 − ηλ/n
    (train.decay_factor), which must not be below 0, so λ·η ≤ n for the largest η of the run.
    (Below 0 it flips the weights' signs, and raised to the power of the DECAY_EVERY steps done
    at once it soon overflows.)  n is the number of training images: MNIST's 60,000 (or
    --limit) until the data is loaded, then the real number (train.load_data checks again:
    Kaggle's train.csv trains on 37,800)."""
    if n is None:
        n = min(s["limit"] or MNIST_TRAINING_IMAGES, MNIST_TRAINING_IMAGES)
    eta = max(s["lr"], s["lr_final"])
    if s["l2"] * eta <= n or n == 0:  # (no images: train refuses that itself)
        return
    why = (
        f"with η = {eta:g} on {n:d} training images each step would multiply every weight by "
        f"1 − ηλ/n = {1 - eta * s['l2'] / n:.3g}, below 0: flipping its sign (and growing it "
        "below −1) instead of shrinking it; "
        f"λ must be from 0 to n/η = {n / eta:.6g}"
    )
    if where is not None:
        raise WeightsError(f"{where}: damaged checkpoint: settings.l2 is {s['l2']:g}: {why}")
    raise TrainingError(f"--l2 {s['l2']:g} is too large: {why} (or lower --lr)")


def layer_sizes(s):
    """[784, the hidden layers…, 10]: the network's layer sizes for these settings."""
    return [784] + [int(h) for h in str(s["hidden"]).split(",") if h.strip()] + [10]


# --- the command line ----------------------------------------------------------------------

FLAG = "flag"  # --NAME turns it on
NO = "no"  # --no-NAME turns it off
MANY = "many"  # repeatable: a list of every value given


def port_number(text):
    """An argparse type: a port, 0 to 65535 (0: any free one)."""
    n = at_least(0)(text)
    if n > 65535:
        raise argparse.ArgumentTypeError(f"must be from 0 to 65535, not {text}")
    return n


MAX_SPEED = 1000.0  # --speed: at most this many mini-batches a second (0: full speed)


def batches_per_second(text):
    """An argparse type for --speed: mini-batches a second, from 0 (full speed) to MAX_SPEED."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= v <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_SPEED:g}, not {text}")
    return v


# Options of the command line only, not of train(); their defaults.
COMMAND_DEFAULTS = {"watch": [], "live": False, "port": 0, "paused": False, "speed": 0.0}

# One line per option: (setting, its type (or choices, FLAG, NO, MANY), metavar, help).
# The default is the setting's in DEFAULTS (COMMAND_DEFAULTS for the command-line-only ones).
OPTIONS = (
    (
        "data",
        str,
        "DIR",
        "folder with the four MNIST files (default: $TINYNET_DATA, else a per-user cache folder, "
        "downloading them if missing)",
    ),
    ("epochs", positive_int, "N", "passes over the training set (default %(default)s)"),
    (
        "batch_size",
        positive_int,
        "N",
        "examples per gradient-descent step, m (default %(default)s)",
    ),
    ("lr", float, "X", "learning rate η at the start (default %(default)s)"),
    ("lr_final", float, "X", "η falls in a straight line to this by the end (default %(default)s)"),
    (
        "cost",
        tuple(COSTS),
        None,
        "quadratic: C = Σ(a−y)² (3Blue1Brown); cross-entropy (Nielsen ch. 3) learns faster with "
        "sigmoid outputs (default %(default)s)",
    ),
    ("hidden", str, "N,N", "sizes of the hidden layers, comma-separated (default %(default)s)"),
    (
        "activation",
        tuple(ACTIVATIONS),
        None,
        "the hidden layers' activation f: sigmoid σ (3Blue1Brown), relu max(0, z) or tanh; "
        "initial weights w ~ N(0, 1/fan_in) and biases b ~ N(0, 1), for relu He's "
        "w ~ N(0, 2/fan_in) and b = 0 (default %(default)s)",
    ),
    (
        "output",
        OUTPUTS,
        None,
        "the output layer: sigmoid (ten independent σ) or softmax (ten outputs that sum to 1, "
        "with --cost cross-entropy: C = −Σ y ln a) (default %(default)s)",
    ),
    (
        "seed",
        int,
        "N",
        "random seed for the initial weights and the shuffling (default %(default)s)",
    ),
    (
        "l2",
        float,
        "λ",
        "L2 regularisation (weight decay) λ, as in Nielsen's book: C = C₀ + (λ/2n) Σ w² "
        "(default %(default)s)",
    ),
    (
        "shift",
        int,
        "N",
        "data augmentation: move each training image by up to N pixels in x and y, chosen "
        "afresh each epoch (default %(default)s)",
    ),
    (
        "deskew",
        NO,
        None,
        "train on the images as they are; by default every image is first sheared upright "
        "(deskewed), and the weights file says so, so that predict, draw, explain and evaluate "
        "deskew what they read too",
    ),
    ("limit", positive_int, "N", "use only the first N training images"),
    ("test_limit", positive_int, "N", "evaluate on the first N test images only"),
    (
        "out",
        str,
        "FILE",
        f"where to save the trained weights (default {DEFAULTS_OUT}; with --resume "
        "X.checkpoint.json, X)",
    ),
    (
        "checkpoint",
        str,
        "FILE",
        "checkpoint file, written after every epoch and on Ctrl-C (default FILE.checkpoint.json "
        "for --out FILE)",
    ),
    (
        "log",
        str,
        "FILE",
        "training log, one JSON line per epoch (default FILE.log.jsonl for --out FILE)",
    ),
    (
        "resume",
        str,
        "CHECKPOINT",
        "continue from a checkpoint, with its training settings; the result is the same as "
        "without the interruption. Where the output goes (--out, --checkpoint, --log) comes from "
        "the command line, never from the checkpoint",
    ),
    (
        "engine",
        ENGINES,
        None,
        "lanes (fast on CPython), loops (fast on PyPy) or plain (network.py itself, slow); "
        "default: the fast one for this Python, or plain under a debugger (python -m pdb, "
        "VS Code), so that stepping in shows network.py's formulas",
    ),
    (
        "preset",
        tuple(PRESETS),
        None,
        "3b1b: 3Blue1Brown's network exactly: quadratic cost C = Σ(a − y)², plain gradient "
        f"descent at a constant η = {PRESETS['3b1b']['lr']:g}, no weight decay, printed in the "
        "video's notation; nielsen: Nielsen's chapter-1 network, 784-30-10, quadratic cost, his "
        f"η = 3.0 (η = {PRESETS['nielsen']['lr']:g} with our cost, which has no ½), mini-batches "
        "of 10, 30 epochs, no decay, no deskewing; relu-softmax: 784-64-10, ReLU hidden layer, "
        "softmax output, cross-entropy (log-likelihood) cost, η "
        f"{PRESETS['relu-softmax']['lr']:g} → {PRESETS['relu-softmax']['lr_final']:g}, λ = 5, "
        f"deskewing, {PRESETS['relu-softmax']['epochs']:d} epochs; wide: 784-2048-10, ReLU "
        f"hidden layer, sigmoid output, quadratic cost, constant η = {PRESETS['wide']['lr']:g}, "
        f"no decay, no deskewing, {PRESETS['wide']['epochs']:d} epochs. Options given as well "
        "override a preset",
    ),
    (
        "watch",
        MANY,
        "NAME",
        "after every mini-batch print a line for this weight w[l][i][j] or bias b[l][i] "
        "(as in network.py; repeatable): its value after the batch, the batch's gradient "
        "Σₓ ∂Cₓ/∂w summed over its m examples, and the step it took. The gradient is worked "
        "back from the step on every engine: Σₓ ∂Cₓ/∂w = (m/η)(w_before − w_after/f), f being "
        "the weight-decay factor (1 − ηλ/n)^k on the batches where decay acts, else 1",
    ),
    (
        "live",
        FLAG,
        None,
        "show the training live in a web page (on this computer only); after training the page "
        "stays open until Ctrl-C",
    ),
    ("port", port_number, "N", "port for --live (default 0: any free one)"),
    (
        "paused",
        FLAG,
        None,
        "with --live: start paused at the random network; the page resumes, steps one "
        "mini-batch at a time and shows its backpropagation",
    ),
    (
        "speed",
        batches_per_second,
        "B",
        "with --live: at most B mini-batches a second, to watch the first epoch leave noise "
        "(the page can change it; default 0: full speed)",
    ),
    ("download", NO, None, "never download MNIST; fail if it is missing"),
)


def _add_option(p, name, kind, metavar, text):
    """Add one line of OPTIONS to the parser p."""
    default = COMMAND_DEFAULTS[name] if name in COMMAND_DEFAULTS else DEFAULTS[name]
    option = "--" + name.replace("_", "-")
    if kind is NO:
        p.add_argument("--no-" + option[2:], dest=name, action="store_false", help=text)
    elif kind is FLAG:
        p.add_argument(option, action="store_true", help=text)
    elif kind is MANY:
        p.add_argument(option, action="append", default=[], metavar=metavar, help=text)
    elif isinstance(kind, tuple):
        p.add_argument(option, choices=kind, default=default, help=text)
    else:
        p.add_argument(option, type=kind, default=default, metavar=metavar, help=text)


def parser():
    """The argument parser of python -m tinynet.train, built from OPTIONS."""
    p = argparse.ArgumentParser(
        prog="python -m tinynet.train",
        description="Train the 784-16-16-10 network on MNIST with mini-batch gradient descent. "
        "Prints a progress bar and, after each epoch, the accuracy on the 10,000 test "
        "images; saves a checkpoint after every epoch and on Ctrl-C.",
    )
    for option in OPTIONS:
        _add_option(p, *option)
    return p


def parse_args(argv):
    """The options given on the command line (only those, defaults or not) as a dict.

    The values are checked by check_settings() when training starts, the one place for the rules.
    """
    p = parser()
    a = p.parse_args(argv)
    # Which options are on the command line: parse again over a namespace that already holds a
    # marker for each, which argparse replaces only when given.
    unset = object()
    seen = argparse.Namespace(**{k: unset for k in vars(a)})
    seen.watch = None
    p.parse_args(argv, namespace=seen)
    return {k: v for k, v in vars(a).items() if getattr(seen, k) is not unset}
