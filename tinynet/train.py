"""Train the network on MNIST:  python -m tinynet.train [options]

Read top to bottom: the arithmetic of a schedule, then train(): settings, data, network, the
loop over epochs (each a loop over mini-batches), saving. Every setting has a default in
settings.DEFAULTS and can be changed on the command line (python -m tinynet.train --help);
checkpoints and resuming are in checkpoint.py.
From a REPL: `from tinynet.train import train; net = train(epochs=1, limit=2000)`.
"""

import math
import platform
import random
import signal
import sys
import time
from contextlib import contextmanager, suppress
from types import SimpleNamespace

from . import engines, mnist, watch
from .checkpoint import (
    append_log,
    check_position,
    check_writable,
    load_checkpoint,
    output_paths,
    resumed_engine,
    save_checkpoint,
    save_weights,
    start_log,
)
from .engines import evaluate
from .network import new_network
from .settings import (  # noqa: F401  (DEFAULTS and PRESETS: also read as train.DEFAULTS)
    DEFAULTS,
    PRESETS,
    Interrupted,
    TrainingError,
    check_decay,
    check_settings,
    layer_sizes,
    parse_args,
)
from .support.debugging import debugger, program_args
from .support.progress import Progress
from .weights import WeightsError, out_of_range


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
    if s["output"] == "softmax":
        C = f"C = −Σⱼ yⱼ ln a⁽{L}⁾ⱼ"
    f = {"sigmoid": "σ", "relu": "ReLU", "tanh": "tanh"}[s["activation"]]
    K = str(len(sizes) - 2).translate(SUPERSCRIPT)  # the last hidden layer
    eta = f"η = {s['lr']:g}" if s["lr"] == s["lr_final"] else f"η {s['lr']:g} → {s['lr_final']:g}"
    decay = "no weight decay" if not s["l2"] else f"weight decay λ = {s['l2']:g}"
    return (
        f"network: {layers}, a⁽ˡ⁾ = {f}(w⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾)"
        + ("" if s["output"] == "sigmoid" else f", a⁽{L}⁾ = softmax(w⁽{L}⁾ a⁽{K}⁾ + b⁽{L}⁾)")
        + f"; cost {C}; gradient descent "
        f"w ← w − (η/m) Σₓ ∂Cₓ/∂w with {eta}, m = {m:d}; {decay}"
    )


def describe(s, sizes, data):
    """The line that says what is trained, how, and on what."""
    epochs = f"{s['epochs']:d} {'epoch' if s['epochs'] == 1 else 'epochs'}"
    python = f"{platform.python_implementation()} {platform.python_version()}"
    where = f"engine {s['engine']} on {python}"
    if s["preset"] == "3b1b":
        notation = _video_notation(s, sizes, data.m)
        return f"{notation}\n{where}; {epochs} of {data.n_batches:d} batches"
    kind = ""
    if (s["activation"], s["output"]) != ("sigmoid", "sigmoid"):
        kind = f", {s['activation']} hidden layers, {s['output']} output"
    return (
        f"network: {'-'.join(map(str, sizes))}{kind}, {s['cost']} cost, {where}; {epochs} of "
        f"{data.n_batches:d} batches of {data.m:d}, η {s['lr']:g} → {s['lr_final']:g}"
    )


# --- the steps of train() ------------------------------------------------------------------


def settings_for(overrides):
    """(settings, checkpoint or None): DEFAULTS updated with `overrides`, then on --resume with
    the checkpoint's training settings; checked."""
    s = dict(DEFAULTS)
    s.update(overrides)
    ck = load_checkpoint(s["resume"]) if s["resume"] else None
    if ck is not None:
        s.update(ck["settings"])
        s["lr_changes"] = list(ck["lr_changes"])  # η set from the live page, for the epoch records
    check_settings(s)
    return s, ck


def choose_engine(s, say):
    """The engine, unless given: under a debugger, plain, whose steps are the formulas."""
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
    kind = SimpleNamespace(sizes=layer_sizes(s), activation=s["activation"], output=s["output"])
    s["engine"], note = engines.engine_for(kind, s["engine"])  # plain runs every network
    if note:
        say(note)


def load_data(s, quiet, say):
    """The training and test sets as the network is shown them, and the sizes of an epoch.

    From MNIST, or from Kaggle's train.csv (mnist.kaggle_train_file says which), whose last
    tenth is then the test set: s["kaggle"] records which file and which images were held out.
    """
    t0 = time.time()
    kaggle, note = mnist.kaggle_train_file(s["data"])
    if note:
        say(note)
    if kaggle is None:
        data_dir, kinds, sets = _mnist_sets(s, quiet)
    else:
        data_dir, kinds = kaggle, ("Kaggle training", "Kaggle validation")
        split = mnist.load_kaggle_split(kaggle)
        sets, s["kaggle"] = split[:4], split[4]
        say(mnist.split_line(s["kaggle"]))
    train_images, train_labels, test_images, test_labels = sets
    if s["limit"]:
        train_images, train_labels = train_images[: s["limit"]], train_labels[: s["limit"]]
    check_decay(s, n=len(train_images))  # with the real n (Kaggle's: 37,800, not 60,000)
    if s["test_limit"]:
        test_images, test_labels = test_images[: s["test_limit"]], test_labels[: s["test_limit"]]
    if s["deskew"]:
        keys = [None, None]
        if kaggle is not None:  # kept in the cache, as MNIST's are
            first = s["kaggle"]["validation_first"]
            keys = [
                mnist.kaggle_key(s["kaggle"], 1, len(train_images)),
                mnist.kaggle_key(s["kaggle"], first, len(test_images)),
            ]
        train_images = mnist.deskewed_set(kinds[0], train_images, data_dir, quiet, keys[0])
        test_images = mnist.deskewed_set(kinds[1], test_images, data_dir, quiet, keys[1])
    examples = [
        engines.sparse(image) + (digit,) for image, digit in zip(train_images, train_labels)
    ]
    n, m = len(examples), s["batch_size"]
    test = "test" if kaggle is None else "validation"
    say(
        f"data: {n:d} training and {len(test_images):d} {test} images from {data_dir} "
        f"({time.time() - t0:.1f} s)"
    )
    return SimpleNamespace(
        dir=data_dir,
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        examples=examples,
        n=n,
        m=m,
        n_batches=(n + m - 1) // m,
    )


def _mnist_sets(s, quiet):
    """(folder, kinds, [train images, labels, test images, labels]) of MNIST, downloaded if
    need be."""
    data_dir = mnist.ensure_files(
        s["data"], download=s["download"], progress=None if quiet else _download_progress
    )
    train_images, train_labels = mnist.load("train", data_dir, download=False)
    test_images, test_labels = mnist.load("test", data_dir, download=False)
    return data_dir, ("train", "test"), [train_images, train_labels, test_images, test_labels]


def check_same_data(ck, path, kaggle):
    """On --resume, the data must be what the checkpoint was trained on (MNIST, or the same
    Kaggle train.csv): WeightsError saying which otherwise."""
    was = ck.get("kaggle")
    if (was or {}).get("sha256") == (kaggle or {}).get("sha256"):
        return
    trained = f"Kaggle's {was['file']} (SHA-256 {was['sha256'][:16]}...)" if was else "MNIST"
    given = f"Kaggle's {kaggle['file']}" if kaggle else "MNIST"
    if was and kaggle:
        given += f" with another content (SHA-256 {kaggle['sha256'][:16]}...)"
    raise WeightsError(
        f"{path}: this checkpoint was trained on {trained}, but --data gives {given}; "
        f"resume with the same data"
    )


def start(s, ck, data, sizes):
    """(engine, where to start): a new network from the seed, or the checkpoint's."""
    if ck is None:
        net = new_network(sizes, seed=s["seed"], activation=s["activation"], output=s["output"])
        engine = engines.make_engine(net, s["engine"])
        return engine, {"epoch": 0, "batch": 0, "history": [], "seconds": 0.0, "stats": None}
    check_same_data(ck, s["resume"], s.get("kaggle"))
    check_position(ck, s["resume"], data.n, data.n_batches, data.m)
    return resumed_engine(ck, s["resume"], s["engine"]), ck


def make_batch(data, indices, moves):
    """The examples of a mini-batch as the engines take them: (nz, p, digit), shifted if asked."""
    if moves is None:
        return [data.examples[i] for i in indices]
    return [
        engines.sparse(shifted(data.train_images[i], *moves[i])) + (data.train_labels[i],)
        for i in indices
    ]


def gradient_step(engine, s, batch, eta, k, n, n_batches, st):
    """One step of gradient descent on the batch, then weight decay when it is due; adds the
    batch's examples, cost and correct answers to `st`; returns the decay factor (1.0 if none)."""

    def count(size, cost_sum, correct):
        st["seen"] += size
        st["cost"] += cost_sum
        st["correct"] += correct

    try:
        engine.train([batch], eta, s["cost"], count)
        decay = 1.0
        if s["l2"] and ((k + 1) % DECAY_EVERY == 0 or k + 1 == n_batches):
            decay = decay_factor(s, eta, n, (k % DECAY_EVERY) + 1)
            engine.scale(decay)
    except OverflowError:  # e.g. a first-layer weight past the lanes engine's 64-bit lanes
        raise Diverged(f"a number overflowed in batch {k + 1:d} (η = {eta:g})") from None
    if not math.isfinite(st["cost"]):
        raise Diverged(f"the cost became {st['cost']} in batch {k + 1:d} (η = {eta:g})")
    return decay


# --- a run that diverges -------------------------------------------------------------------


class Diverged(Exception):
    """The cost became infinite or NaN, or the weights too large to hold: training cannot go on,
    and nothing of it is saved."""


def check_weights(engine):
    """Diverged if a neuron's weights have grown past what a weights file may hold
    (weights.MAX_WEIGHTED_INPUT): checked before anything is saved."""
    net = engine.network()
    problem = out_of_range(net.w, net.b)
    if problem is not None:
        raise Diverged(f"the weights grew too large ({problem})")


def diverged(e, epoch, ckpt_path, saved):
    """The one line for a run that diverged in `epoch` (0-based): the last good checkpoint, if
    this run has one, stays as it was."""
    kept = (
        f"the last good checkpoint, {ckpt_path}, is kept" if saved else "no checkpoint was written"
    )
    return TrainingError(
        f"training diverged in epoch {epoch + 1:d}: {e}; {kept}; try a smaller --lr"
    )


def run_epoch(engine, s, data, epoch, first, st, after_batch, quiet=False, before_batch=None):
    """The mini-batches of one epoch from batch `first` on, under a progress bar. after_batch()
    is told of each; when it returns True (Ctrl-C), stop: returns the batches done, else None.
    before_batch(epoch, k, batch), if given, is told of each before it is trained (the live
    page pauses there); True from it stops as well, before the batch."""
    order = epoch_order(s["seed"], epoch, data.n)
    moves = _epoch_shifts(s, epoch, data.n)
    m = data.m
    bar = Progress(data.n, f"epoch {epoch + 1:d}/{s['epochs']:d}", quiet=quiet)
    bar.update(st["seen"], st["cost"] / max(1, st["seen"]))
    for k in range(first, data.n_batches):
        batch = make_batch(data, order[k * m : (k + 1) * m], moves)
        if before_batch is not None and before_batch(epoch, k, batch):
            bar.close()
            return k
        eta = learning_rate(s, epoch, k, data.n_batches)
        cost_before = st["cost"]
        decay = gradient_step(engine, s, batch, eta, k, data.n, data.n_batches, st)
        bar.update(st["seen"], st["cost"] / st["seen"])
        if after_batch(epoch, k, len(batch), eta, decay, cost_before):
            bar.close()
            return k + 1
    bar.close()
    return None


def interrupted(ckpt_path, say):
    """After Ctrl-C, once the checkpoint is saved: say how to resume; the Interrupted to raise."""
    say(
        f"\ninterrupted: checkpoint saved to {ckpt_path}\nresume with: python -m tinynet.train "
        f"--resume {ckpt_path}"
    )
    return Interrupted(str(ckpt_path))


def epoch_record(engine, s, data, epoch, st, seconds):
    """(record, correct, confusion): the epoch's line of the log, from the test set and `st`."""
    correct, confusion = evaluate(engine, data.test_images, data.test_labels)
    record = {
        "epoch": epoch + 1,
        "cost": st["cost"] / max(1, st["seen"]),
        "train_accuracy": st["correct"] / max(1, st["seen"]),
        "test_accuracy": correct / max(1, len(data.test_images)),
        "seconds": round(seconds, 2),
        "lr": learning_rate(s, epoch, data.n_batches - 1, data.n_batches),  # the epoch's last η
    }
    changes = [c for c in s.get("lr_changes", ()) if c["epoch"] == epoch + 1]
    if changes:  # η set from the live page: from which batch on, to what
        record["lr_changes"] = changes
    if s.get("kaggle"):  # the test accuracy is on these images of Kaggle's train.csv, held out
        k, first = s["kaggle"], s["kaggle"]["validation_first"]
        last = first + len(data.test_images) - 1  # the last held out, or of --test-limit's
        record["validation"] = f"{k['file']} images {first:d}-{last:d}"
    return record, correct, confusion


def epoch_line(s, record, correct, n_test):
    """What is printed after an epoch."""
    return (
        f"epoch {record['epoch']:d}/{s['epochs']:d}: test accuracy "
        f"{100 * record['test_accuracy']:.2f}% ({correct:d}/{n_test:d}), "
        f"training accuracy {100 * record['train_accuracy']:.2f}%, "
        f"{'average cost C' if s['preset'] == '3b1b' else 'cost'} "
        f"{record['cost']:.4f}, {record['seconds']:.1f} s"
    )


# --- telling the watchers ------------------------------------------------------------------


def watcher_info(engine, s, data, history):
    """The info dict the watchers of train() are given, as it is at the start.

    A watcher is any object with some of these methods:
      on_batch(info)  after every mini-batch (keep it cheap: it runs thousands of times),
      on_epoch(info)  after each epoch's evaluation,
      on_end(info)    when training ends, finished or interrupted (info["finished"]).
    info is a dict: "engine" (info["engine"].network() gives a plain Network; costly on lanes,
    so at most about once a second), "epoch" (from 0), "epochs", "batch" (from 0, the batch
    just done), "n_batches", "m" (its size), "eta", "decay" (the factor weight decay
    multiplied the weights by after this batch, 1.0 on most), "batch_cost" (its mean cost),
    "batch_size", "seen" (examples done this epoch), "n" (per epoch), "elapsed" (s),
    "examples_per_second", "seconds_left", "history" (the per-epoch records, as in the log),
    "test_images", "test_labels", "settings", "cost" (its name); on_epoch also "confusion".
    Raising Interrupted from on_batch behaves like Ctrl-C: a checkpoint is saved and
    Interrupted propagates.
    """
    return {
        "engine": engine,
        "epochs": s["epochs"],
        "n_batches": data.n_batches,
        "batch_size": data.m,
        "n": data.n,
        "history": history,
        "test_images": data.test_images,
        "test_labels": data.test_labels,
        "settings": s,
        "cost": s["cost"],
    }


def tell(watchers, method, info):
    for w in watchers:
        if hasattr(w, method):
            getattr(w, method)(info)


def batch_teller(watchers, info, s, data, st_of, elapsed, pressed):
    """after_batch for run_epoch: tells the watchers of the batch (their Interrupted counts as
    Ctrl-C) and says whether to stop."""
    batch_watchers = [w for w in watchers if hasattr(w, "on_batch")]
    t_training, done_here = time.time(), [0]  # examples trained in this run (not before a resume)

    def after_batch(epoch, k, size, eta, decay, cost_before):
        if not batch_watchers:
            return bool(pressed)
        st = st_of()
        done_here[0] += size
        rate = done_here[0] / max(1e-9, time.time() - t_training)
        left = (s["epochs"] - epoch - 1) * data.n + data.n - st["seen"]
        info.update(epoch=epoch, batch=k, m=size, eta=eta, decay=decay, seen=st["seen"])
        info.update(
            batch_cost=(st["cost"] - cost_before) / size,
            elapsed=elapsed(),
            examples_per_second=rate,
            seconds_left=left / rate if rate > 0 else 0.0,
        )
        for w in batch_watchers:
            try:
                w.on_batch(info)
            except Interrupted:
                pressed.append(1)
        return bool(pressed)

    return after_batch


def batch_gate(watchers, info, s, pressed):
    """before_batch for run_epoch, or None: a watcher with before_batch(info) (the live page)
    may hold training before a mini-batch (info["next"]: its epoch, index, examples and η) while
    it answers False, and may set η from that batch on (info["set_lr"]). Says whether to stop
    (Ctrl-C)."""
    gates = [w for w in watchers if hasattr(w, "before_batch")]

    def before_batch(epoch, k, batch):
        eta = learning_rate(s, epoch, k, info["n_batches"])
        info["next"] = {"epoch": epoch, "batch": k, "examples": batch, "eta": eta}
        for w in gates:
            while not pressed and not w.before_batch(info):  # each call waits ≤ ¼ s
                pass
        eta = info.pop("set_lr", None)
        if eta is not None:  # constant from here on; the log's epoch record says where
            s["lr"] = s["lr_final"] = eta
            s.setdefault("lr_changes", []).append({"epoch": epoch + 1, "batch": k + 1, "lr": eta})
        return bool(pressed)

    return before_batch if gates else None


@contextmanager
def ctrl_c_finishes_the_batch():
    """Ctrl-C sets a flag instead of stopping at once: the batch finishes, then a checkpoint is
    saved. Yields the flag (a list, non-empty once pressed)."""
    pressed = []
    old_handler = None
    with suppress(ValueError):  # not the main thread: no Ctrl-C to catch
        old_handler = signal.signal(signal.SIGINT, lambda *_: pressed.append(1))
    try:
        yield pressed
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)


# --- training ------------------------------------------------------------------------------


def set_up(s, ck, say, quiet):
    """(data, engine, where to start): the engine chosen, the data loaded, the network made
    (or the checkpoint's), and the run described."""
    sizes = layer_sizes(s)
    choose_engine(s, say)
    data = load_data(s, quiet, say)
    engine, at = start(s, ck, data, sizes)
    say(describe(s, sizes, data))
    return data, engine, at


def close_epoch(engine, s, data, epoch, st, t_epoch, history, say, log_path):
    """After an epoch: the weights checked (Diverged if they grew too large), its figures
    recorded, printed and logged. Returns its confusion matrix."""
    check_weights(engine)
    record, correct, confusion = epoch_record(engine, s, data, epoch, st, time.time() - t_epoch)
    history.append(record)
    say(epoch_line(s, record, correct, len(data.test_images)))
    append_log(log_path, record)
    return confusion


def train(argv=None, watchers=(), quiet=False, watch_names=(), **overrides):
    """Train a network; returns it. Settings are DEFAULTS updated with `overrides`.

    `watchers`: objects told about the training as it goes through the methods they have,
    on_batch(info), on_epoch(info) and on_end(info): see watcher_info() for what they are told.
    `watch_names`: parameters to follow, e.g. "w[0][10][262]" (watch.py).
    """
    started = time.time()  # "s in all" counts from here: the data's preparation too
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    s, ck = settings_for(overrides)
    if ck is not None and ck["epoch"] == s["epochs"]:
        say(f"{s['resume']}: training is complete ({s['epochs']:d} of {s['epochs']:d} epochs); "
            "nothing to do")  # fmt: skip
        return ck["network"]
    out_path, ckpt_path, log_path = output_paths(s, s["resume"])
    watching = watch.Watch(list(watch_names), layer_sizes(s)) if watch_names else None
    check_writable([out_path, ckpt_path, log_path])
    data, engine, at = set_up(s, ck, say, quiet)
    history = at["history"]
    watchers = list(watchers) + ([watching] if watching is not None else [])
    if watching is not None:
        watching.start(engine)
    start_log(log_path, None if ck is None else history)  # no lines past the checkpoint

    def elapsed():
        return at["seconds"] + time.time() - started

    saved = [ck is not None]  # is there a checkpoint of this run (a good one) on disk?

    def checkpoint(epoch, batch, stats):  # (the weights are checked before: close_epoch)
        save_checkpoint(ckpt_path, s, engine, epoch, batch, history, stats, elapsed())
        saved[0] = True

    info = watcher_info(engine, s, data, history)
    finished, st = False, None
    with ctrl_c_finishes_the_batch() as pressed:
        after_batch = batch_teller(watchers, info, s, data, lambda: st, elapsed, pressed)
        before_batch = batch_gate(watchers, info, s, pressed)
        try:
            for epoch in range(at["epoch"], s["epochs"]):
                first, st = (at["batch"], at["stats"]) if epoch == at["epoch"] else (0, None)
                st = st or {"seen": 0, "cost": 0.0, "correct": 0}  # examples, cost, correct
                t_epoch = time.time()
                stopped = run_epoch(engine, s, data, epoch, first, st, after_batch,
                                    quiet=quiet or watching is not None,
                                    before_batch=before_batch)  # fmt: skip
                if stopped is not None:  # Ctrl-C: save where we are, say how to go on
                    check_weights(engine)
                    checkpoint(epoch, stopped, st)
                    raise interrupted(ckpt_path, say)
                confusion = close_epoch(engine, s, data, epoch, st, t_epoch, history, say, log_path)
                if epoch + 1 == s["epochs"]:
                    # The weights before the last checkpoint: a kill between the two leaves the
                    # checkpoint before, and resuming from it does the last epoch again.
                    net = save_weights(engine, s, argv, history, elapsed(), data.dir, data.n,
                                       len(data.test_images), out_path)  # fmt: skip
                checkpoint(epoch + 1, 0, None)
                info.update(epoch=epoch, confusion=confusion, seen=st["seen"])
                tell(watchers, "on_epoch", info)
            finished = True
        except Diverged as e:
            raise diverged(e, epoch, ckpt_path, saved[0]) from None
        finally:
            info.update(finished=finished, elapsed=elapsed())
            tell(watchers, "on_end", info)
    say(f"saved {out_path} ({elapsed():.0f} s in all)")
    return net


def _epoch_shifts(s, epoch, n):
    """For each training example, its (dx, dy) this epoch, or None when shifting is off."""
    if not s["shift"]:
        return None
    rng = random.Random(f"shift-{s['seed']:d}-{epoch:d}")
    r = s["shift"]
    return [(rng.randint(-r, r), rng.randint(-r, r)) for _ in range(n)]


def _download_progress(done, total, name):
    if total:
        sys.stderr.write(f"\rdownloading {name}: {100 * done // total:d}%")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


# --- the command line ----------------------------------------------------------------------


def main(argv=None):
    argv = program_args(argv)  # (sys.argv[1:] when None)
    given = parse_args(argv)  # only the options on the command line
    watch_names, live, port = given.pop("watch", []), given.pop("live", False), given.pop("port", 0)
    paused, speed = given.pop("paused", False), given.pop("speed", 0.0)
    if (paused or speed) and not live:
        print("error: --paused and --speed are for --live", file=sys.stderr)
        return 2
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
            view.paused, view.speed = paused, speed  # the page can change both
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
