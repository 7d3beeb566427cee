"""Networks other than the video's (ReLU or tanh hidden layers, a softmax output, any depth):
training them from the command line and from Python, checkpoints, resume."""

import json
import os
import re
import subprocess
import sys

import pytest
from training import ROOT, StopAt, quiet_run, resume_run, run_train

from tinynet import (
    engines,
    evaluate,
    explain,
    gradcheck,
    mnist,
    network,
    predict,
    reading,
    train,
    visualize,
    weights,
)
from tinynet.images import png
from tinynet.reading import read_digit
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

    with pytest.raises(Interrupted):
        tiny_run(tmp_path, mnist_dir, "two.json", watchers=[StopAt(1, 5)], **kw)
    ckpt = tmp_path / "two.json.checkpoint.json"
    assert json.loads(ckpt.read_text())["settings"]["activation"] == "tanh"
    resumed = resume_run(mnist_dir, ckpt)
    assert (resumed.activation, resumed.output) == ("tanh", "softmax")
    assert resumed.w == whole.w and resumed.b == whole.b

    d = json.loads(ckpt.read_text())
    d["network"]["activation"] = "relu"  # the weights of another network than the settings'
    ckpt.write_text(json.dumps(d))
    with pytest.raises(weights.WeightsError, match="network.activation"):
        resume_run(mnist_dir, ckpt)
    d["settings"]["activation"] = "elu"
    ckpt.write_text(json.dumps(d))
    with pytest.raises(weights.WeightsError, match="settings.activation must be one of") as e:
        resume_run(mnist_dir, ckpt)
    assert "\n" not in str(e.value)
    d["settings"].update(activation="tanh", cost="quadratic")  # with softmax: refused
    ckpt.write_text(json.dumps(d))
    with pytest.raises(weights.WeightsError, match="softmax"):
        resume_run(mnist_dir, ckpt)


def test_softmax_with_the_quadratic_cost_is_one_line(tmp_path):
    with pytest.raises(TrainingError, match="softmax"):
        train.train(output="softmax", cost="quadratic", out=str(tmp_path / "x.json"))
    r = run_train(["--output", "softmax", "--cost", "quadratic"], tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cross-entropy" in r.stderr
    r = run_train(["--activation", "elu"], tmp_path)
    assert r.returncode == 2 and "--activation" in r.stderr
    r = run_train(["--help"], tmp_path)
    assert "N(0, 2/fan_in)" in r.stdout.replace("\n", " ").replace("  ", " ")


# --- every command with these networks, of any depth ----------------------------------------

SEVEN = ROOT / "examples" / "seven-ink-on-paper.png"
KINDS = {  # name: (sizes, activation, output, cost)
    "relu-softmax": ([784, 12, 8, 6, 10], "relu", "softmax", "cross-entropy"),
    "tanh": ([784, 20, 10], "tanh", "sigmoid", "quadratic"),
    "relu-wide": ([784, 40, 10], "relu", "sigmoid", "quadratic"),
}


@pytest.fixture(scope="module", params=sorted(KINDS))
def other(request, tmp_path_factory):
    """(path, network) of a small random network of each kind, saved as a weights file."""
    sizes, activation, output, cost = KINDS[request.param]
    net = network.new_network(sizes, seed=5, activation=activation, output=output)
    path = tmp_path_factory.mktemp("other") / f"{request.param}.json"
    weights.save(net, path, cost)
    return path, net


def test_predict_reads_with_any_network(other, capsys):
    path, net = other
    assert predict.main(["--weights", str(path), "--json", str(SEVEN)]) == 0
    answer = json.loads(capsys.readouterr().out)
    a_L = network.output(net, read_digit(SEVEN, deskew=False))
    assert answer["digit"] == network.argmax(a_L)
    assert sum(answer["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    if net.output == "softmax":  # already probabilities: shown as they are
        assert answer["probabilities"] == pytest.approx(a_L, abs=1e-4)


def test_evaluate_counts_what_network_py_says(other, mnist_dir, capsys):
    path, net = other
    assert evaluate.main(["--weights", str(path), "--data", str(mnist_dir), "--limit", "60"]) == 0
    out = capsys.readouterr().out
    images, labels = mnist.load("test", mnist_dir, download=False)
    right = sum(
        network.classify(net, [engines.PIXEL[p] for p in image]) == label
        for image, label in zip(images[:60], labels[:60])
    )
    assert f"({right:d} of 60 test images)" in out


def test_explain_shows_the_networks_own_f_and_cost(other, capsys):
    path, net = other
    assert explain.main(["--weights", str(path), "--label", "7", str(SEVEN)]) == 0
    out = capsys.readouterr().out
    x = read_digit(SEVEN, deskew=False)
    z, a = network.feedforward(net, x)
    cost = weights.load_with_info(path)[1]["cost"]
    C = network.cost(a[-1], network.one_hot(7), z[-1], cost, net.output)
    assert f"= {C:.6f}" in out
    prime = {"relu": "ReLU'(zⱼ)", "tanh": "tanh'(zⱼ)"}[net.activation]
    assert f"(BP2) δⱼ = {prime}" in out and "σ'(zⱼ)" not in out
    assert ("C = −Σₖ yₖ ln aₖ" in out) == (net.output == "softmax")
    if net.output == "softmax":
        assert explain.main(["--weights", str(path), "--cost", "quadratic", str(SEVEN)]) == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_gradcheck_passes_on_any_network(other, capsys):
    path, net = other
    cost = weights.load_with_info(path)[1]["cost"]
    assert gradcheck.main(["--weights", str(path), "--example", "--cost", cost]) == 0
    out = capsys.readouterr().out
    assert f"{net.activation} hidden layers, {net.output} output" in out and "PASS" in out


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gradcheck_builds_any_random_network(activation, capsys):
    args = ["--example", "--hidden", "9,7,5", "--activation", activation, "--output", "softmax"]
    assert gradcheck.main(args) == 0
    assert "[784, 9, 7, 5, 10]" in capsys.readouterr().out
    assert gradcheck.main(["--output", "softmax", "--cost", "quadratic"]) == 2
    assert "cross-entropy" in capsys.readouterr().err


def test_visualize_draws_any_network(other, tmp_path, capsys):
    path, net = other
    out = tmp_path / "w.png"
    assert visualize.main(["weights", "--weights", str(path), "--out", str(out)]) == 0
    assert png.decode(out.read_bytes()) == png.decode(visualize.weights_image(net).png())


def test_watch_follows_a_relu_network(tmp_path, mnist_dir, capsys):
    s = dict(TINY, data=str(mnist_dir), out=str(tmp_path / "w.json"), download=False, epochs=1)
    net = train.train(**s, hidden="7,5", activation="relu", output="softmax",
                      watch_names=["w[1][2][3]", "b[2][4]"])  # fmt: skip
    lines = [line for line in capsys.readouterr().out.splitlines() if "b[2][4] = " in line]
    assert len(lines) == 50  # one a batch: 500 examples in batches of 10
    assert lines[-1].split(" = ")[1].split()[0] == f"{net.b[2][4]:+.9f}"


def test_step_through_takes_a_relu_softmax_network(tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "step_through.py"), "--activation", "relu",
         "--output", "softmax"],
        capture_output=True, text=True, encoding="utf-8", cwd=str(tmp_path),
        env={k: v for k, v in os.environ.items() if k != "TINYNET_DATA"}, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "a = ReLU(z)" in r.stdout and "a[3] = softmax(z[2])" in r.stdout
    assert "δ = ReLU'(z[" in r.stdout and "C = −Σₖ yₖ ln aₖ" in r.stdout
    assert "lower" in r.stdout.split("STAGE 8")[1]
    # the video's notation for a softmax output: a · ∂C/∂z, no σ′, and both orders agree
    video = next(line for line in r.stdout.splitlines() if "video:  ∂C/∂w" in line)
    code = next(line for line in r.stdout.splitlines() if "code:   dC_dw" in line)
    assert "σ′" not in video and "δ = a − y" in code
    product = re.compile(r"[-+]\d\.\d+e[-+]\d+")
    assert product.findall(video)[-1] == product.findall(code)[-1]


def test_the_videos_notation_names_f_and_softmax():
    s = dict(train.DEFAULTS, cost="cross-entropy", activation="relu", output="softmax")
    text = train._video_notation(s, [784, 100, 10], 10)
    assert "a⁽ˡ⁾ = ReLU(w⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾), a⁽²⁾ = softmax(w⁽²⁾ a⁽¹⁾ + b⁽²⁾)" in text
    assert "C = −Σⱼ yⱼ ln a⁽²⁾ⱼ" in text
    s.update(activation="sigmoid", output="sigmoid")
    assert "a⁽ˡ⁾ = σ(w⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾); cost" in train._video_notation(s, [784, 16, 10], 10)


# --- the second shipped network, and sigmoid vs ReLU -----------------------------------------

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def test_the_shipped_relu_softmax_network_reads_every_example(capsys):
    """pretrained/'s second network: `predict --weights` reads all 14 examples right."""
    net, info = weights.load_with_info(weights.PRETRAINED_RELU)
    assert net.sizes == [784, 64, 10] and (net.activation, net.output) == ("relu", "softmax")
    assert (
        info["cost"] == "cross-entropy" and "--preset relu-softmax" in info["training"]["command"]
    )
    assert weights.PRETRAINED_RELU.stat().st_size < 1.5e6
    files = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".png", ".pgm"))
    assert len(files) == 14
    assert (
        predict.main(
            ["--weights", str(weights.PRETRAINED_RELU), "--json"] + [str(p) for p in files]
        )
        == 0
    )
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    truth = [DIGIT_WORDS.index(p.name.split("-")[0].split(".")[0]) for p in files]
    assert [a["digit"] for a in answers] == truth


def test_the_shipped_relu_network_has_its_training_log_beside_it():
    net, info = weights.load_with_info(weights.PRETRAINED_RELU)
    log = weights.PRETRAINED_RELU.with_name(weights.PRETRAINED_RELU.name + ".log.jsonl")
    records = visualize.read_log(log)
    assert records == info["training"]["history"]
    assert records[-1]["test_accuracy"] == info["training"]["test_accuracy"] >= 0.985
    assert info["training"]["python"].startswith("CPython")


def test_curves_draws_several_runs_on_one_chart(tmp_path, capsys):
    logs = []
    for name, accuracies in (("sigmoid", [0.2, 0.4]), ("relu", [0.9, 0.93])):
        logs.append(tmp_path / f"{name}.json.log.jsonl")
        logs[-1].write_text(
            "".join(
                json.dumps({"epoch": e + 1, "cost": 1.0 - a, "test_accuracy": a}) + "\n"
                for e, a in enumerate(accuracies)
            ),
            encoding="utf-8",
        )
    out = tmp_path / "both.svg"
    assert visualize.main(["curves"] + [str(p) for p in logs] + ["--out", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    runs = [(visualize.run_name(p), visualize.read_log(p)) for p in logs]
    assert [name for name, _ in runs] == ["sigmoid", "relu"]
    assert svg == visualize.comparison_svg(runs)
    assert svg.count("<polyline") == 4  # each run's cost and test accuracy
    assert "sigmoid vs relu" in svg
    one = tmp_path / "one.svg"
    assert visualize.main(["curves", str(logs[0]), "--out", str(one)]) == 0
    assert one.read_text(encoding="utf-8") == visualize.curves_svg(runs[0][1])


def test_why_relu_compares_both_runs_epoch_by_epoch(tmp_path, mnist_dir, capsys):
    from digits import load_benchmark

    bench = load_benchmark("why_relu")
    out = tmp_path / "why.svg"
    args = ["--data", str(mnist_dir), "--epochs", "2", "--limit", "60", "--test-limit", "20"]
    assert bench.main(args + ["--out", str(out)]) == 0
    shown = capsys.readouterr().out
    layers = {}
    for line in shown.splitlines():
        words = line.split()
        if words and words[0] in ("sigmoid", "relu"):
            layers[words[0]] = [float(w) for w in words[1:]]
    # the vanishing gradient: the first layer's |∂C/∂b| is far smaller behind sigmoids, both
    # than the sigmoid stack's last layer and than ReLU's first (0.53, 0.11 and 1.7e-3 there)
    assert layers["sigmoid"][0] * 100 < layers["sigmoid"][-1]
    assert layers["sigmoid"][0] * 30 < layers["relu"][0]
    assert "ReLU hidden layers" in shown and shown.count("%") == 4  # 2 epochs × 2 runs
    assert "sigmoid hidden layers vs ReLU hidden layers" in out.read_text(encoding="utf-8")


def test_a_softmax_network_has_its_own_unsure_threshold():
    # 0.5 is a strong sigmoid output but a weak softmax one (the ten probabilities share 1)
    outputs = [0.5, 0.3] + [0.025] * 8
    assert not reading.unsure(outputs, output="sigmoid")
    assert reading.unsure(outputs, output="softmax")
    assert reading.unsure_limits("softmax")[0] > reading.unsure_limits("sigmoid")[0]
    assert reading.unsure_limits() == (reading.UNSURE_MIN_OUTPUT, reading.UNSURE_MIN_MARGIN)
