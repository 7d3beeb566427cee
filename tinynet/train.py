"""Train the network on MNIST:  python -m tinynet.train [options]

Read top to bottom: settings, data, network, the loop over epochs, saving. Every setting has a
default in DEFAULTS below and can be changed on the command line (python -m tinynet.train --help).
From a REPL: `from tinynet.train import train; net = train(epochs=1, limit=2000)`.
"""

import argparse
import json
import platform
import random
import signal
import sys
import time
from pathlib import Path

from . import engines, mnist
from .network import COSTS, DEFAULT_COST, new_network
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
    "limit": None,  # use only the first N training images
    "test_limit": None,  # evaluate on only the first N test images
    "out": "tinynet-weights.json",
    "checkpoint": None,  # default: <out>.checkpoint.json
    "log": None,  # JSON lines, one per epoch (default: <out>.log.jsonl)
    "resume": None,
    "engine": None,  # lanes (CPython) or loops (PyPy); plain = network.py itself, slow
    "download": True,
}


class Interrupted(Exception):
    """Raised between two batches after Ctrl-C, once the state is consistent."""


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
    for image, digit in zip(images, labels):
        out = engines.output(engine, image)
        confusion[digit][out.index(max(out))] += 1
    return sum(confusion[d][d] for d in range(10)), confusion


def _paths(s):
    out = Path(s["out"])
    return (
        out,
        Path(s["checkpoint"]) if s["checkpoint"] else out.with_name(out.name + ".checkpoint.json"),
        Path(s["log"]) if s["log"] else out.with_name(out.name + ".log.jsonl"),
    )


def _command_line(argv):
    return "python -m tinynet.train" + "".join(
        " " + (a if a and " " not in a else json.dumps(a)) for a in argv
    )


def train(argv=None, on_batch=None, quiet=False, **overrides):
    """Train a network; returns it. Settings are DEFAULTS updated with `overrides`.

    `on_batch(state)` (for tests) is called after every batch; raising Interrupted from it
    behaves like Ctrl-C: a checkpoint is saved and Interrupted propagates.
    """
    s = dict(DEFAULTS)
    s.update(overrides)
    out_path, ckpt_path, log_path = _paths(s)
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))

    # --- resume: settings, weights and position come from the checkpoint -------------------
    start_epoch, start_batch, history, elapsed_before, exact, stats = 0, 0, [], 0.0, None, None
    if s["resume"]:
        ck = load_dict(s["resume"])
        if not isinstance(ck, dict) or ck.get("format") != "tinynet-checkpoint":
            raise WeightsError("{}: not a tinynet checkpoint".format(s["resume"]))
        keep = {k: s[k] for k in ("data", "resume", "download") if s[k] is not None}
        try:
            s.update({k: v for k, v in ck["settings"].items() if k in DEFAULTS})
            s.update(keep)
            net = from_dict(ck["network"], where=s["resume"])
            start_epoch, start_batch = int(ck["epoch"]), int(ck["batch"])
            history, elapsed_before = list(ck["history"]), float(ck["seconds"])
            exact, stats = ck["exact"], ck["stats"]
            if exact is not None:
                engines.make_engine(net, s["engine"], exact=exact)  # the exact weights must fit too
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            raise WeightsError(
                "{}: damaged checkpoint ({}: {})".format(s["resume"], type(e).__name__, e)
            )
        out_path, ckpt_path, log_path = _paths(s)
    if s["cost"] not in COSTS:
        raise ValueError("--cost must be one of: " + ", ".join(COSTS))
    if out_path.resolve() == PRETRAINED.resolve() and "out" not in overrides and not s["resume"]:
        raise ValueError("refusing to overwrite the shipped pretrained file without --out")

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
    sizes = [784] + [int(h) for h in str(s["hidden"]).split(",") if h.strip()] + [10]
    if not s["resume"]:
        net = new_network(sizes, seed=s["seed"])
    engine = engines.make_engine(net, s["engine"] or engines.default_engine(), exact=exact)
    s["engine"] = s["engine"] or engines.default_engine()
    say(
        f"network: {'-'.join(map(str, sizes))}, {s['cost']} cost, engine {s['engine']} on "
        f"{platform.python_implementation()} {platform.python_version()}; {s['epochs']:d} epochs "
        f"of {n_batches:d} batches of {m:d}, η {s['lr']:g} → {s['lr_final']:g}"
    )

    # --- Ctrl-C: finish the batch, then save a checkpoint ----------------------------------------
    interrupted = []
    old_handler = None
    try:
        old_handler = signal.signal(signal.SIGINT, lambda *_: interrupted.append(1))
    except ValueError:  # not the main thread
        pass

    def save_checkpoint(epoch, batch, stats):
        write_json_atomic(
            ckpt_path,
            {
                "format": "tinynet-checkpoint",
                "settings": s,
                "epoch": epoch,
                "batch": batch,
                "network": to_dict(engines.to_network(engine), s["cost"]),
                "exact": engines.engine_state(engine),
                "history": history,
                "stats": stats,
                "seconds": elapsed_before + time.time() - t_start,
            },
        )

    if not s["resume"] and log_path.exists():
        log_path.unlink()  # a fresh run starts a fresh log; a resumed one goes on with its own
    t_start = time.time()
    try:
        for epoch in range(start_epoch, s["epochs"]):
            order = epoch_order(s["seed"], epoch, n)
            t_epoch = time.time()
            st = (
                stats
                if (stats and epoch == start_epoch)
                else {"seen": 0, "cost": 0.0, "correct": 0}
            )
            bar = Progress(n, f"epoch {epoch + 1:d}/{s['epochs']:d}", quiet=quiet)
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

                def count(size, cost_sum, correct):
                    st["seen"] += size
                    st["cost"] += cost_sum
                    st["correct"] += correct

                engines.train_batches(engine, [batch], eta, s["cost"], count)
                if s["l2"] and ((k + 1) % DECAY_EVERY == 0 or k + 1 == n_batches):
                    steps = (k % DECAY_EVERY) + 1
                    engines.scale_weights(engine, decay_factor(s, eta, n, steps))
                bar.update(st["seen"], st["cost"] / st["seen"])
                if on_batch is not None:
                    try:
                        on_batch({"epoch": epoch, "batch": k})
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
            correct, _ = evaluate(engine, test_images, test_labels)
            record = {
                "epoch": epoch + 1,
                "cost": st["cost"] / max(1, st["seen"]),
                "train_accuracy": st["correct"] / max(1, st["seen"]),
                "test_accuracy": correct / max(1, len(test_images)),
                "seconds": round(time.time() - t_epoch, 2),
                "lr": eta,
            }
            history.append(record)
            say(
                f"epoch {epoch + 1:d}/{s['epochs']:d}: test accuracy "
                f"{100 * record['test_accuracy']:.2f}% ({correct:d}/{len(test_images):d}), "
                f"training accuracy {100 * record['train_accuracy']:.2f}%, cost "
                f"{record['cost']:.4f}, {record['seconds']:.1f} s"
            )
            _append_log(log_path, record)
            save_checkpoint(epoch + 1, 0, None)
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)

    # --- save ----------------------------------------------------------------------------------
    net = engines.to_network(engine)
    seconds = elapsed_before + time.time() - t_start
    final = history[-1] if history else {}
    training = {
        "command": _command_line(argv) if argv is not None else None,
        "seed": s["seed"],
        "epochs": s["epochs"],
        "learning_rate": s["lr"],
        "learning_rate_final": s["lr_final"],
        "batch_size": m,
        "cost": s["cost"],
        "limit": s["limit"],
        "l2": s["l2"],
        "shift": s["shift"],
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
    save(net, out_path, cost=s["cost"], training=training)
    say(f"saved {out_path} ({seconds:.0f} s in all)")
    return net


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
    p.add_argument("--limit", type=int, metavar="N", help="use only the first N training images")
    p.add_argument(
        "--test-limit", type=int, metavar="N", help="evaluate on the first N test images only"
    )
    p.add_argument(
        "--out",
        default=d["out"],
        metavar="FILE",
        help="where to save the trained weights (default %(default)s)",
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
            "continue from a checkpoint, with its settings; the result is the same as without "
            "the interruption"
        ),
    )
    p.add_argument(
        "--engine",
        choices=engines.ENGINES,
        help=(
            "lanes (fast on CPython), loops (fast on PyPy) or plain (network.py itself, slow); "
            "default: the fast one for this Python"
        ),
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
    return vars(a)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    settings = parse_args(argv)
    explicit = {k: v for k, v in settings.items() if v != DEFAULTS.get(k)}
    if "--out" in argv or any(a.startswith("--out=") for a in argv):
        explicit["out"] = settings["out"]
    try:
        train(argv=argv, **explicit)
    except Interrupted:
        return 130
    except KeyboardInterrupt:  # Ctrl-C before training started: nothing to save
        print("\ninterrupted", file=sys.stderr)
        return 130
    except (mnist.DataError, WeightsError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
