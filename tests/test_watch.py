"""--watch and the watcher hook: the printed gradient is backprop's, on every engine."""

import io
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet import engines, network, watch, weights

ROOT = Path(__file__).resolve().parent.parent
SIZES = [784, 16, 16, 10]
LINE = re.compile(
    r"^epoch (\d+) batch (\d+)/(\d+): (\S+) = (\S+)  Σₓ ∂Cₓ/∂[wb] = (\S+)  step (\S+)"
    r"(?: \(then weight decay ×(\S+)\))?$"
)


def random_batch(seed, m):
    rng = random.Random(seed)
    images = [
        bytes(rng.randrange(1, 256) if rng.random() < 0.2 else 0 for _ in range(784))
        for _ in range(m)
    ]
    return images, [rng.randrange(10) for _ in range(m)]


def backprop_sums(net, images, labels, cost):
    """Σₓ ∂Cₓ/∂w and Σₓ ∂Cₓ/∂b over the batch, from network.backprop."""
    sum_w = [[[0.0] * len(row) for row in w_l] for w_l in net.w]
    sum_b = [[0.0] * len(b_l) for b_l in net.b]
    for image, digit in zip(images, labels):
        dC_db, dC_dw, *_ = network.backprop(
            net, [p / 255 for p in image], network.one_hot(digit), cost
        )
        for l in range(len(net.w)):
            for i in range(len(net.b[l])):
                sum_b[l][i] += dC_db[l][i]
                for j in range(len(net.w[l][i])):
                    sum_w[l][i][j] += dC_dw[l][i][j]
    return sum_w, sum_b


@pytest.mark.parametrize("engine", engines.ENGINES)
@pytest.mark.parametrize("decay", [1.0, 0.99])
def test_the_printed_gradient_and_step_are_backprops(engine, decay):
    net = network.new_network(SIZES, seed=7)
    images, labels = random_batch(3, 5)
    eta, cost = 0.5, "quadratic"
    sum_w, sum_b = backprop_sums(net, images, labels, cost)
    # pixels that are ink in some image, so that the first layer's gradient is not 0
    j = next(j for j in range(784) if images[0][j])
    names = [f"w[0][3][{j:d}]", "w[1][2][5]", "w[2][9][15]", "b[0][1]", "b[2][4]"]
    want = [sum_w[0][3][j], sum_w[1][2][5], sum_w[2][9][15], sum_b[0][1], sum_b[2][4]]
    e = engines.make_engine(net, engine)
    out = io.StringIO()
    w = watch.Watch(names, SIZES, stream=out)
    w.start(e)
    before = w.values(e)
    e.train([[engines.sparse(im) + (d,) for im, d in zip(images, labels)]], eta, cost)
    e.scale(decay)
    w.on_batch(
        {"engine": e, "eta": eta, "m": 5, "decay": decay, "epoch": 0, "batch": 0, "n_batches": 1}
    )
    lines = out.getvalue().splitlines()
    assert len(lines) == len(names)
    after = e.network()
    for line, name, g, b in zip(lines, names, want, before):
        m = LINE.match(line)
        assert m, line
        assert m.group(4) == name
        l, i, j_ = watch.parse(name, SIZES)
        value = after.b[l][i] if j_ is None else after.w[l][i][j_]
        assert abs(float(m.group(5)) - value) < 1e-9
        assert abs(float(m.group(6)) - g) <= 1e-6 * max(1.0, abs(g)), (engine, name)
        assert abs(float(m.group(7)) - (value - b)) <= 1e-3 * abs(value - b) + 1e-12
        assert (m.group(8) is not None) == (decay != 1.0 and j_ is not None)


@settings(max_examples=30, deadline=None)
@given(
    engine=st.sampled_from(engines.ENGINES),
    l=st.integers(0, 2),
    i=st.integers(0, 15),
    j=st.integers(0, 783),
    seed=st.integers(0, 1000),
)
def test_weight_and_bias_read_one_parameter_of_network(engine, l, i, j, seed):
    sizes = SIZES
    i, j = i % sizes[l + 1], j % sizes[l]
    e = engines.make_engine(network.new_network(sizes, seed=seed), engine)
    images, labels = random_batch(seed, 3)
    e.train([[engines.sparse(im) + (d,) for im, d in zip(images, labels)]], 0.5, "cross-entropy")
    net = e.network()
    assert e.weight(l, i, j) == net.w[l][i][j]
    assert e.bias(l, i) == net.b[l][i]


@pytest.mark.parametrize(
    "name",
    ["w[3][0][0]", "w[0][16][0]", "w[0][0][784]", "b[0][16]", "w[0][0]", "b[0][0][0]", "x", ""],
)
def test_a_bad_name_is_one_error_listing_the_valid_ones(name):
    with pytest.raises(ValueError) as e:
        watch.parse(name, SIZES)
    message = str(e.value)
    assert "w[l][i][j]" in message and "b[l][i]" in message and "l in 0..2" in message
    assert "[784, 16, 16, 10]" in message and "\n" not in message


@pytest.mark.parametrize("name", ["w[0][15][783]", "w[2][9][15]", "b[1][15]", " w [1][0][0] "])
def test_the_valid_names_parse(name):
    l, i, j = watch.parse(name, SIZES)
    assert 0 <= l <= 2 and i < SIZES[l + 1] and (j is None or j < SIZES[l])


def test_a_bad_watch_on_the_command_line_is_one_line(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(
        [sys.executable, "-m", "tinynet.train", "--watch", "w[0][16][0]", "--no-download"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: --watch 'w[0][16][0]'") and len(r.stderr.splitlines()) == 1


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_watch_prints_a_line_per_batch_and_parameter(tmp_path, mnist_dir, engine):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(
        [sys.executable, "-m", "tinynet.train", "--data", str(mnist_dir), "--limit", "25"]
        + ["--batch-size", "10", "--epochs", "2", "--test-limit", "10", "--engine", engine]
        + ["--watch", "w[0][0][300]", "--watch", "b[2][7]", "--out", str(tmp_path / "w.json")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    lines = [m for m in map(LINE.match, r.stdout.splitlines()) if m]
    assert len(lines) == 2 * 3 * 2  # epochs × batches × parameters
    assert [m.group(4) for m in lines[:2]] == ["w[0][0][300]", "b[2][7]"]
    assert [(m.group(1), m.group(2), m.group(3)) for m in lines[::2]] == [
        (e, b, "3") for e in "12" for b in "123"
    ]
    decays = [m for m in lines if m.group(8)]  # weight decay acts after each epoch's last batch
    assert [(m.group(1), m.group(2), m.group(4)) for m in decays] == [
        ("1", "3", "w[0][0][300]"),
        ("2", "3", "w[0][0][300]"),
    ]
    final = weights.load(tmp_path / "w.json")
    assert abs(float(lines[-1].group(5)) - final.b[2][7]) < 1e-9
    assert abs(float(lines[-2].group(5)) - final.w[0][0][300]) < 1e-9


# --- --live: the page is a watcher; train waits for Ctrl-C after training ----------------------


class FakeView:
    url = "http://127.0.0.1:12345/"

    def __init__(self):
        self.batches, self.epochs, self.ends, self.closed = 0, 0, 0, False

    def on_batch(self, info):
        self.batches += 1

    def on_epoch(self, info):
        self.epochs += 1

    def on_end(self, info):
        self.ends += 1

    def close(self):
        self.closed = True


def test_live_adds_the_page_as_a_watcher_and_waits_for_ctrl_c(
    tmp_path, mnist_dir, monkeypatch, capsys
):
    import tinynet
    from tinynet import train

    view, started = FakeView(), []
    fake = type(sys)("tinynet.live")
    fake.start = lambda port, host: started.append((port, host)) or view
    monkeypatch.setitem(sys.modules, "tinynet.live", fake)
    monkeypatch.setattr(tinynet, "live", fake, raising=False)

    def ctrl_c(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(train.time, "sleep", ctrl_c)
    args = ["--data", str(mnist_dir), "--limit", "20", "--epochs", "1", "--test-limit", "10"]
    code = train.main(args + ["--live", "--port", "8123", "--out", str(tmp_path / "w.json")])
    out = capsys.readouterr().out
    assert code == 0 and started == [(8123, "127.0.0.1")]
    assert out.splitlines()[0] == "live view: http://127.0.0.1:12345/"
    assert "the live view stays open until Ctrl-C" in out.splitlines()[-1]
    assert (view.batches, view.epochs, view.ends, view.closed) == (2, 1, 1, True)


def test_live_without_the_page_module_is_one_line(monkeypatch, capsys):
    import tinynet
    from tinynet import train

    monkeypatch.setitem(sys.modules, "tinynet.live", None)  # import fails
    monkeypatch.delattr(tinynet, "live", raising=False)
    assert train.main(["--live", "--no-download"]) == 2
    assert capsys.readouterr().err == "error: the live view is not available\n"
