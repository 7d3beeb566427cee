"""Training on real MNIST (skipped without data): learns, is deterministic, resumes exactly."""

import json
import os
import subprocess
import sys

import pytest

from tinynet import train, weights
from tinynet.train import Interrupted

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def small_run(tmp_path, mnist_dir, name, **kw):
    settings = dict(
        data=str(mnist_dir),
        limit=2000,
        test_limit=1000,
        epochs=3,
        lr=0.5,
        lr_final=0.5,
        out=str(tmp_path / name),
        quiet=True,
        download=False,
    )
    settings.update(kw)
    return train.train(**settings)


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

    class Stop:
        def on_batch(self, info):
            if (info["epoch"], info["batch"]) == (1, 10):
                raise Interrupted()

    with pytest.raises(Interrupted):
        small_run(tmp_path, mnist_dir, "three.json", watchers=[Stop()], **kw)
    assert not (tmp_path / "three.json").exists()
    resumed = train.train(
        resume=str(tmp_path / "three.json.checkpoint.json"),
        quiet=True,
        data=str(mnist_dir),
        download=False,
    )
    assert resumed.w == first.w and resumed.b == first.b


def test_command_line_errors_are_one_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "TINYNET_MNIST_MIRRORS": "http://127.0.0.1:9/",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    r = subprocess.run(
        [sys.executable, "-m", "tinynet.train", "--data", str(tmp_path / "none"), "--no-download"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
    )
    assert r.returncode == 2
    assert r.stderr.startswith("error: MNIST not found") and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run(
        [sys.executable, "-m", "tinynet.train", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
    )
    assert r.returncode == 0 and "--resume" in r.stdout and "--batch-size" in r.stdout


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


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

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tinynet.train",
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
        env=env,
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
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "tinynet.train", "--resume", str(bad), "--no-download"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith(f"error: {bad}: ") and len(r.stderr.strip().splitlines()) == 1
