"""Train the network on MNIST:  python -m tinynet.train [options]

Read top to bottom: settings, data, network, the loop over epochs, saving. Every setting has a
default in DEFAULTS below and can be changed on the command line (python -m tinynet.train --help).
From a REPL: `from tinynet.train import train; net = train(epochs=1, limit=2000)`.
"""

import argparse
import bdb
import json
import math
import os
import platform
import random
import re
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from . import engines, mnist, watch
from .images import deskew
from .network import COSTS, DEFAULT_COST, new_network
from .support.files import write_atomic
from .support.progress import Progress
from .weights import (
    PRETRAINED,
    WeightsError,
    from_dict,
    load_dict,
    save,
    to_dict,
    write_json_atomic,
)

DEFAULTS = {
    "data": None,  # folder with the MNIST files (else $TINYNET_DATA, else a cache)
    "epochs": 30,  # passes over the training set
    "batch_size": 10,  # examples per step of gradient descent (m)
    "lr": 0.2,  # learning rate η at the start
    "lr_final": 0.01,  # η falls linearly to this by the last epoch (set = lr for none)
    "cost": DEFAULT_COST,  # or "quadratic" (3Blue1Brown's)
    "hidden": "16,16",  # sizes of the hidden layers
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

# --preset NAME sets these; options given on the command line override them.
PRESETS = {
    # 3Blue1Brown's video: quadratic cost C = Σ(a − y)², plain SGD at a constant η, no decay.
    # η = 1.0: 94.56% on the test set, the best of 0.5, 1 and 2 in full runs (README "Training").
    # The video's network reads MNIST's images as they are: no deskewing either.
    "3b1b": {"cost": "quadratic", "lr": 1.0, "lr_final": 1.0, "l2": 0.0, "deskew": False},
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


def learning_rate(settings, epoch, batch_index, n_batches):
    """η for this batch: from lr down to lr_final in a straight line over all the batches."""
    total = settings["epochs"] * n_batches
    done = epoch * n_batches + batch_index
    return settings["lr"] + (settings["lr_final"] - settings["lr"]) * done / max(1, total - 1)


DECAY_EVERY = 100  # batches between two weight-decay steps


def decay_factor(settings, eta, n, steps):
    """(1 − ηλ/n)^steps: what `steps` batches of L2 regularisation do to every weight.

    With C = C₀ + (λ/2n) Σ w², each step of gradient descent also shrinks every weight,
    w ← (1 − ηλ/n) w (Nielsen, chapter 3). tinynet does `steps` such shrinkings at once every
    DECAY_EVERY batches: to first order the same, and it keeps the fast engines simple.
    """
    return (1.0 - eta * settings["l2"] / n) ** steps


def epoch_order(seed, epoch, n):
    """The order of the training examples in an epoch: a shuffle that depends on seed and epoch."""
    order = list(range(n))
    random.Random(f"{seed:d}-{epoch:d}").shuffle(order)
    return order


def shifted(image, dx, dy, size=28):
    """The 28×28 image (bytes) moved dx pixels right and dy pixels down, filling with 0.

    More examples for free: a digit moved by a pixel or two is still the same digit, and
    seeing it in slightly different places keeps the network from memorising exact pixels.
    """
    rows = [image[r * size : (r + 1) * size] for r in range(size)]
    blank = bytes(size)
    rows = ([blank] * dy + rows[: size - dy]) if dy >= 0 else (rows[-dy:] + [blank] * -dy)
    if dx > 0:
        rows = [bytes(dx) + row[: size - dx] for row in rows]
    elif dx < 0:
        rows = [row[-dx:] + bytes(-dx) for row in rows]
    return b"".join(rows)


def evaluate(engine, images, labels):
    """(correct, confusion): confusion[true][predicted] counts over the given images."""
    confusion = [[0] * 10 for _ in range(10)]
    for guess, digit in zip(engines.answers(engine, images), labels):
        confusion[digit][guess] += 1
    return sum(confusion[d][d] for d in range(10)), confusion


# --- settings and checkpoints, checked field by field ------------------------------------------


def _is_whole(v, lo, hi):
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _is_real(v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return (not isinstance(v, float) or math.isfinite(v)) and lo <= v <= hi


HIDDEN = re.compile(r"^\s*\d{1,4}\s*(,\s*\d{1,4}\s*){0,7}$")

# setting: (test, what it must be)
SETTING_RULES = {
    "epochs": (lambda v: _is_whole(v, 1, 100_000), "a whole number from 1 to 100000"),
    "batch_size": (lambda v: _is_whole(v, 1, 100_000), "a whole number from 1 to 100000"),
    "lr": (lambda v: _is_real(v, 0.0, 1e4) and v > 0, "a number above 0, at most 10000"),
    "lr_final": (lambda v: _is_real(v, 0.0, 1e4), "a number from 0 to 10000"),
    "cost": (lambda v: isinstance(v, str) and v in COSTS, "one of: " + ", ".join(COSTS)),
    "hidden": (
        lambda v: (
            isinstance(v, str)
            and HIDDEN.match(v) is not None
            and all(0 < int(h) <= 4096 for h in v.split(","))
        ),
        "up to 8 layer sizes from 1 to 4096, comma-separated, e.g. 16,16",
    ),
    "seed": (lambda v: _is_whole(v, -(2**63), 2**63), "a whole number (below 2⁶³ in size)"),
    "l2": (lambda v: _is_real(v, 0.0, 1e6), "a number from 0 to 1000000"),
    "shift": (lambda v: _is_whole(v, 0, 27), "a whole number from 0 to 27"),
    "deskew": (lambda v: isinstance(v, bool), "true or false"),
    "limit": (lambda v: v is None or _is_whole(v, 1, 10**9), "null or a whole number ≥ 1"),
    "test_limit": (lambda v: v is None or _is_whole(v, 1, 10**9), "null or a whole number ≥ 1"),
    "engine": (
        lambda v: v is None or (isinstance(v, str) and v in engines.ENGINES),
        "one of: " + ", ".join(engines.ENGINES),
    ),
    "preset": (
        lambda v: v is None or (isinstance(v, str) and v in PRESETS),
        "null or one of: " + ", ".join(PRESETS),
    ),
}


def check_settings(s, where=None):
    """Raise TrainingError (WeightsError for a checkpoint `where`) naming the first bad setting."""
    if isinstance(s.get("hidden"), int) and not isinstance(s.get("hidden"), bool):
        s["hidden"] = str(s["hidden"])  # hidden=32 from a REPL means "32"
    for name, (ok, what) in SETTING_RULES.items():
        if not ok(s.get(name)):
            if where is not None:
                raise WeightsError(
                    f"{where}: damaged checkpoint: settings.{name} must be {what} "
                    f"(it is {_short(s.get(name))})"
                )
            option = "--" + name.replace("_", "-")
            raise TrainingError(f"{option} must be {what} (it is {_short(s.get(name))})")


def _short(v):
    text = json.dumps(v) if not isinstance(v, int) or abs(v) < 10**30 else "a huge number"
    return text if len(text) <= 40 else text[:37] + "..."


def layer_sizes(s):
    return [784] + [int(h) for h in str(s["hidden"]).split(",") if h.strip()] + [10]


def load_checkpoint(path):
    """A checkpoint file as a dict, every field checked (types, ranges, shapes).

    Returns {"settings", "epoch", "batch", "network", "exact", "history", "stats", "seconds"},
    "settings" holding only TRAINING_SETTINGS. Raises WeightsError naming the file and the
    field; the checks that need the data (batch against the number of batches) are in
    check_position().
    """
    ck = load_dict(path)

    def bad(field, what, value=None):
        return WeightsError(
            f"{path}: damaged checkpoint: {field} must be {what}"
            + ("" if value is None else f" (it is {_short(value)})")
        )

    if not isinstance(ck, dict) or ck.get("format") != "tinynet-checkpoint":
        raise WeightsError(f"{path}: not a tinynet checkpoint")
    for key in ("settings", "epoch", "batch", "network", "history", "seconds"):
        if key not in ck:
            raise bad(key, "present")
    if not isinstance(ck["settings"], dict):
        raise bad("settings", "an object")
    settings = {k: ck["settings"].get(k, DEFAULTS[k]) for k in TRAINING_SETTINGS}
    settings["deskew"] = ck["settings"].get("deskew", False)  # made before deskewing existed
    check_settings(settings, where=path)
    if settings["engine"] is None:
        raise bad("settings.engine", "one of: " + ", ".join(engines.ENGINES))
    epochs = settings["epochs"]
    if not _is_whole(ck["epoch"], 0, epochs):
        raise bad("epoch", f"a whole number from 0 to settings.epochs = {epochs:d}", ck["epoch"])
    if not _is_whole(ck["batch"], 0, 10**9) or (ck["epoch"] == epochs and ck["batch"]):
        raise bad("batch", "a whole number ≥ 0 (0 once all epochs are done)", ck["batch"])
    if not _is_real(ck["seconds"], 0.0, 1e10):
        raise bad("seconds", "a number ≥ 0", ck["seconds"])
    stats = ck.get("stats")
    if ck["batch"] == 0:
        if stats is not None:
            raise bad("stats", "null at the start of an epoch (batch 0)")
    elif not (
        isinstance(stats, dict)
        and _is_whole(stats.get("seen"), 1, 10**9)
        and _is_whole(stats.get("correct"), 0, stats["seen"])
        and _is_real(stats.get("cost"), 0.0, 1e300)
    ):
        raise bad("stats", "{seen ≥ 1, correct from 0 to seen, cost ≥ 0} after batch ≥ 1")
    history = ck["history"]
    if not isinstance(history, list) or len(history) != ck["epoch"]:
        raise bad("history", f"a list of {ck['epoch']:d} epoch records (one per epoch done)")
    for k, record in enumerate(history):
        if not (
            isinstance(record, dict)
            and record.get("epoch") == k + 1
            and _is_whole(record.get("epoch"), 1, epochs)
            and all(_is_real(record.get(f), 0.0, 1.0) for f in ("train_accuracy", "test_accuracy"))
            and all(_is_real(record.get(f), 0.0, 1e300) for f in ("cost", "seconds"))
            and _is_real(record.get("lr"), 0.0, 1e4)
        ):
            raise bad(
                f"history[{k:d}]",
                f"a record of epoch {k + 1:d} (epoch, cost, train_accuracy, test_accuracy, "
                "seconds, lr)",
            )
    try:
        net = from_dict(ck["network"], where=f"{path}: damaged checkpoint: network")
    except WeightsError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as e:
        raise WeightsError(f"{path}: damaged checkpoint: network ({type(e).__name__}: {e})")
    sizes = layer_sizes(settings)
    if list(net.sizes) != sizes:
        raise bad("network", f"a {'-'.join(map(str, sizes))} network, as settings.hidden says")
    exact = ck.get("exact")
    if settings["engine"] == "lanes":
        n_out, n_in = sizes[1], sizes[0]
        if not (
            isinstance(exact, list)
            and len(exact) == 1
            and isinstance(exact[0], list)
            and len(exact[0]) == n_out
            and all(
                isinstance(row, list)
                and len(row) == n_in
                and all(_is_whole(W, -(2**62), 2**62) for W in row)
                for row in exact[0]
            )
        ):
            raise bad("exact", f"[W], W: {n_out:d} rows of {n_in:d} whole numbers below 2⁶²")
    elif exact is not None:
        raise bad("exact", f"null for engine {settings['engine']}")
    return {
        "settings": settings,
        "epoch": ck["epoch"],
        "batch": ck["batch"],
        "network": net,
        "exact": exact,
        "history": history,
        "stats": stats,
        "seconds": float(ck["seconds"]),
    }


def check_position(ck, path, n, n_batches, m):
    """The checks of a checkpoint that need the data: its batch and its count of examples."""
    if ck["batch"] > n_batches:
        raise WeightsError(
            f"{path}: damaged checkpoint: batch must be at most {n_batches:d} (the batches in "
            f"an epoch of {n:d} examples in batches of {m:d}), it is {ck['batch']:d}"
        )
    if ck["stats"] is not None and ck["stats"]["seen"] != min(ck["batch"] * m, n):
        raise WeightsError(
            f"{path}: damaged checkpoint: stats.seen must be {min(ck['batch'] * m, n):d} after "
            f"{ck['batch']:d} batches of {m:d}"
        )


# --- where the output goes -----------------------------------------------------------------


def _paths(s, resume=None):
    """(out, checkpoint, log) from the settings. On --resume, unless given, the checkpoint is the
    file resumed from and --out is its name without ".checkpoint.json" (never anything read
    from inside the checkpoint)."""
    out = s["out"]
    if out is None:
        name = str(resume) if resume else ""
        out = name[: -len(".checkpoint.json")] if name.endswith(".checkpoint.json") else None
    out = Path(out or DEFAULTS_OUT)
    if s["checkpoint"]:
        ckpt = Path(s["checkpoint"])
    elif resume:
        ckpt = Path(resume)
    else:
        ckpt = out.with_name(out.name + ".checkpoint.json")
    return out, ckpt, Path(s["log"]) if s["log"] else out.with_name(out.name + ".log.jsonl")


DEFAULTS_OUT = "tinynet-weights.json"


def check_writable(paths):
    """Make sure each output can be written (its folder exists or can be made, and takes a new
    file), before hours of training: TrainingError naming the file otherwise."""
    for path in paths:
        if path.is_dir():
            raise TrainingError(f"{path}: is a folder; give a file name")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", dir=str(path.parent))
            os.close(fd)
            os.unlink(tmp)
        except OSError as e:
            raise TrainingError(f"{path}: cannot write there: {e.strerror or e}")


@contextmanager
def writing(path):
    """Turn an OSError while writing `path` into a TrainingError that names the file."""
    try:
        yield
    except OSError as e:
        errno = f"[Errno {e.errno:d}] " if e.errno else ""
        raise TrainingError(f"{path}: cannot write: {errno}{e.strerror or e}") from None


# --- under a debugger ----------------------------------------------------------------------


def debugger():
    """What debugs this program ("pdb", "debugpy", "a trace function"), or None.

    pdb (python -m pdb, breakpoint()) leaves its frames on the stack and, while it has
    breakpoints, a trace function; VS Code's debugpy loads pydevd. A coverage tool's trace
    function is not a debugger.
    """
    tracer = sys.gettrace()
    if isinstance(getattr(tracer, "__self__", None), bdb.Bdb):
        return "pdb"
    frame = sys._getframe(1)
    while frame is not None:
        if isinstance(frame.f_locals.get("self"), bdb.Bdb):
            return "pdb"
        frame = frame.f_back
    if "pydevd" in sys.modules or "debugpy" in sys.modules:
        return "debugpy"
    if tracer is not None and "coverage" not in type(tracer).__module__ + repr(tracer):
        return "a trace function"
    return None


# --- the 3Blue1Brown notation --------------------------------------------------------------

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _video_notation(s, sizes, m):
    """The network and its training in the video's notation, for --preset 3b1b."""
    L = str(len(sizes) - 1).translate(SUPERSCRIPT)
    layers = " → ".join(f"a⁽{str(l).translate(SUPERSCRIPT)}⁾ ({n:d})" for l, n in enumerate(sizes))
    C = (
        f"C = Σⱼ (a⁽{L}⁾ⱼ − yⱼ)²"
        if s["cost"] == "quadratic"
        else f"C = −Σⱼ [yⱼ ln a⁽{L}⁾ⱼ + (1 − yⱼ) ln(1 − a⁽{L}⁾ⱼ)]"
    )
    eta = f"η = {s['lr']:g}" if s["lr"] == s["lr_final"] else f"η {s['lr']:g} → {s['lr_final']:g}"
    decay = "no weight decay" if not s["l2"] else f"weight decay λ = {s['l2']:g}"
    return (
        f"network: {layers}, a⁽ˡ⁾ = σ(w⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾); cost {C}; gradient descent "
        f"w ← w − (η/m) Σₓ ∂Cₓ/∂w with {eta}, m = {m:d}; {decay}"
    )


# --- training ------------------------------------------------------------------------------


def train(argv=None, watchers=(), quiet=False, watch_names=(), **overrides):
    """Train a network; returns it. Settings are DEFAULTS updated with `overrides`.

    `watchers`: objects told about the training as it goes, each through the methods it has:
      on_batch(info)  after every mini-batch (keep it cheap: it runs thousands of times),
      on_epoch(info)  after each epoch's evaluation,
      on_end(info)    when training ends, finished or interrupted (info["finished"]).
    info is a dict: "engine" (engines.to_network(info["engine"]) gives a plain Network; costly
    on lanes, so at most about once a second), "epoch" (from 0), "epochs", "batch" (from 0, the
    batch just done), "n_batches", "m" (its size), "eta", "decay" (the factor weight decay
    multiplied the weights by after this batch, 1.0 on most), "batch_cost" (its mean cost),
    "batch_size", "seen" (examples done this epoch), "n" (per epoch), "elapsed" (s),
    "examples_per_second", "seconds_left", "history" (the per-epoch records, as in the log),
    "test_images", "test_labels", "settings", "cost" (its name); on_epoch also "confusion".
    Raising Interrupted from on_batch behaves like Ctrl-C: a checkpoint is saved and
    Interrupted propagates. `watch_names`: parameters to follow, e.g. "w[0][10][262]" (watch.py).
    """
    s = dict(DEFAULTS)
    s.update(overrides)
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))

    # --- resume: settings, weights and position come from the checkpoint ----------------------
    ck = None
    if s["resume"]:
        ck = load_checkpoint(s["resume"])
        s.update(ck["settings"])
        if ck["epoch"] == s["epochs"]:
            say(
                f"{s['resume']}: training is complete ({s['epochs']:d} of {s['epochs']:d} "
                "epochs); nothing to do"
            )
            return ck["network"]
    check_settings(s)
    out_path, ckpt_path, log_path = _paths(s, s["resume"])
    if out_path.resolve() == PRETRAINED.resolve() and not overrides.get("out"):
        raise TrainingError("refusing to overwrite the shipped pretrained file without --out")
    sizes = layer_sizes(s)
    watch_names = list(watch_names)
    watching = watch.Watch(watch_names, sizes) if watch_names else None
    check_writable([out_path, ckpt_path, log_path])

    # --- which engine: under a debugger, the one whose steps are the formulas ------------------
    debugged = debugger()
    if not s["engine"]:
        s["engine"] = "plain" if debugged else engines.default_engine()
        if debugged:
            say(
                f"{debugged} is running: training with engine plain (network.py itself, where "
                "∂C/∂w are numbers you can step to), about 30× slower; for the fast one give "
                f"--engine {engines.default_engine()}"
            )
    elif debugged and s["engine"] != "plain":
        shows = {"lanes": "packed integers", "loops": "generated loops over flat lists"}
        say(
            f"{debugged} is running: engine {s['engine']} as asked; stepping into it shows "
            f"{shows[s['engine']]}, not the formulas (--engine plain steps through network.py)"
        )

    # --- data ----------------------------------------------------------------------------------
    t0 = time.time()
    data_dir = mnist.ensure_files(
        s["data"], download=s["download"], progress=None if quiet else _download_progress
    )
    train_images, train_labels = mnist.load("train", data_dir, download=False)
    test_images, test_labels = mnist.load("test", data_dir, download=False)
    if s["limit"]:
        train_images, train_labels = train_images[: s["limit"]], train_labels[: s["limit"]]
    if s["test_limit"]:
        test_images, test_labels = test_images[: s["test_limit"]], test_labels[: s["test_limit"]]
    if s["deskew"]:
        train_images = deskewed_set("train", train_images, data_dir, quiet)
        test_images = deskewed_set("test", test_images, data_dir, quiet)
    examples = [
        engines.sparse(image) + (digit,) for image, digit in zip(train_images, train_labels)
    ]
    n, m = len(examples), s["batch_size"]
    n_batches = (n + m - 1) // m
    say(
        f"data: {n:d} training and {len(test_images):d} test images from {data_dir} "
        f"({time.time() - t0:.1f} s)"
    )

    # --- the network ---------------------------------------------------------------------------
    start_epoch, start_batch, history, elapsed_before, stats = 0, 0, [], 0.0, None
    if ck is not None:
        check_position(ck, s["resume"], n, n_batches, m)
        net = ck["network"]
        start_epoch, start_batch = ck["epoch"], ck["batch"]
        history, elapsed_before, stats = ck["history"], ck["seconds"], ck["stats"]
        try:
            engine = engines.make_engine(net, s["engine"], exact=ck["exact"])
        except (TypeError, ValueError, OverflowError) as e:
            raise WeightsError(f"{s['resume']}: damaged checkpoint: exact ({e})")
    else:
        engine = engines.make_engine(new_network(sizes, seed=s["seed"]), s["engine"])
    epochs_word = "epoch" if s["epochs"] == 1 else "epochs"
    python = f"{platform.python_implementation()} {platform.python_version()}"
    where = f"engine {s['engine']} on {python}"
    if s["preset"] == "3b1b":
        say(_video_notation(s, sizes, m))
        say(f"{where}; {s['epochs']:d} {epochs_word} of {n_batches:d} batches")
    else:
        say(
            f"network: {'-'.join(map(str, sizes))}, {s['cost']} cost, {where}; {s['epochs']:d} "
            f"{epochs_word} of {n_batches:d} batches of {m:d}, η {s['lr']:g} → {s['lr_final']:g}"
        )
    if watching is not None:
        watching.start(engine)
    watchers = list(watchers) + ([watching] if watching is not None else [])
    batch_watchers = [w for w in watchers if hasattr(w, "on_batch")]

    # --- Ctrl-C: finish the batch, then save a checkpoint ----------------------------------------
    interrupted = []
    old_handler = None
    try:
        old_handler = signal.signal(signal.SIGINT, lambda *_: interrupted.append(1))
    except ValueError:  # not the main thread
        pass

    def save_checkpoint(epoch, batch, stats):
        with writing(ckpt_path):
            write_json_atomic(
                ckpt_path,
                {
                    "format": "tinynet-checkpoint",
                    "settings": {k: s[k] for k in TRAINING_SETTINGS},
                    "epoch": epoch,
                    "batch": batch,
                    "network": to_dict(engine.network(), s["cost"]),
                    "exact": engine.state(),
                    "history": history,
                    "stats": stats,
                    "seconds": elapsed_before + time.time() - t_start,
                },
            )

    if ck is None:
        if log_path.exists():
            with writing(log_path):
                log_path.unlink()  # a fresh run starts a fresh log
    else:
        _restore_log(log_path, history)  # no lines past the checkpoint, none missing
    t_start = time.time()
    done_here = 0  # examples trained in this run (not before a resume)
    info = {
        "engine": engine,
        "epochs": s["epochs"],
        "n_batches": n_batches,
        "batch_size": m,
        "n": n,
        "history": history,
        "test_images": test_images,
        "test_labels": test_labels,
        "settings": s,
        "cost": s["cost"],
    }
    finished = False
    try:
        for epoch in range(start_epoch, s["epochs"]):
            order = epoch_order(s["seed"], epoch, n)
            t_epoch = time.time()
            st = (
                stats
                if (stats and epoch == start_epoch)
                else {"seen": 0, "cost": 0.0, "correct": 0}
            )
            bar = Progress(
                n, f"epoch {epoch + 1:d}/{s['epochs']:d}", quiet=quiet or watching is not None
            )
            bar.update(st["seen"], st["cost"] / max(1, st["seen"]))
            first = start_batch if epoch == start_epoch else 0
            moves = _epoch_shifts(s, epoch, n)
            for k in range(first, n_batches):
                if moves is None:
                    batch = [examples[i] for i in order[k * m : (k + 1) * m]]
                else:
                    batch = [
                        engines.sparse(shifted(train_images[i], *moves[i])) + (train_labels[i],)
                        for i in order[k * m : (k + 1) * m]
                    ]
                eta = learning_rate(s, epoch, k, n_batches)
                cost_before = st["cost"]

                def count(size, cost_sum, correct):
                    st["seen"] += size
                    st["cost"] += cost_sum
                    st["correct"] += correct

                engine.train([batch], eta, s["cost"], count)
                decay = 1.0
                if s["l2"] and ((k + 1) % DECAY_EVERY == 0 or k + 1 == n_batches):
                    steps = (k % DECAY_EVERY) + 1
                    decay = decay_factor(s, eta, n, steps)
                    engine.scale(decay)
                bar.update(st["seen"], st["cost"] / st["seen"])
                if batch_watchers:
                    done_here += len(batch)
                    now = time.time()
                    rate = done_here / max(1e-9, now - t_start)
                    left = (s["epochs"] - epoch - 1) * n + n - st["seen"]
                    info.update(
                        epoch=epoch,
                        batch=k,
                        m=len(batch),
                        eta=eta,
                        decay=decay,
                        batch_cost=(st["cost"] - cost_before) / len(batch),
                        seen=st["seen"],
                        elapsed=elapsed_before + now - t_start,
                        examples_per_second=rate,
                        seconds_left=left / rate if rate > 0 else 0.0,
                    )
                    for w in batch_watchers:
                        try:
                            w.on_batch(info)
                        except Interrupted:
                            interrupted.append(1)
                if interrupted:
                    bar.close()
                    save_checkpoint(epoch, k + 1, st)
                    say(
                        f"\ninterrupted: checkpoint saved to {ckpt_path}\nresume with: python -m "
                        f"tinynet.train --resume {ckpt_path}"
                    )
                    raise Interrupted(str(ckpt_path))
            bar.close()
            correct, confusion = evaluate(engine, test_images, test_labels)
            record = {
                "epoch": epoch + 1,
                "cost": st["cost"] / max(1, st["seen"]),
                "train_accuracy": st["correct"] / max(1, st["seen"]),
                "test_accuracy": correct / max(1, len(test_images)),
                "seconds": round(time.time() - t_epoch, 2),
                "lr": learning_rate(s, epoch, n_batches - 1, n_batches),  # the epoch's last η
            }
            history.append(record)
            say(
                f"epoch {epoch + 1:d}/{s['epochs']:d}: test accuracy "
                f"{100 * record['test_accuracy']:.2f}% ({correct:d}/{len(test_images):d}), "
                f"training accuracy {100 * record['train_accuracy']:.2f}%, "
                f"{'average cost C' if s['preset'] == '3b1b' else 'cost'} "
                f"{record['cost']:.4f}, {record['seconds']:.1f} s"
            )
            with writing(log_path):
                _append_log(log_path, record)
            if epoch + 1 == s["epochs"]:
                # The weights before the last checkpoint: a kill between the two leaves the
                # checkpoint before, and resuming from it does the last epoch again.
                seconds = elapsed_before + time.time() - t_start
                net = _save_weights(
                    engine, s, argv, history, seconds, data_dir, n, test_images, out_path
                )
            save_checkpoint(epoch + 1, 0, None)
            if watchers:
                info.update(epoch=epoch, confusion=confusion, seen=st["seen"])
                for w in watchers:
                    if hasattr(w, "on_epoch"):
                        w.on_epoch(info)
        finished = True
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
        if watchers:
            info.update(finished=finished, elapsed=elapsed_before + time.time() - t_start)
            for w in watchers:
                if hasattr(w, "on_end"):
                    w.on_end(info)
    say(f"saved {out_path} ({seconds:.0f} s in all)")
    return net


def deskewed_set(kind, images, data_dir, quiet=False):
    """MNIST's images sheared upright (images/deskew.py), as the network will be shown them.

    The whole set is deskewed once (about 30 s on CPython, 10 s on PyPy) and kept in the user's
    cache folder, keyed by the SHA-256 of the data file; a part of it (--limit) is done directly.
    """
    name = mnist.FILES[kind][0]
    bar = Progress(len(images), f"deskewing the {kind} images", quiet=quiet)
    progress = lambda done, total: bar.update(done)  # noqa: E731
    if len(images) < mnist.COUNT[kind]:
        result = deskew.deskew_all(images, progress)
    else:
        key = mnist.checksums(data_dir)[name]
        result = deskew.deskewed(images, key, mnist.cache_dir("deskewed"), progress)
    bar.close()
    return result


def _save_weights(engine, s, argv, history, seconds, data_dir, n, test_images, out_path):
    """Save the trained weights with the record of how they were made; returns the Network."""
    net = engine.network()
    final = history[-1] if history else {}
    training = {
        "command": _command_line(argv) if argv is not None else None,
        "seed": s["seed"],
        "epochs": s["epochs"],
        "learning_rate": s["lr"],
        "learning_rate_final": s["lr_final"],
        "batch_size": s["batch_size"],
        "cost": s["cost"],
        "limit": s["limit"],
        "l2": s["l2"],
        "shift": s["shift"],
        "deskew": s["deskew"],
        "engine": s["engine"],
        "data_sha256": mnist.checksums(data_dir),
        "test_accuracy": final.get("test_accuracy"),
        "training_accuracy": final.get("train_accuracy"),
        "test_images": len(test_images),
        "training_images": n,
        "seconds": round(seconds, 1),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "history": history,
    }
    with writing(out_path):
        save(net, out_path, cost=s["cost"], training=training, deskew=s["deskew"])
    return net


def _restore_log(path, history):
    """Make the log hold exactly the checkpoint's epochs: a run killed after writing a log line
    but before its checkpoint would otherwise log that epoch twice when resumed."""
    lines = "".join(json.dumps(record) + "\n" for record in history)
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current != lines:
        with writing(path):
            write_atomic(path, lines.encode("utf-8"))


def _command_line(argv):
    return "python -m tinynet.train" + "".join(
        " " + (a if a and " " not in a else json.dumps(a)) for a in argv
    )


def _epoch_shifts(s, epoch, n):
    """For each training example, its (dx, dy) this epoch, or None when shifting is off."""
    if not s["shift"]:
        return None
    rng = random.Random(f"shift-{s['seed']:d}-{epoch:d}")
    r = s["shift"]
    return [(rng.randint(-r, r), rng.randint(-r, r)) for _ in range(n)]


def _append_log(path, record):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def _download_progress(done, total, name):
    if total:
        sys.stderr.write(f"\rdownloading {name}: {100 * done // total:d}%")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def parse_args(argv):
    d = DEFAULTS
    p = argparse.ArgumentParser(
        prog="python -m tinynet.train",
        description="Train the 784-16-16-10 network on MNIST with mini-batch gradient descent. "
        "Prints a progress bar and, after each epoch, the accuracy on the 10,000 test "
        "images; saves a checkpoint after every epoch and on Ctrl-C.",
    )
    p.add_argument(
        "--data",
        metavar="DIR",
        help="folder with the four MNIST files (default: "
        "$TINYNET_DATA, else a per-user cache folder, downloading them if missing)",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=d["epochs"],
        metavar="N",
        help="passes over the training set (default %(default)s)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=d["batch_size"],
        metavar="N",
        help="examples per gradient-descent step, m (default %(default)s)",
    )
    p.add_argument(
        "--lr",
        type=float,
        default=d["lr"],
        metavar="X",
        help="learning rate η at the start (default %(default)s)",
    )
    p.add_argument(
        "--lr-final",
        type=float,
        default=d["lr_final"],
        metavar="X",
        help="η falls in a straight line to this by the end (default %(default)s)",
    )
    p.add_argument(
        "--cost",
        choices=COSTS,
        default=d["cost"],
        help="quadratic: C = Σ(a−y)² (3Blue1Brown); cross-entropy (Nielsen ch. 3) "
        "learns faster with sigmoid outputs (default %(default)s)",
    )
    p.add_argument(
        "--hidden",
        default=d["hidden"],
        metavar="N,N",
        help="sizes of the hidden layers, comma-separated (default %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=d["seed"],
        metavar="N",
        help="random seed for the initial weights and the shuffling (default %(default)s)",
    )
    p.add_argument(
        "--l2",
        type=float,
        default=d["l2"],
        metavar="λ",
        help="L2 regularisation (weight decay) λ, as in Nielsen's book: C = C₀ + (λ/2n) Σ w² "
        "(default %(default)s)",
    )
    p.add_argument(
        "--shift",
        type=int,
        default=d["shift"],
        metavar="N",
        help="data augmentation: move each training image by up to N pixels in x and y, "
        "chosen afresh each epoch (default %(default)s)",
    )
    p.add_argument(
        "--no-deskew",
        dest="deskew",
        action="store_false",
        default=d["deskew"],
        help="train on the images as they are; by default every image is first sheared upright "
        "(deskewed), and the weights file says so, so that predict, draw, explain and evaluate "
        "deskew what they read too",
    )
    p.add_argument("--limit", type=int, metavar="N", help="use only the first N training images")
    p.add_argument(
        "--test-limit", type=int, metavar="N", help="evaluate on the first N test images only"
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help=f"where to save the trained weights (default {DEFAULTS_OUT}; with --resume "
        "X.checkpoint.json, X)",
    )
    p.add_argument(
        "--checkpoint",
        metavar="FILE",
        help=(
            "checkpoint file, written after every epoch and on Ctrl-C (default "
            "FILE.checkpoint.json for --out FILE)"
        ),
    )
    p.add_argument(
        "--log",
        metavar="FILE",
        help="training log, one JSON line per epoch (default FILE.log.jsonl for --out FILE)",
    )
    p.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help=(
            "continue from a checkpoint, with its training settings; the result is the same "
            "as without the interruption. Where the output goes (--out, --checkpoint, --log) "
            "comes from the command line, never from the checkpoint"
        ),
    )
    p.add_argument(
        "--engine",
        choices=engines.ENGINES,
        help=(
            "lanes (fast on CPython), loops (fast on PyPy) or plain (network.py itself, slow); "
            "default: the fast one for this Python, or plain under a debugger (python -m pdb, "
            "VS Code), so that stepping in shows network.py's formulas"
        ),
    )
    p.add_argument(
        "--preset",
        choices=PRESETS,
        help="3b1b: 3Blue1Brown's network exactly: quadratic cost C = Σ(a − y)², plain "
        "gradient descent at a constant η = {lr:g}, no weight decay, printed in the video's "
        "notation; options given as well override it".format(**PRESETS["3b1b"]),
    )
    p.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="NAME",
        help="after every mini-batch print a line for this weight w[l][i][j] or bias b[l][i] "
        "(as in network.py; repeatable): its value after the batch, the batch's gradient "
        "Σₓ ∂Cₓ/∂w summed over its m examples, and the step it took. The gradient is worked "
        "back from the step on every engine: Σₓ ∂Cₓ/∂w = (m/η)(w_before − w_after/f), f being "
        "the weight-decay factor (1 − ηλ/n)^k on the batches where decay acts, else 1",
    )
    p.add_argument(
        "--live",
        action="store_true",
        help="show the training live in a web page (on this computer only); after training "
        "the page stays open until Ctrl-C",
    )
    p.add_argument(
        "--port",
        type=int,
        default=0,
        metavar="N",
        help="port for --live (default 0: any free one)",
    )
    p.add_argument(
        "--no-download",
        dest="download",
        action="store_false",
        help="never download MNIST; fail if it is missing",
    )
    a = p.parse_args(argv)
    for name in ("epochs", "batch_size", "limit", "test_limit"):
        v = getattr(a, name)
        if v is not None and v < 1:
            p.error("--{} must be at least 1".format(name.replace("_", "-")))
    try:
        if not all(int(h) > 0 for h in a.hidden.split(",")):
            raise ValueError
    except ValueError:
        p.error("--hidden takes positive whole numbers separated by commas, e.g. 16,16")
    if a.lr <= 0:
        p.error("--lr must be positive")
    if not 0 <= a.port <= 65535:
        p.error("--port must be from 0 to 65535")
    # Which options are on the command line (defaults or not): parse again over a namespace
    # that already holds a marker for each, which argparse replaces only when given.
    unset = object()
    seen = argparse.Namespace(**{k: unset for k in vars(a)})
    seen.watch = None
    p.parse_args(argv, namespace=seen)
    return {k: v for k, v in vars(a).items() if getattr(seen, k) is not unset}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    given = parse_args(argv)  # only the options on the command line
    watch_names, live, port = given.pop("watch", []), given.pop("live", False), given.pop("port", 0)
    settings = dict(PRESETS[given["preset"]]) if given.get("preset") else {}
    settings.update(given)  # options given override the preset
    view = None
    try:
        if live:
            try:
                from . import live as live_page
            except ImportError:
                print("error: the live view is not available", file=sys.stderr)
                return 2
            view = live_page.start(port=port, host="127.0.0.1")
            print(f"live view: {view.url}", flush=True)
        train(argv=argv, watchers=[view] if view else [], watch_names=watch_names, **settings)
        if view is not None:
            print("training done; the live view stays open until Ctrl-C", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    except Interrupted:
        return 130
    except KeyboardInterrupt:  # Ctrl-C before training started: nothing to save
        print("\ninterrupted", file=sys.stderr)
        return 130
    except (mnist.DataError, WeightsError, TrainingError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if view is not None:
            view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
