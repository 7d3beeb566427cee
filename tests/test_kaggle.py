"""Kaggle's digit-recognizer CSV: train and evaluate on train.csv (its last tenth held out),
predict --kaggle test.csv writes the submission, and bad CSVs get one line.

The files are made here in exactly Kaggle's layout, from MNIST ($TINYNET_DATA) or from random
pixels: no Kaggle data is needed."""

import json
import random
import subprocess
import sys

import pytest
from digits import run_predict
from hypothesis import given, settings
from hypothesis import strategies as st
from training import StopAt, run_train, train_env

from tinynet import evaluate, mnist, predict, reading, train, weights
from tinynet.images import deskew
from tinynet.settings import Interrupted
from tinynet.weights import WeightsError

HEADER = ",".join(f"pixel{i}" for i in range(784))
image_bytes = st.binary(min_size=784, max_size=784)


def random_images(count, seed=0):
    rng = random.Random(seed)
    return [
        bytes(rng.choice((0, 0, 0, rng.randrange(256))) for _ in range(784)) for _ in range(count)
    ]


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Deskewed images go to this test's own cache folder, not the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def kaggle_dir(tmp_path_factory, mnist_dir):
    """A folder holding train.csv (300 MNIST training images) and test.csv (40 test images)."""
    folder = tmp_path_factory.mktemp("kaggle")
    images, labels = mnist.load("train", mnist_dir, download=False)
    mnist.write_kaggle_csv(folder / "train.csv", images[:300], labels[:300])
    test_images, _ = mnist.load("test", mnist_dir, download=False)
    mnist.write_kaggle_csv(folder / "test.csv", test_images[:40])
    return folder


# --- the layout ------------------------------------------------------------------------------


@settings(max_examples=25)
@given(st.lists(st.tuples(image_bytes, st.integers(0, 9)), max_size=6), st.booleans())
def test_images_written_in_kaggles_layout_read_back_as_the_same_inputs(
    tmp_path_factory, rows, labelled
):
    path = tmp_path_factory.mktemp("csv") / ("train.csv" if labelled else "test.csv")
    images = [image for image, _ in rows]
    labels = bytes(label for _, label in rows) if labelled else None
    mnist.write_kaggle_csv(path, images, labels)
    first = path.read_text().splitlines()[0]
    assert first == ("label," if labelled else "") + HEADER
    got_images, got_labels = mnist.read_kaggle_csv(path)
    assert got_labels == labels
    # the network's inputs x = pixel/255, exactly as for MNIST's images
    assert [[v / 255 for v in image] for image in got_images] == [
        [v / 255 for v in image] for image in images
    ]


@given(st.integers(2, 200_000))
def test_the_held_out_split_is_the_last_tenth_and_never_empty(n):
    k = mnist.validation_count(n)
    assert 1 <= k < n
    assert k == max(1, n // 10)


def test_a_split_is_the_last_tenth_in_the_files_order(tmp_path):
    images = random_images(25)
    labels = bytes(i % 10 for i in range(25))
    mnist.write_kaggle_csv(tmp_path / "train.csv", images, labels)
    train_images, train_labels, val_images, val_labels, record = mnist.load_kaggle_split(
        tmp_path / "train.csv"
    )
    assert train_images == images[:23] and val_images == images[23:]
    assert train_labels == labels[:23] and val_labels == labels[23:]
    assert record["validation_first"] == 24 and record["validation_images"] == 2
    assert record["sha256"] == mnist.csv_sha256(tmp_path / "train.csv")
    assert "images 24-25" in mnist.split_line(record)


def test_which_data_a_folder_holds(tmp_path):
    assert mnist.kaggle_train_file(tmp_path) == (None, None)  # nothing: MNIST, downloaded
    (tmp_path / "train.csv").write_text("label," + HEADER + "\n")
    assert mnist.kaggle_train_file(tmp_path) == (tmp_path / "train.csv", None)
    assert mnist.kaggle_train_file(tmp_path / "train.csv") == (tmp_path / "train.csv", None)
    for name in mnist.FILES["train"]:
        (tmp_path / name).write_bytes(b"")
    kaggle, note = mnist.kaggle_train_file(tmp_path)
    assert kaggle is None and "using MNIST" in note and str(tmp_path / "train.csv") in note


# --- the submission --------------------------------------------------------------------------


def predict_digits(net, images, deskewed):
    """predict's digit for each image fed as MNIST's: x = pixel/255 (deskewed first if asked)."""
    if deskewed:
        images = deskew.deskew_all(images)
    return [reading.predict(net, [v / 255 for v in image])[0] for image in images]


@settings(max_examples=10)
@given(st.lists(image_bytes, min_size=1, max_size=8), st.booleans())
def test_the_submission_answers_each_image_in_order(images, deskewed):
    net, _ = weights.load_digit_reader()
    lines = b"".join(predict.submission_lines(net, images, deskewed, quiet=True))
    rows = lines.decode().splitlines()
    assert rows[0] == "ImageId,Label"
    assert rows[1:] == [
        f"{i:d},{d:d}" for i, d in enumerate(predict_digits(net, images, deskewed), start=1)
    ]


def test_predict_kaggle_writes_the_submission_to_stdout_or_a_file(tmp_path):
    images = random_images(30, seed=3)
    mnist.write_kaggle_csv(tmp_path / "test.csv", images)
    r = run_predict(["--kaggle", "test.csv"], tmp_path)
    assert r.returncode == 0, r.stderr
    net, info = weights.load_digit_reader()
    want = ["ImageId,Label"] + [
        f"{i:d},{d:d}"
        for i, d in enumerate(predict_digits(net, images, weights.weights_input(info)["deskew"]), 1)
    ]
    assert r.stdout.splitlines() == want
    r = run_predict(["--kaggle", "test.csv", "--out", "submission.csv"], tmp_path)
    assert r.returncode == 0 and r.stdout == "", r.stderr
    assert (tmp_path / "submission.csv").read_text().splitlines() == want
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_predict_kaggle_with_a_network_that_reads_digits_as_they_are(tmp_path):
    """--weights: a network trained without deskewing is shown the pixels exactly as given."""
    net, info = weights.load_digit_reader()
    weights.save(net, tmp_path / "plain.json", deskew=False)
    images = random_images(12, seed=4)
    mnist.write_kaggle_csv(tmp_path / "test.csv", images)
    r = run_predict(["--kaggle", "test.csv", "--weights", "plain.json"], tmp_path)
    assert r.returncode == 0, r.stderr
    digits = predict_digits(net, images, deskewed=False)
    assert r.stdout.splitlines()[1:] == [f"{i:d},{d:d}" for i, d in enumerate(digits, 1)]


@pytest.mark.parametrize(
    "args, words",
    [
        ([], "give IMAGE files, or --kaggle CSV"),
        (["--kaggle", "t.csv", "x.png"], "give IMAGE files, or --kaggle CSV"),
        (["--out", "s.csv", "x.png"], "give IMAGE files, or --kaggle CSV"),
        (["--kaggle", "t.csv", "--json"], "--json and --show are for IMAGE files"),
    ],
)
def test_predict_needs_images_or_kaggle(tmp_path, args, words):
    r = run_predict(args, tmp_path)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr


# --- bad CSVs: one line, naming the file and the row -----------------------------------------

ROW = ",".join(["0"] * 784)
BAD_TRAIN = {
    "wrong header": ("id," + HEADER + "\n", "line 1"),
    "wrong column count": ("label," + HEADER + "\n3," + ROW + "\n4," + ROW[2:] + "\n", "line 3"),
    "not an integer": ("label," + HEADER + "\n3," + ROW[:-1] + "x\n", "pixel783 is 'x'"),
    "over 255": ("label," + HEADER + "\n3,256" + ROW[1:] + "\n", "pixel0 is '256'"),
    "empty": ("", "line 1"),
    "label over 9": ("label," + HEADER + "\n10," + ROW + "\n", "label is '10'"),
    "binary": ("label," + HEADER + "\n\x00\x01\x02\n", "binary data"),
    "huge line": ("label," + "0," * 20_000 + "\n", "longer than 16,384 characters"),
    "no labels": (HEADER + "\n" + ROW + "\n" + ROW + "\n", "no label column"),
    "one image": ("label," + HEADER + "\n3," + ROW + "\n", "at least 2"),
}


def one_line_error(r, *words):
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    for word in words:
        assert word in r.stderr, r.stderr


@pytest.mark.parametrize("case", sorted(BAD_TRAIN))
def test_train_and_evaluate_say_what_is_wrong_with_train_csv_in_one_line(tmp_path, case, capsys):
    text, words = BAD_TRAIN[case]
    (tmp_path / "train.csv").write_text(text)
    assert train.main(["--data", str(tmp_path), "--out", str(tmp_path / "w.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    assert str(tmp_path / "train.csv") in err and words in err, err
    assert evaluate.main(["--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "train.csv") in err and words in err, err


@pytest.mark.parametrize(
    "text, words",
    [
        ("label\n", "line 1"),
        (HEADER + "\n" + ROW + "\n" + ROW[:-2] + "\n", "line 3: 783 fields, expected 784"),
        (HEADER + "\n" + ROW[:-1] + "-1\n", "line 2: pixel783 is '-1'"),
        (HEADER + "\n", "no images after the header"),
        ("", "line 1"),
    ],
)
def test_predict_says_what_is_wrong_with_test_csv_in_one_line(tmp_path, text, words):
    (tmp_path / "test.csv").write_text(text)
    r = run_predict(["--kaggle", "test.csv", "--out", "s.csv"], tmp_path)
    one_line_error(r, "test.csv", words)
    assert not (tmp_path / "s.csv").exists()


# --- train -> evaluate, and resume -----------------------------------------------------------


def test_train_then_evaluate_on_the_same_held_out_images(tmp_path, kaggle_dir):
    recipe = ["--epochs", "1", "--lr", "0.5", "--l2", "0", "--hidden", "30", "--out", "k.json"]
    r = run_train(
        ["--data", str(kaggle_dir)] + recipe,
        tmp_path,
        env=train_env(TINYNET_DATA=str(tmp_path)),
    )
    assert r.returncode == 0, r.stderr
    assert "validation: the last 30 of the 300 images of train.csv (images 271-300)" in r.stdout
    assert "data: 270 training and 30 validation images" in r.stdout
    info = json.loads((tmp_path / "k.json").read_text())["training"]
    assert info["kaggle"]["validation_first"] == 271 and info["test_images"] == 30
    assert info["data_sha256"] == {"train.csv": mnist.csv_sha256(kaggle_dir / "train.csv")}
    log = [json.loads(line) for line in (tmp_path / "k.json.log.jsonl").read_text().splitlines()]
    assert log[0]["validation"] == "train.csv images 271-300"
    trained = round(100 * info["test_accuracy"], 2)
    assert trained > 20  # it learnt something from 270 images (chance: 10%)
    for data in (kaggle_dir, kaggle_dir / "train.csv"):
        r = run_module(["tinynet.evaluate", "--data", str(data), "--weights", "k.json"], tmp_path)
        assert r.returncode == 0, r.stderr
        assert f"accuracy: {trained:.2f}% (" in r.stdout and "of 30 validation images" in r.stdout


def run_module(args, cwd):
    """`python -m ARGS` run in cwd with this checkout's tinynet."""
    return subprocess.run(
        [sys.executable, "-m"] + args, capture_output=True, text=True, env=train_env(), cwd=cwd
    )


KAGGLE_TINY = dict(epochs=2, batch_size=10, lr=0.5, test_limit=5, quiet=True, download=False)


def test_resume_on_kaggle_data_gives_the_same_weights_and_refuses_other_data(
    tmp_path, kaggle_dir, mnist_dir
):
    data = str(kaggle_dir)
    whole = train.train(data=data, out=str(tmp_path / "whole.json"), limit=60, **KAGGLE_TINY)
    with pytest.raises(Interrupted):
        train.train(data=data, out=str(tmp_path / "cut.json"), limit=60, watchers=[StopAt(1, 2)],
                    **KAGGLE_TINY)  # fmt: skip
    ck = str(tmp_path / "cut.json.checkpoint.json")
    log = (tmp_path / "cut.json.log.jsonl").read_text()
    assert '"validation": "train.csv images 271-275"' in log  # --test-limit 5
    assert (
        json.loads((tmp_path / "cut.json.checkpoint.json").read_text())["kaggle"]["images"] == 300
    )
    with pytest.raises(WeightsError, match="trained on Kaggle's train.csv .* --data gives MNIST"):
        train.train(resume=ck, data=str(mnist_dir), quiet=True, download=False)
    other = tmp_path / "other"
    other.mkdir()
    images, labels = mnist.read_kaggle_csv(kaggle_dir / "train.csv")
    mnist.write_kaggle_csv(other / "train.csv", images[::-1], labels[::-1])
    with pytest.raises(WeightsError, match="with another content"):
        train.train(resume=ck, data=str(other), quiet=True, download=False)
    resumed = train.train(resume=ck, data=data, quiet=True, download=False)
    assert resumed.w == whole.w and resumed.b == whole.b


def test_the_deskewed_kaggle_images_are_kept_in_the_cache(tmp_path, kaggle_dir, monkeypatch):
    first = train.train(data=str(kaggle_dir), out=str(tmp_path / "a.json"), limit=40, **KAGGLE_TINY)
    assert len(list((tmp_path / "cache").rglob("*"))) >= 2  # the training and held-out images

    def no_deskewing(*args, **kwargs):
        raise AssertionError("deskewed again")

    monkeypatch.setattr(deskew, "deskew_all", no_deskewing)
    again = train.train(data=str(kaggle_dir), out=str(tmp_path / "b.json"), limit=40, **KAGGLE_TINY)
    assert again.w == first.w


def test_evaluate_says_when_the_network_was_not_trained_on_the_held_out_images(
    tmp_path, kaggle_dir, mnist_dir, capsys
):
    train.train(data=str(kaggle_dir), out=str(tmp_path / "k.json"), limit=40, **KAGGLE_TINY)
    capsys.readouterr()
    notes = {}
    for name, argv in {
        "own": ["--data", str(kaggle_dir), "--weights", str(tmp_path / "k.json")],
        "shipped": ["--data", str(kaggle_dir)],
        "on MNIST": ["--data", str(mnist_dir), "--weights", str(tmp_path / "k.json")],
    }.items():
        assert evaluate.main(argv + ["--limit", "5"]) == 0
        notes[name] = [line for line in capsys.readouterr().out.splitlines() if "note:" in line]
    assert notes["own"] == []
    assert "not trained on this train.csv" in notes["shipped"][0]
    assert "may have seen some of these test images" in notes["on MNIST"][0]
