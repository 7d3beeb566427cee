"""Training on real MNIST (skipped without data): learns, is deterministic, resumes exactly."""

import json
import subprocess
import sys
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from training import COMMAND, StopAt, quiet_run, resume_run, run_train, train_env

from tinynet import engines, network, train, weights
from tinynet.train import Interrupted

SMALL = dict(limit=2000, test_limit=1000, epochs=3, lr=0.5, lr_final=0.5)


def small_run(tmp_path, mnist_dir, name, **kw):
    return quiet_run(mnist_dir, tmp_path / name, SMALL, **kw)


def test_a_short_run_learns(tmp_path, mnist_dir):
    small_run(tmp_path, mnist_dir, "a.json", epochs=8)
    net, info = weights.load_with_info(tmp_path / "a.json")
    record = info["training"]
    assert record["test_accuracy"] > 0.80, record["history"]
    assert record["training_images"] == 2000 and record["test_images"] == 1000
    assert set(record["data_sha256"]) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }
    log = [json.loads(line) for line in (tmp_path / "a.json.log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == list(range(1, 9))


def test_same_seed_same_weights_and_resume_is_exact(tmp_path, mnist_dir):
    kw = dict(limit=300, epochs=2, test_limit=100, batch_size=7)
    first = small_run(tmp_path, mnist_dir, "one.json", **kw)
    second = small_run(tmp_path, mnist_dir, "two.json", **kw)
    assert first.w == second.w and first.b == second.b
    other = small_run(tmp_path, mnist_dir, "seed.json", seed=2, **kw)
    assert other.w != first.w

    with pytest.raises(Interrupted):
        small_run(tmp_path, mnist_dir, "three.json", watchers=[StopAt(1, 10)], **kw)
    assert not (tmp_path / "three.json").exists()
    resumed = resume_run(mnist_dir, tmp_path / "three.json.checkpoint.json")
    assert resumed.w == first.w and resumed.b == first.b


def test_command_line_errors_are_one_line(tmp_path):
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    env = train_env(bare, TINYNET_MNIST_MIRRORS="http://127.0.0.1:9/")
    r = run_train(["--data", str(tmp_path / "none"), "--no-download"], tmp_path, env)
    assert r.returncode == 2
    assert r.stderr.startswith("error: MNIST not found") and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_train(["--help"], tmp_path, env)
    assert r.returncode == 0 and "--resume" in r.stdout and "--batch-size" in r.stdout


@given(st.integers(-3, 3), st.integers(-3, 3), st.binary(min_size=100, max_size=100))
def test_shifting_moves_every_pixel_and_back(dx, dy, centre):
    # a 10×10 patch in the middle of the canvas: a shift of ≤3 pixels keeps it all on the canvas
    image = bytearray(784)
    for r in range(10):
        image[(9 + r) * 28 + 9 : (9 + r) * 28 + 19] = centre[r * 10 : (r + 1) * 10]
    image = bytes(image)
    moved = train.shifted(image, dx, dy)
    assert len(moved) == 784 and sum(moved) == sum(image)
    for r in range(28):
        for c in range(28):
            if 0 <= r - dy < 28 and 0 <= c - dx < 28:
                assert moved[r * 28 + c] == image[(r - dy) * 28 + (c - dx)]
    assert train.shifted(moved, -dx, -dy) == image


def test_ctrl_c_saves_a_checkpoint_and_says_how_to_resume(tmp_path, mnist_dir):
    import signal
    import time

    proc = subprocess.Popen(
        COMMAND
        + [
            "--data",
            str(mnist_dir),
            "--limit",
            "3000",
            "--epochs",
            "50",
            "--test-limit",
            "200",
            "--out",
            str(tmp_path / "w.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=train_env(),
        cwd=str(tmp_path),
    )
    log = tmp_path / "w.json.log.jsonl"
    deadline = time.time() + 120
    while not log.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)  # wait until the first epoch is done, so the run is really training
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert "Traceback" not in out
    assert (
        "resume with: python -m tinynet.train --resume %s" % (tmp_path / "w.json.checkpoint.json")
        in out
    )
    checkpoint = json.loads((tmp_path / "w.json.checkpoint.json").read_text())
    assert checkpoint["format"] == "tinynet-checkpoint" and checkpoint["epoch"] >= 1
    assert not (tmp_path / "w.json").exists()


@pytest.mark.parametrize(
    "content",
    [
        '{"format": "tinynet-checkpoint"}',
        '{"format": "tinynet-checkpoint", "settings": [], "network": {}}',
        '{"format": "tinynet", "version": 1}',
        "[]",
    ],
)
def test_a_damaged_checkpoint_is_one_line(tmp_path, content):
    bad = tmp_path / "ck.json"
    bad.write_text(content)
    env = train_env({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    r = run_train(["--resume", str(bad), "--no-download"], tmp_path, env)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith(f"error: {bad}: ") and len(r.stderr.strip().splitlines()) == 1


# --- the η schedule and weight decay, in closed form -------------------------------------------


@given(
    epochs=st.integers(1, 50),
    n_batches=st.integers(1, 500),
    lr=st.floats(0.001, 10),
    lr_final=st.floats(0, 10),
)
def test_the_learning_rate_falls_in_a_straight_line_from_lr_to_lr_final(
    epochs, n_batches, lr, lr_final
):
    s = dict(train.DEFAULTS, epochs=epochs, lr=lr, lr_final=lr_final)
    etas = [
        train.learning_rate(s, e, k, n_batches) for e in range(epochs) for k in range(n_batches)
    ]
    total = epochs * n_batches
    assert etas[0] == lr
    if total > 1:
        assert abs(etas[-1] - lr_final) <= 1e-12 * max(lr, lr_final)
    for t, eta in enumerate(etas):  # linear in the number of batches done
        assert abs(eta - (lr + (lr_final - lr) * t / max(1, total - 1))) <= 1e-12 * max(lr, 1)


class NoStep:
    """An engine that takes no gradient step and records the η it is given: what is left of
    training is weight decay alone."""

    made = []

    def __init__(self, net, name=None, exact=None):
        self.inner = engines.make_engine.__wrapped__(net, "plain")
        self.etas = []
        NoStep.made.append(self)

    def train(self, batches, eta, cost, on_batch=None):
        for batch in batches:
            self.etas.append(eta)
            if on_batch is not None:
                on_batch(len(batch), 0.0, 0)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def no_step(monkeypatch):
    real = engines.make_engine
    fake = NoStep
    fake.made = []
    monkeypatch.setattr(engines, "make_engine", fake)
    monkeypatch.setattr(engines.make_engine, "__wrapped__", real, raising=False)
    return fake


@pytest.mark.parametrize("limit, batch_size", [(30, 10), (250, 1)])
def test_training_uses_the_schedule_and_decays_each_weight_by_the_closed_form(
    tmp_path, mnist_dir, no_step, limit, batch_size
):
    # 250 batches of 1: decay after batches 100, 200 and 250 (DECAY_EVERY = 100)
    epochs, lr, lr_final, l2 = 3, 0.6, 0.1, 5.0
    net = small_run(
        tmp_path, mnist_dir, "d.json", limit=limit, batch_size=batch_size, epochs=epochs, lr=lr,
        lr_final=lr_final, l2=l2, test_limit=10, engine="plain",
    )  # fmt: skip
    n_batches = limit // batch_size
    total = epochs * n_batches
    etas = no_step.made[0].etas
    assert len(etas) == total
    for t, eta in enumerate(etas):
        assert abs(eta - (lr + (lr_final - lr) * t / (total - 1))) < 1e-12
    # every weight: w₀ · Π (1 − ηλ/n)^steps over the decays, η that of the batch decay acts on
    factor = 1.0
    for e in range(epochs):
        done = 0
        for k in range(n_batches):
            if (k + 1) % train.DECAY_EVERY == 0 or k + 1 == n_batches:
                eta = lr + (lr_final - lr) * (e * n_batches + k) / (total - 1)
                factor *= (1.0 - eta * l2 / limit) ** (k + 1 - done)
                done = k + 1
    start = network.new_network([784, 16, 16, 10], seed=1)
    assert factor < 0.9  # (so that decaying once instead of `steps` times shows)
    for w_l, w0_l in zip(net.w, start.w):
        for row, row0 in zip(w_l, w0_l):
            for w, w0 in zip(row, row0):
                assert abs(w - w0 * factor) <= 1e-12 * abs(w0)
    assert net.b == start.b


# --- watchers ----------------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.calls = []

    def on_batch(self, info):
        self.calls.append(("batch", dict(info)))

    def on_epoch(self, info):
        self.calls.append(("epoch", dict(info, history=list(info["history"]))))

    def on_end(self, info):
        self.calls.append(("end", dict(info)))


INFO_KEYS = {
    "engine", "epoch", "epochs", "batch", "n_batches", "eta", "batch_cost", "batch_size", "seen",
    "n", "elapsed", "examples_per_second", "seconds_left", "history", "test_images",
    "test_labels", "settings", "cost",
}  # fmt: skip


def test_watchers_hear_of_every_batch_every_epoch_and_the_end(tmp_path, mnist_dir):
    w, only_end = Recorder(), type("OnlyEnd", (), {"on_end": lambda self, info: ended.append(1)})()
    ended = []
    small_run(tmp_path, mnist_dir, "w.json", limit=25, batch_size=10, epochs=2, test_limit=30,
              watchers=[w, only_end])  # fmt: skip
    kinds = [kind for kind, _ in w.calls]
    assert kinds == ["batch"] * 3 + ["epoch"] + ["batch"] * 3 + ["epoch", "end"] and ended == [1]
    batches = [info for kind, info in w.calls if kind == "batch"]
    for info in batches:
        assert set(info) >= INFO_KEYS
        assert info["epochs"] == 2 and info["n_batches"] == 3 and info["n"] == 25
        assert info["batch_size"] == 10 and info["cost"] == "cross-entropy"
        assert len(info["test_images"]) == 30 and len(info["test_labels"]) == 30
        assert info["batch_cost"] > 0 and info["eta"] == 0.5
    assert [(i["epoch"], i["batch"], i["seen"]) for i in batches] == [
        (0, 0, 10), (0, 1, 20), (0, 2, 25), (1, 0, 10), (1, 1, 20), (1, 2, 25),
    ]  # fmt: skip
    assert [c[1]["history"][-1]["epoch"] for c in w.calls if c[0] == "epoch"] == [1, 2]
    end = w.calls[-1][1]
    assert end["finished"] is True and len(end["history"]) == 2
    net = end["engine"].network()
    assert net.w == weights.load(tmp_path / "w.json").w


def test_watchers_hear_of_the_end_when_interrupted(tmp_path, mnist_dir):
    class Stop(Recorder):
        def on_batch(self, info):
            super().on_batch(info)
            raise Interrupted()

    w = Stop()
    with pytest.raises(Interrupted):
        small_run(tmp_path, mnist_dir, "w.json", limit=25, batch_size=10, watchers=[w])
    assert [kind for kind, _ in w.calls] == ["batch", "end"]
    assert w.calls[-1][1]["finished"] is False


def test_a_do_nothing_watcher_sees_the_same_training(tmp_path, mnist_dir):
    class Nothing:
        def on_batch(self, info):
            pass

    kw = dict(limit=200, epochs=1, test_limit=50)
    a = small_run(tmp_path, mnist_dir, "a.json", **kw)
    b = small_run(tmp_path, mnist_dir, "b.json", watchers=[Nothing()], **kw)
    assert a.w == b.w and a.b == b.b


# --- under a debugger --------------------------------------------------------------------------


def test_under_a_trace_function_training_steps_through_network_py(tmp_path, mnist_dir, capsys):
    old = sys.gettrace()
    sys.settrace(lambda frame, event, arg: None)
    try:
        small_run(tmp_path, mnist_dir, "p.json", limit=20, epochs=1, test_limit=10, quiet=False)
        small_run(tmp_path, mnist_dir, "l.json", limit=20, epochs=1, test_limit=10, quiet=False,
                  engine="lanes")  # fmt: skip
    finally:
        sys.settrace(old)
    out = capsys.readouterr().out
    assert "training with engine plain" in out
    assert f"for the fast one give --engine {engines.default_engine()}" in out
    assert "engine lanes as asked; stepping into it shows packed integers" in out
    assert weights.load_with_info(tmp_path / "p.json")[1]["training"]["engine"] == "plain"
    assert weights.load_with_info(tmp_path / "l.json")[1]["training"]["engine"] == "lanes"
    small_run(tmp_path, mnist_dir, "n.json", limit=20, epochs=1, test_limit=10, quiet=False)
    assert "engine plain" not in capsys.readouterr().out  # no debugger, the fast engine


def test_python_m_pdb_trains_with_the_plain_engine(tmp_path, mnist_dir):
    env = train_env()
    args = ["--data", str(mnist_dir), "--limit", "20", "--epochs", "1", "--test-limit", "10"]
    args += ["--out", str(tmp_path / "w")]
    command = [sys.executable, "-m", "pdb", "-m", "tinynet.train"] + args
    if sys.version_info[:3] == (3, 13, 0):  # whose pdb takes the program's options as its own
        run = f"from tinynet import train; train.main({args!r})"
        command = [sys.executable, "-c", f"import pdb; pdb.run({run!r})"]
    r = subprocess.run(
        command,
        input="c\nq\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "pdb is running: training with engine plain" in r.stdout, r.stdout + r.stderr
    assert "network: 784-16-16-10, cross-entropy cost, engine plain" in r.stdout
    assert "1 epoch of 2 batches" in r.stdout


# --- the 3Blue1Brown preset --------------------------------------------------------------------


def test_preset_3b1b_is_the_videos_network_and_options_override_it(tmp_path, mnist_dir, capsys):
    out = tmp_path / "v.json"
    args = ["--data", str(mnist_dir), "--limit", "30", "--epochs", "1", "--test-limit", "10"]
    assert train.main(args + ["--preset", "3b1b", "--out", str(out)]) == 0
    record = weights.load_with_info(out)[1]["training"]
    eta = train.PRESETS["3b1b"]["lr"]
    assert (record["cost"], record["l2"]) == ("quadratic", 0.0)
    assert record["learning_rate"] == record["learning_rate_final"] == eta
    shown = capsys.readouterr().out
    assert "a⁽⁰⁾ (784) → a⁽¹⁾ (16) → a⁽²⁾ (16) → a⁽³⁾ (10)" in shown
    assert "C = Σⱼ (a⁽³⁾ⱼ − yⱼ)²" in shown and f"η = {eta:g}" in shown
    assert "no weight decay" in shown and "average cost C" in shown
    assert train.main(args + ["--preset", "3b1b", "--lr", "0.2", "--out", str(out)]) == 0
    record = weights.load_with_info(out)[1]["training"]
    assert record["learning_rate"] == 0.2 and record["learning_rate_final"] == eta
    assert record["cost"] == "quadratic"


def test_preset_nielsen_is_his_chapter_one_network(tmp_path, mnist_dir):
    out = tmp_path / "n.json"
    args = ["--data", str(mnist_dir), "--limit", "30", "--epochs", "1", "--test-limit", "10"]
    assert train.main(args + ["--preset", "nielsen", "--out", str(out)]) == 0
    net, info = weights.load_with_info(out)
    record = info["training"]
    assert net.sizes == [784, 30, 10]
    assert (record["cost"], record["l2"], record["batch_size"]) == ("quadratic", 0.0, 10)
    # his η = 3.0 on C = ½Σ(a − y)² is our η = 1.5 on C = Σ(a − y)²: the same step
    assert record["learning_rate"] == record["learning_rate_final"] == 1.5
    assert record["deskew"] is False
    assert train.PRESETS["nielsen"]["epochs"] == 30


def preset_file(tmp_path, mnist_dir, name, limit=30):
    """The weights file (as JSON) of a short run of --preset `name`."""
    out = tmp_path / f"{name}.json"
    args = ["--data", str(mnist_dir), "--limit", str(limit), "--epochs", "1", "--test-limit", "10"]
    assert train.main(args + ["--preset", name, "--out", str(out)]) == 0
    # read as JSON: the wide network's 36 MB are over weights.load's limits (MAX_BYTES, MAX_VALUES)
    return json.loads(out.read_text(encoding="utf-8"))


def test_preset_relu_softmax_is_one_relu_layer_with_softmax_and_cross_entropy(tmp_path, mnist_dir):
    saved = preset_file(tmp_path, mnist_dir, "relu-softmax")
    record = saved["training"]
    assert saved["sizes"] == [784, 64, 10]
    assert (saved["activation"], saved["output"]) == ("relu", "softmax")
    assert (record["cost"], record["l2"], record["batch_size"]) == ("cross-entropy", 5.0, 10)
    assert (record["learning_rate"], record["learning_rate_final"]) == (0.1, 0.01)
    assert saved["input"] == {"deskew": True}
    assert train.PRESETS["relu-softmax"]["epochs"] == 10


def test_preset_wide_is_784_2048_10_relu_sigmoid_quadratic(tmp_path, mnist_dir):
    saved = preset_file(tmp_path, mnist_dir, "wide", limit=20)
    record = saved["training"]
    assert saved["sizes"] == [784, 2048, 10]
    assert (saved["activation"], saved["output"]) == ("relu", "sigmoid")
    assert (record["cost"], record["l2"], record["batch_size"]) == ("quadratic", 0.0, 10)
    eta = train.PRESETS["wide"]["lr"]
    assert record["learning_rate"] == record["learning_rate_final"] == eta == 0.05
    assert record["deskew"] is False
    assert train.PRESETS["wide"]["epochs"] == 5


@pytest.mark.parametrize("name", ["3b1b", "nielsen", "relu-softmax", "wide"])
def test_every_preset_is_a_valid_set_of_settings_stated_in_the_help(name):
    from tinynet.settings import check_settings, parser

    chosen = dict(train.DEFAULTS, **train.PRESETS[name], preset=name)
    check_settings(chosen)  # raises on a bad value, or softmax with quadratic cost
    text = " ".join(parser().format_help().split())
    assert f"{name}: " in text
    if "hidden" in train.PRESETS[name]:  # the help states the network it builds
        assert f"784-{train.PRESETS[name]['hidden']}-10" in text


def test_the_time_in_all_counts_the_data_preparation_too(tmp_path, mnist_dir, monkeypatch, capsys):
    real = train.mnist.deskewed_set

    def slow(*args, **kw):
        time.sleep(1.5)  # twice: 3 s before the first batch
        return real(*args, **kw)

    monkeypatch.setattr(train.mnist, "deskewed_set", slow)
    t = time.time()
    small_run(tmp_path, mnist_dir, "w.json", limit=20, epochs=1, test_limit=10, quiet=False)
    wall = time.time() - t
    said = int(capsys.readouterr().out.rsplit("(", 1)[1].split(" s in all")[0])
    assert said >= 3 and abs(said - wall) <= 1, (said, wall)


def test_debugger_is_debugpy_when_loaded_but_not_a_jupyter_kernel_s_idle_copy(monkeypatch):
    """VS Code's debugpy makes train() pick the plain engine; the debugpy every Jupyter kernel
    loads (ipykernel imports it) does not, while it traces nothing."""
    import types

    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)  # the notebook test loads it
    monkeypatch.setitem(sys.modules, "debugpy", types.ModuleType("debugpy"))
    monkeypatch.setattr(sys, "gettrace", lambda: None)
    assert train.debugger() == "debugpy"
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert train.debugger() is None


# --- numbers that overflow (#18) -------------------------------------------------------------


def test_a_weight_decay_that_would_grow_the_weights_is_refused_in_one_line():
    from tinynet.settings import TrainingError, check_settings

    s = dict(train.DEFAULTS, l2=1e6)
    with pytest.raises(TrainingError) as e:
        check_settings(s)
    message = str(e.value)
    assert message.startswith("--l2 1e+06 is too large: with η = 0.2 on 60000 training images")
    assert "λ must be from 0 to n/η = 300000" in message and "\n" not in message
    check_settings(dict(train.DEFAULTS, l2=300_000.0))  # at the edge: 1 − ηλ/n = 0


@settings(max_examples=200, deadline=None)
@given(
    lr=st.floats(1e-3, 1e4),
    lr_final=st.floats(0, 1e4),
    l2=st.floats(0, 1e6),
    limit=st.one_of(st.none(), st.integers(1, 100_000)),
)
def test_settings_are_accepted_exactly_when_weight_decay_shrinks_the_weights(
    lr, lr_final, l2, limit
):
    from tinynet.settings import TrainingError, check_settings

    s = dict(train.DEFAULTS, lr=lr, lr_final=lr_final, l2=l2, limit=limit)
    n = min(limit or 60_000, 60_000)
    try:
        check_settings(s)
    except TrainingError as e:
        assert str(e).startswith("--l2 ") and max(lr, lr_final) * l2 > n
    else:
        for eta in (lr, lr_final):
            factor = train.decay_factor(s, eta, n, train.DECAY_EVERY)
            assert 0.0 <= factor <= 1.0


@settings(max_examples=10, deadline=None)
@given(l2=st.floats(0, 2_000))
@example(l2=270.0)  # the edge: 1 − ηλ/n = 0, accepted
@example(l2=270.1)
def test_the_decay_check_uses_the_real_number_of_training_images(tmp_path_factory, l2):
    # Kaggle's train.csv: 30 rows, 27 trained on (Kaggle's real one: 37,800, not 60,000)
    from tinynet import mnist

    folder = tmp_path_factory.mktemp("kaggle")
    mnist.write_kaggle_csv(folder / "train.csv", [bytes(784)] * 30, bytes(range(10)) * 3)
    s = dict(train.DEFAULTS, data=str(folder), l2=l2, lr=0.1, lr_final=0.1, deskew=False)
    train.check_settings(s)  # λη ≤ 60,000: passes the check made before the data is read
    try:
        train.load_data(s, quiet=True, say=lambda line: None)
    except train.TrainingError as e:
        assert 0.1 * l2 > 27 and "on 27 training images" in str(e) and "\n" not in str(e)
    else:
        assert 0.1 * l2 <= 27


class Diverging:
    """An engine (plain underneath) that, from its `after`-th batch on, breaks as `how` says:
    "nan" (the weights and the cost become NaN), "overflow" (OverflowError, as the lanes
    engine's 64-bit lanes raise) or "large" (a weight of 1e6, the cost still finite)."""

    how, after = "nan", 4

    def __init__(self, net, name=None, exact=None):
        self.inner = engines.make_engine.__wrapped__(net, "plain")
        self.batches = 0

    def train(self, batches, eta, cost, on_batch=None):
        self.batches += 1
        if self.batches < Diverging.after:
            return self.inner.train(batches, eta, cost, on_batch)
        if Diverging.how == "overflow":
            raise OverflowError("int too big to convert")
        self.inner.net.w[0][0][0] = float("nan") if Diverging.how == "nan" else 1e6
        cost_sum = float("nan") if Diverging.how == "nan" else 1.0
        if on_batch is not None:
            on_batch(len(batches[0]), cost_sum, 0)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize(
    "how, words",
    [
        ("nan", "the cost became nan in batch 2 (η = "),
        ("overflow", "a number overflowed in batch 2 (η = "),
        ("large", "the weights grew too large (weights[0][0] and biases[0][0] are too large"),
    ],
)
def test_a_run_that_diverges_stops_in_one_line_keeping_the_last_good_checkpoint(
    tmp_path, mnist_dir, monkeypatch, how, words
):
    real = engines.make_engine
    monkeypatch.setattr(engines, "make_engine", Diverging)
    monkeypatch.setattr(engines.make_engine, "__wrapped__", real, raising=False)
    monkeypatch.setattr(Diverging, "how", how)
    monkeypatch.setattr(Diverging, "after", 5)  # 3 batches an epoch: in epoch 2
    out = tmp_path / "d.json"
    ckpt = tmp_path / "d.json.checkpoint.json"
    with pytest.raises(train.TrainingError) as e:
        small_run(tmp_path, mnist_dir, "d.json", limit=30, batch_size=10, test_limit=10)
    message = str(e.value)
    assert message.startswith("training diverged in epoch 2: ") and words in message, message
    assert f"the last good checkpoint, {ckpt}, is kept; try a smaller --lr" in message
    assert "\n" not in message
    assert not out.exists()  # no weights written
    kept = json.loads(ckpt.read_text())
    assert (kept["epoch"], kept["batch"]) == (1, 0)
    assert "NaN" not in ckpt.read_text() and "Infinity" not in ckpt.read_text()
    weights.from_dict(kept["network"])  # the kept checkpoint holds weights a file may hold


def test_a_run_diverging_in_its_first_epoch_says_no_checkpoint_was_written(
    tmp_path, mnist_dir, monkeypatch
):
    real = engines.make_engine
    monkeypatch.setattr(engines, "make_engine", Diverging)
    monkeypatch.setattr(engines.make_engine, "__wrapped__", real, raising=False)
    monkeypatch.setattr(Diverging, "after", 2)
    with pytest.raises(train.TrainingError, match="in epoch 1: .* no checkpoint was written"):
        small_run(tmp_path, mnist_dir, "d.json", limit=30, batch_size=10, test_limit=10)
    assert not list(tmp_path.iterdir())  # no weights, no checkpoint, no log line


def test_the_command_line_says_a_refused_decay_in_one_line(tmp_path, mnist_dir):
    r = run_train(["--data", str(mnist_dir), "--no-download", "--l2", "1000000"], tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("error: --l2 1e+06 is too large") and r.stderr.count("\n") == 1
