"""Networks other than the video's (ReLU or tanh hidden layers, a softmax output, any depth):
training them from the command line and from Python, checkpoints, resume."""

import json

import pytest
from training import quiet_run, run_train

from tinynet import network, train, weights
from tinynet.train import Interrupted, TrainingError

TINY = dict(limit=500, test_limit=200, epochs=2, batch_size=10, lr=0.1, lr_final=0.1, l2=0.0)


def tiny_run(tmp_path, mnist_dir, name, **kw):
    return quiet_run(mnist_dir, tmp_path / name, TINY, **kw)


def test_a_relu_softmax_network_trains_and_says_so_in_its_file(tmp_path, mnist_dir):
    net = tiny_run(
        tmp_path, mnist_dir, "r.json", hidden="12,8", activation="relu", output="softmax"
    )
    assert (net.sizes, net.activation, net.output) == ([784, 12, 8, 10], "relu", "softmax")
    d = json.loads((tmp_path / "r.json").read_text())
    assert (d["activation"], d["output"]) == ("relu", "softmax")
    assert (d["training"]["activation"], d["training"]["output"]) == ("relu", "softmax")
    back = weights.load(tmp_path / "r.json")
    assert sum(network.output(back, [0.0] * 784)) == pytest.approx(1.0, abs=1e-12)
    assert d["training"]["test_accuracy"] > 0.5  # 10% is chance; 0.64 measured


def test_the_default_network_trains_as_before(tmp_path, mnist_dir):
    """activation and output at their defaults: the same weights as saying nothing."""
    plain = tiny_run(tmp_path, mnist_dir, "a.json")
    said = tiny_run(tmp_path, mnist_dir, "b.json", activation="sigmoid", output="sigmoid")
    assert plain.w == said.w and plain.b == said.b
    assert (plain.activation, plain.output) == ("sigmoid", "sigmoid")


def test_an_engine_without_the_activation_gives_way_to_plain(
    tmp_path, mnist_dir, monkeypatch, capsys
):
    from types import SimpleNamespace

    from tinynet import engines

    monkeypatch.setitem(engines.MODULES, "lanes", SimpleNamespace())  # sigmoid only
    s = dict(TINY, data=str(mnist_dir), out=str(tmp_path / "t.json"), download=False, epochs=1)
    net = train.train(**s, activation="tanh", engine="lanes")
    assert net.activation == "tanh"
    out = capsys.readouterr().out
    assert "engine lanes has no tanh hidden layers: using engine plain" in out
    assert "784-16-16-10, tanh hidden layers, sigmoid output" in out
    assert json.loads((tmp_path / "t.json").read_text())["training"]["engine"] == "plain"


def test_resume_goes_on_with_the_checkpoints_activation(tmp_path, mnist_dir):
    kw = dict(hidden="10", activation="tanh", output="softmax", epochs=2)
    whole = tiny_run(tmp_path, mnist_dir, "one.json", **kw)

    class Stop:
        def on_batch(self, info):
            if (info["epoch"], info["batch"]) == (1, 5):
                raise Interrupted()

    with pytest.raises(Interrupted):
        tiny_run(tmp_path, mnist_dir, "two.json", watchers=[Stop()], **kw)
    ckpt = tmp_path / "two.json.checkpoint.json"
    assert json.loads(ckpt.read_text())["settings"]["activation"] == "tanh"
    resumed = train.train(resume=str(ckpt), quiet=True, data=str(mnist_dir), download=False)
    assert (resumed.activation, resumed.output) == ("tanh", "softmax")
    assert resumed.w == whole.w and resumed.b == whole.b

    d = json.loads(ckpt.read_text())
    d["network"]["activation"] = "relu"  # the weights of another network than the settings'
    ckpt.write_text(json.dumps(d))
    with pytest.raises(weights.WeightsError, match="network.activation"):
        train.train(resume=str(ckpt), quiet=True, data=str(mnist_dir), download=False)


def test_softmax_with_the_quadratic_cost_is_one_line(tmp_path):
    with pytest.raises(TrainingError, match="softmax"):
        train.train(output="softmax", cost="quadratic", out=str(tmp_path / "x.json"))
    r = run_train(["--output", "softmax", "--cost", "quadratic"], tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cross-entropy" in r.stderr
    r = run_train(["--activation", "elu"], tmp_path)
    assert r.returncode == 2 and "--activation" in r.stderr
    r = run_train(["--help"], tmp_path)
    assert "N(0, 2/fan_in)" in r.stdout.replace("\n", " ").replace("  ", " ")
