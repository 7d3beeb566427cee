import json

import pytest

from tinynet import network, weights
from tinynet.support import files
from tinynet.weights import WeightsError


def saved(tmp_path, net=None, **changes):
    net = net or network.new_network([4, 3, 2], seed=1)
    d = weights.to_dict(net, "quadratic", {"seed": 1})
    d.update(changes)
    path = tmp_path / "w.json"
    path.write_text(json.dumps(d))
    return path


def test_save_then_load_gives_the_same_network(tmp_path):
    net = network.new_network([5, 4, 3], seed=2)
    weights.save(net, tmp_path / "n.json", "cross-entropy", {"seed": 2})
    back, info = weights.load_with_info(tmp_path / "n.json")
    assert back.sizes == net.sizes and back.w == net.w and back.b == net.b
    assert info["cost"] == "cross-entropy" and info["training"] == {"seed": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["n.json"]  # no temporary file left behind


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"format": "other"}, "not a tinynet weights file"),
        ({"version": 2}, "unsupported version"),
        ({"activation": "relu"}, "unsupported activation"),
        ({"sizes": [4, 3]}, "weights"),
        ({"sizes": [4, 0, 2]}, "sizes"),
        ({"weights": [[[0.0] * 4] * 3, [[0.0] * 3]]}, "rows"),
        ({"weights": [[[0.0] * 4] * 2 + [[0.0] * 5], [[0.0] * 3] * 2]}, "must have 4 numbers"),
        ({"biases": [[0.0] * 3, [0.0]]}, "biases[1]"),
        ({"biases": [[0.0, "x", 0.0], [0.0, 0.0]]}, "not a finite number"),
        ({"weights": [[[0.0, 0.0, 0.0, True]] * 3, [[0.0] * 3] * 2]}, "not a finite number"),
    ],
)
def test_a_broken_weights_file_gets_a_clear_error(tmp_path, changes, words):
    path = saved(tmp_path, **changes)
    with pytest.raises(WeightsError) as e:
        weights.load(path)
    assert words in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty"),
        (b'{"format": "tinynet", "weights": [', "not valid JSON"),
        (b"\xff\xfe garbage", "not valid JSON"),
        (b"[1, 2]", "not a tinynet weights file"),
        (
            b'{"format": "tinynet", "version": 1, "sizes": [1, 1], "weights": [[[NaN]]], '
            b'"biases": [[0]]}',
            "not valid JSON",
        ),
    ],
)
def test_damaged_files_are_refused(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(WeightsError, match=words):
        weights.load(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(WeightsError, match="no such file"):
        weights.load(tmp_path / "nope.json")
    with pytest.raises(WeightsError, match="is a directory"):
        weights.load(tmp_path)


def test_an_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "w.json"
    weights.save(network.new_network([2, 2], seed=1), path)
    before = path.read_bytes()

    def explode(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", explode)  # interrupted after writing, before the rename
    with pytest.raises(KeyboardInterrupt):
        weights.save(network.new_network([2, 2], seed=2), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.json"]


def test_the_pretrained_file_validates_and_records_how_it_was_made():
    net, info = weights.load_with_info()
    assert net.sizes == [784, 16, 16, 10]
    record = info["training"]
    assert record["command"].startswith("python -m tinynet.train")
    for key in (
        "seed",
        "epochs",
        "learning_rate",
        "batch_size",
        "data_sha256",
        "test_accuracy",
        "training_accuracy",
        "seconds",
        "python",
    ):
        assert key in record


def test_the_pretrained_weights_score_at_least_95_5_percent(mnist_dir):
    from tinynet import engines as fast
    from tinynet import mnist
    from tinynet.train import evaluate

    images, labels = mnist.load("test", mnist_dir, download=False)
    correct, _ = evaluate(fast.make_engine(weights.load()), images, labels)
    assert correct >= 9550, correct


def test_only_networks_that_read_digits_are_loaded_as_digit_readers(tmp_path):
    weights.save(network.new_network([784, 5, 3], seed=1), tmp_path / "three.json")
    with pytest.raises(WeightsError, match="do not read 28×28 digits"):
        weights.load_digit_reader(tmp_path / "three.json")
    weights.save(network.new_network([784, 5, 10], seed=1), tmp_path / "ten.json")
    assert weights.load_digit_reader(tmp_path / "ten.json")[0].sizes == [784, 5, 10]


def test_a_missing_pretrained_file_says_how_to_make_one(monkeypatch, tmp_path):
    monkeypatch.setattr(weights, "PRETRAINED", tmp_path / "pretrained.json")
    with pytest.raises(WeightsError, match="no such file .give --weights FILE"):
        weights.load()
