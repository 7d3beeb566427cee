"""Checkpoints and resume: where a training run's files go, saving them, and reading them back.

A run writes three files: the weights (--out) at the end, a checkpoint after every epoch and on
Ctrl-C (everything needed to go on bit for bit: settings, position, weights, history), and a log
of one JSON line per epoch. load_checkpoint() reads a checkpoint back, checking every field.
"""

import json
import os
import platform
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import engines, mnist
from .settings import (
    DEFAULTS,
    DEFAULTS_OUT,
    SETTING_RULES,
    TRAINING_SETTINGS,
    TrainingError,
    check_settings,
    layer_sizes,
)
from .support.files import write_atomic
from .support.text import is_real, is_whole, short
from .weights import (
    MAX_WEIGHTED_INPUT,
    PRETRAINED,
    WeightsError,
    from_dict,
    load_dict,
    save,
    to_dict,
    write_json_atomic,
)

FORMAT = "tinynet-checkpoint"

# --- reading a checkpoint, field by field -------------------------------------------------------


def _damaged(path, field, what, value=None):
    return WeightsError(
        f"{path}: damaged checkpoint: {field} must be {what}"
        + ("" if value is None else f" (it is {short(value, 40)})")
    )


def _settings(ck, path):
    """The checkpoint's training settings, checked; WeightsError if it is not a checkpoint."""
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise WeightsError(f"{path}: not a tinynet checkpoint")
    for key in ("settings", "epoch", "batch", "network", "history", "seconds"):
        if key not in ck:
            raise _damaged(path, key, "present")
    if not isinstance(ck["settings"], dict):
        raise _damaged(path, "settings", "an object")
    settings = {k: ck["settings"].get(k, DEFAULTS[k]) for k in TRAINING_SETTINGS}
    settings["deskew"] = ck["settings"].get("deskew", False)  # made before deskewing existed
    check_settings(settings, where=path)
    if settings["engine"] is None:
        raise _damaged(path, "settings.engine", "one of: " + ", ".join(engines.ENGINES))
    return settings


def _check_position(ck, path, epochs):
    """epoch, batch, seconds and the running stats of the epoch under way."""
    if not is_whole(ck["epoch"], 0, epochs):
        what = f"a whole number from 0 to settings.epochs = {epochs:d}"
        raise _damaged(path, "epoch", what, ck["epoch"])
    if not is_whole(ck["batch"], 0, 10**9) or (ck["epoch"] == epochs and ck["batch"]):
        what = "a whole number ≥ 0 (0 once all epochs are done)"
        raise _damaged(path, "batch", what, ck["batch"])
    if not is_real(ck["seconds"], 0.0, 1e10):
        raise _damaged(path, "seconds", "a number ≥ 0", ck["seconds"])
    stats = ck.get("stats")
    if ck["batch"] == 0:
        if stats is not None:
            raise _damaged(path, "stats", "null at the start of an epoch (batch 0)")
    elif not (
        isinstance(stats, dict)
        and is_whole(stats.get("seen"), 1, 10**9)
        and is_whole(stats.get("correct"), 0, stats["seen"])
        and is_real(stats.get("cost"), 0.0, 1e300)
    ):
        what = "{seen ≥ 1, correct from 0 to seen, cost ≥ 0} after batch ≥ 1"
        raise _damaged(path, "stats", what)


def _is_record(record, epoch, epochs):
    """An epoch's line of the history, as the log has it."""
    return (
        isinstance(record, dict)
        and record.get("epoch") == epoch
        and is_whole(record.get("epoch"), 1, epochs)
        and all(is_real(record.get(f), 0.0, 1.0) for f in ("train_accuracy", "test_accuracy"))
        and all(is_real(record.get(f), 0.0, 1e300) for f in ("cost", "seconds"))
        and is_real(record.get("lr"), 0.0, 1e4)
    )


def _check_history(history, path, epoch, epochs):
    if not isinstance(history, list) or len(history) != epoch:
        raise _damaged(path, "history", f"a list of {epoch:d} epoch records (one per epoch done)")
    for k, record in enumerate(history):
        if not _is_record(record, k + 1, epochs):
            what = (
                f"a record of epoch {k + 1:d} (epoch, cost, train_accuracy, test_accuracy, "
                "seconds, lr)"
            )
            raise _damaged(path, f"history[{k:d}]", what)


def _lr_changes(changes, path, epoch, epochs):
    """The η changes made from the live page so far (train.batch_gate), each
    {"epoch": e, "batch": k, "lr": η}: from batch k of epoch e on, η; none up to epoch + 1."""
    last = min(epoch + 1, epochs)
    what = (
        f"a list of {{epoch: 1 to {last:d}, batch ≥ 1, lr: "
        f"{SETTING_RULES['lr'][1]}}}, in order (η changed from the live page)"
    )
    keys = {"epoch", "batch", "lr"}
    ok = isinstance(changes, list) and all(
        isinstance(c, dict)
        and set(c) == keys
        and is_whole(c["epoch"], 1, last)
        and is_whole(c["batch"], 1, 10**9)
        and SETTING_RULES["lr"][0](c["lr"])
        for c in changes
    )
    if ok and changes != sorted(changes, key=lambda c: (c["epoch"], c["batch"])):
        ok = False
    if not ok:
        raise _damaged(path, "lr_changes", what)
    return changes


def _network(ck, path, sizes):
    """The checkpoint's weights as a Network of the settings' sizes."""
    try:
        net = from_dict(ck["network"], where=f"{path}: damaged checkpoint: network")
    except WeightsError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as e:
        raise WeightsError(
            f"{path}: damaged checkpoint: network ({type(e).__name__}: {e})"
        ) from None
    if list(net.sizes) != sizes:
        what = f"a {'-'.join(map(str, sizes))} network, as settings.hidden says"
        raise _damaged(path, "network", what)
    return net


def _check_exact(exact, path, engine, sizes):
    """lanes keeps its first layer as whole numbers too (engine.state()); the others nothing."""
    if engine != "lanes":
        if exact is not None:
            raise _damaged(path, "exact", f"null for engine {engine}")
        return
    n_out, n_in = sizes[1], sizes[0]
    if not (
        isinstance(exact, list)
        and len(exact) == 1
        and isinstance(exact[0], list)
        and len(exact[0]) == n_out
        and all(
            isinstance(row, list)
            and len(row) == n_in
            and all(is_whole(W, -(2**62), 2**62) for W in row)
            for row in exact[0]
        )
    ):
        what = f"[W], W: {n_out:d} rows of {n_in:d} whole numbers below 2⁶²"
        raise _damaged(path, "exact", what)
    # W = w·2⁴⁰: a row of whole numbers holds no more than a weights file may (Σ|w| bounded)
    largest = max(sum(map(abs, row)) for row in exact[0]) / 2**40
    if largest > MAX_WEIGHTED_INPUT:
        what = f"[W] with Σⱼ|Wᵢⱼ|/2⁴⁰ at most {MAX_WEIGHTED_INPUT:,d} in every row"
        raise _damaged(path, "exact", what, f"{largest:.3g}")


def _kaggle_record(record, path):
    """The Kaggle CSV a checkpoint was trained on (mnist.load_kaggle_split), or None: MNIST."""
    keys = ("file", "sha256", "images", "validation_first", "validation_images")
    if record is None or (
        isinstance(record, dict)
        and all(k in record for k in keys)
        and isinstance(record["file"], str)
        and isinstance(record["sha256"], str)
        and all(is_whole(record[k], 1, 10**9) for k in keys[2:])
    ):
        return record
    raise _damaged(path, "kaggle", "null or {" + ", ".join(keys) + "}")


def load_checkpoint(path):
    """A checkpoint file as a dict, every field checked (types, ranges, shapes).

    Returns {"settings", "epoch", "batch", "network", "exact", "history", "stats", "seconds",
    "kaggle", "lr_changes"}, "settings" holding only TRAINING_SETTINGS, "lr_changes" the η
    changes made from the live page ([] in a checkpoint made before they were kept). Raises
    WeightsError naming the file and the field; the checks that need the data (batch against
    the number of batches) are in check_position().
    """
    ck = load_dict(path)
    settings = _settings(ck, path)
    _check_position(ck, path, settings["epochs"])
    _check_history(ck["history"], path, ck["epoch"], settings["epochs"])
    sizes = layer_sizes(settings)
    net = _network(ck, path, sizes)
    for field in ("activation", "output"):  # the network is the one the settings train
        if getattr(net, field) != settings[field]:
            what = f"a network with {field} {settings[field]}, as settings.{field} says"
            raise _damaged(path, f"network.{field}", what, getattr(net, field))
    _check_exact(ck.get("exact"), path, settings["engine"], sizes)
    return {
        "settings": settings,
        "epoch": ck["epoch"],
        "batch": ck["batch"],
        "network": net,
        "exact": ck.get("exact"),
        "history": ck["history"],
        "stats": ck.get("stats"),
        "seconds": float(ck["seconds"]),
        "kaggle": _kaggle_record(ck.get("kaggle"), path),
        "lr_changes": _lr_changes(ck.get("lr_changes", []), path, ck["epoch"], settings["epochs"]),
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


def resumed_engine(ck, path, engine):
    """The engine `engine` holding the checkpoint's weights, to go on bit for bit."""
    try:
        return engines.make_engine(ck["network"], engine, exact=ck["exact"])
    except (TypeError, ValueError, OverflowError) as e:
        raise WeightsError(f"{path}: damaged checkpoint: exact ({e})") from None


def save_checkpoint(path, s, engine, epoch, batch, history, stats, seconds):
    """Write the checkpoint: after `batch` batches of epoch `epoch` (0-based), its stats so far."""
    with writing(path):
        write_json_atomic(
            path,
            {
                "format": FORMAT,
                "settings": {k: s[k] for k in TRAINING_SETTINGS},
                "epoch": epoch,
                "batch": batch,
                "network": to_dict(engine.network(), s["cost"]),
                "exact": engine.state(),
                "history": history,
                "stats": stats,
                "seconds": seconds,
                **({"kaggle": s["kaggle"]} if s.get("kaggle") else {}),  # else MNIST
                **({"lr_changes": s["lr_changes"]} if s.get("lr_changes") else {}),  # live page
            },
        )


# --- where the output goes -----------------------------------------------------------------


def output_paths(s, resume=None):
    """(out, checkpoint, log) from the settings. On --resume, unless given, the checkpoint is the
    file resumed from and --out is its name without ".checkpoint.json" (never anything read
    from inside the checkpoint). The shipped pretrained file is never the default output."""
    out = s["out"]
    if out is None:
        name = str(resume) if resume else ""
        out = name[: -len(".checkpoint.json")] if name.endswith(".checkpoint.json") else None
    out = Path(out or DEFAULTS_OUT)
    if out.resolve() == PRETRAINED.resolve() and not s["out"]:
        raise TrainingError("refusing to overwrite the shipped pretrained file without --out")
    if s["checkpoint"]:
        ckpt = Path(s["checkpoint"])
    elif resume:
        ckpt = Path(resume)
    else:
        ckpt = out.with_name(out.name + ".checkpoint.json")
    return out, ckpt, Path(s["log"]) if s["log"] else out.with_name(out.name + ".log.jsonl")


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
            raise TrainingError(f"{path}: cannot write there: {e.strerror or e}") from None


@contextmanager
def writing(path):
    """Turn an OSError while writing `path` into a TrainingError that names the file."""
    try:
        yield
    except OSError as e:
        errno = f"[Errno {e.errno:d}] " if e.errno else ""
        raise TrainingError(f"{path}: cannot write: {errno}{e.strerror or e}") from None


# --- the weights and the log ---------------------------------------------------------------


def save_weights(engine, s, argv, history, seconds, data_dir, n, n_test, out_path):
    """Save the trained weights with the record of how they were made; returns the Network."""
    net = engine.network()
    final = history[-1] if history else {}
    training = {
        "command": command_line(argv) if argv is not None else None,
        "seed": s["seed"],
        "epochs": s["epochs"],
        "learning_rate": s["lr"],
        "learning_rate_final": s["lr_final"],
        "batch_size": s["batch_size"],
        "cost": s["cost"],
        "activation": s["activation"],
        "output": s["output"],
        "limit": s["limit"],
        "l2": s["l2"],
        "shift": s["shift"],
        "deskew": s["deskew"],
        "engine": s["engine"],
        "data_sha256": _data_sha256(s, data_dir),
        "test_accuracy": final.get("test_accuracy"),
        "training_accuracy": final.get("train_accuracy"),
        "test_images": n_test,
        "training_images": n,
        "seconds": round(seconds, 1),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "history": history,
    }
    if s.get("kaggle"):  # Kaggle's train.csv, and which of its images were held out
        training["kaggle"] = s["kaggle"]
    with writing(out_path):
        save(net, out_path, cost=s["cost"], training=training, deskew=s["deskew"])
    return net


def _data_sha256(s, data_dir):
    """{file name: SHA-256} of the data trained on: MNIST's four files, or Kaggle's CSV."""
    if s.get("kaggle"):
        return {s["kaggle"]["file"]: s["kaggle"]["sha256"]}
    return mnist.checksums(data_dir)


def start_log(path, history=None):
    """A fresh run starts a fresh log; a resumed one has exactly the checkpoint's epochs."""
    if history is None:
        if path.exists():
            with writing(path):
                path.unlink()
    else:
        restore_log(path, history)


def restore_log(path, history):
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


def append_log(path, record):
    """One epoch's record as one more JSON line of the log."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


def command_line(argv):
    """The command that made a run, as the weights file records it."""
    return "python -m tinynet.train" + "".join(
        " " + (a if a and " " not in a else json.dumps(a)) for a in argv
    )
