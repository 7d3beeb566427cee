import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet import network, weights
from tinynet.support import files
from tinynet.weights import WeightsError

ROOT = Path(__file__).resolve().parent.parent


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


@pytest.mark.parametrize("activation", list(network.ACTIVATIONS))
@pytest.mark.parametrize("output", network.OUTPUTS)
def test_the_file_says_its_activation_and_output(tmp_path, activation, output):
    net = network.new_network([5, 4, 3, 2], seed=2, activation=activation, output=output)
    weights.save(net, tmp_path / "n.json", "cross-entropy")
    d = json.loads((tmp_path / "n.json").read_text())
    assert (d["activation"], d["output"]) == (activation, output)
    back = weights.load(tmp_path / "n.json")
    assert (back.activation, back.output) == (activation, output)
    assert back.w == net.w and back.b == net.b
    assert network.output(back, [0.5] * 5) == network.output(net, [0.5] * 5)


def test_a_file_without_activation_or_output_is_all_sigmoid(tmp_path):
    d = weights.to_dict(network.new_network([4, 3, 2], seed=1), "quadratic")
    del d["activation"], d["output"]
    (tmp_path / "old.json").write_text(json.dumps(d))
    back = weights.load(tmp_path / "old.json")
    assert (back.activation, back.output) == ("sigmoid", "sigmoid")


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"format": "other"}, "not a tinynet weights file"),
        ({"version": 2}, "unsupported version"),
        ({"activation": "elu"}, "unsupported activation"),
        ({"activation": ["relu"]}, "unsupported activation"),
        ({"output": "relu"}, 'unsupported "output"'),
        ({"output": "softmax"}, "softmax output with the quadratic cost"),
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
        (b"\xff\xfe garbage", "not UTF-8"),
        (b"[1, 2]", "not a tinynet weights file"),
        (
            b'{"format": "tinynet", "version": 1, "sizes": [1, 1], "weights": [[[NaN]]], '
            b'"biases": [[0]]}',
            "holds NaN",
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


def test_the_pretrained_weights_score_at_least_97_5_percent(mnist_dir):
    from tinynet import engines as fast
    from tinynet import mnist
    from tinynet.engines import evaluate
    from tinynet.mnist import deskewed_set

    net, info = weights.load_digit_reader()
    images, labels = mnist.load("test", mnist_dir, download=False)
    if weights.weights_input(info)["deskew"]:  # the file says how its network reads images
        images = deskewed_set("test", images, mnist_dir, quiet=True)
    correct, _ = evaluate(fast.make_engine(net), images, labels)
    assert correct >= 9750, correct  # issue #10: deskewed weights, ≥ 97.5% on the test set


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


# ---------------------------------------------------------------------------------------------
# Hostile files: every one is refused in one line, quickly and without filling memory
# ---------------------------------------------------------------------------------------------


def one_line_error(path, loader=weights.load):
    with pytest.raises(WeightsError) as e:
        loader(path)
    message = str(e.value)
    assert "\n" not in message and str(path) in message and len(message) < 300
    return message


@pytest.mark.parametrize(
    "number, words",
    [
        ("1" * 400, f"holds an integer of 400 digits (at most {weights.MAX_DIGITS:d})"),
        ("-" + "9" * 41, "holds an integer of 41 digits"),
        ("9" * 41, "holds an integer of 41 digits"),
        ("1e400", "holds 1e400, too large for a float"),
        ("-1e400", "holds -1e400, too large for a float"),
        ("1" * 40 + ".0e300", "too large for a float"),
        ("NaN", "holds NaN, which JSON does not allow"),
        ("Infinity", "holds Infinity, which JSON does not allow"),
        ("-Infinity", "holds -Infinity, which JSON does not allow"),
    ],
)
def test_numbers_json_cannot_hold_are_refused_in_one_line(tmp_path, number, words):
    path = saved(tmp_path)
    text = path.read_text().replace('"biases": [[', f'"biases": [[{number}, ', 1)
    path.write_text(text)
    assert words in one_line_error(path, weights.load_dict)


def test_a_long_but_allowed_integer_is_read(tmp_path):
    path = tmp_path / "n.json"
    longest = 10**weights.MAX_DIGITS - 1  # 18 nines
    path.write_text(json.dumps({"n": longest, "m": -longest, "x": 1e300}))
    assert weights.load_dict(path) == {"n": longest, "m": -longest, "x": 1e300}


@pytest.mark.parametrize("depth", [10_000, 99_000])
def test_deep_nesting_is_refused_in_one_line(tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth)
    assert "nested too deeply" in one_line_error(path)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = saved(tmp_path)
    size = path.stat().st_size
    monkeypatch.setattr(weights, "MAX_BYTES", size)
    assert weights.load(path).sizes == [4, 3, 2]  # exactly at the limit: read
    monkeypatch.setattr(weights, "MAX_BYTES", size - 1)
    assert "more than the" in one_line_error(path)


def test_a_sparse_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(3 * 1024**3)  # 3 GB of zeros, taking no disk space
    assert f"{3 * 1024**3:,d} bytes, more than" in one_line_error(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused(tmp_path):
    assert "not a regular file" in one_line_error("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    code = (
        "import sys; from tinynet import weights\n"
        "try:\n    weights.load(sys.argv[1])\n"
        "except weights.WeightsError as e:\n    print(e)\n"
    )
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=30
    )
    assert "not a regular file" in out.stdout, out
    assert time.time() - started < 30


def test_a_checkpoint_given_as_weights_says_how_to_resume_it(tmp_path):
    net = network.new_network([784, 3, 10], seed=1)
    path = tmp_path / "w.json.checkpoint.json"
    weights.write_json_atomic(
        path, {"format": "tinynet-checkpoint", "network": weights.to_dict(net), "epoch": 1}
    )
    message = one_line_error(path, weights.load_digit_reader)
    assert "training checkpoint" in message
    assert f"python -m tinynet.train --resume {path}" in message


@pytest.mark.parametrize("training", ["text", 3, [1, 2], True])
def test_a_training_record_that_is_not_an_object_is_refused(tmp_path, training):
    path = saved(tmp_path, training=training)
    assert '"training" must be an object' in one_line_error(path, weights.load_digit_reader)


@pytest.mark.parametrize("training", [None, {}, {"seed": 1, "history": [{"epoch": 1}]}])
def test_a_missing_or_plain_training_record_is_read(tmp_path, training):
    path = saved(tmp_path, training=training)
    assert weights.load_with_info(path)[1].get("training") == training


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"cost": ["quadratic"]}, "unknown cost"),
        ({"cost": {"a": 1}}, "unknown cost"),
        ({"version": True}, "unsupported version"),
        ({"format": "x" * 1000}, "not a tinynet weights file"),
        ({"sizes": [4, True, 2]}, "sizes"),
    ],
)
def test_odd_types_in_the_header_are_refused_in_one_short_line(tmp_path, changes, words):
    assert words in one_line_error(saved(tmp_path, **changes))


# ---------------------------------------------------------------------------------------------
# Atomic writes: a writer killed outright leaves a temporary file the next write removes
# ---------------------------------------------------------------------------------------------

SLOW_WRITER = """
import sys, time
from tinynet.support.files import write_atomic

def chunks():
    yield b"new " * 1000
    print("writing", flush=True)
    time.sleep(60)
    yield b"never written"

write_atomic(sys.argv[1], chunks())
"""


def temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(files.TMP_SUFFIX))


def test_a_writer_killed_mid_write_leaves_a_temporary_file_the_next_write_removes(tmp_path):
    import signal

    path = tmp_path / "w.json"
    path.write_bytes(b"old")
    writer = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline() == "writing\n"
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    left = temporaries(tmp_path)
    assert len(left) == 1 and left[0].startswith(f".w.json.{writer.pid:d}-"), left
    assert path.read_bytes() == b"old"  # the old file is untouched

    files.write_atomic(path, b"newer")
    assert path.read_bytes() == b"newer"
    assert temporaries(tmp_path) == []


@pytest.mark.parametrize("trial", range(3))
def test_writers_killed_at_any_moment_leave_nothing_after_the_next_write(tmp_path, trial):
    import random
    import signal

    path = tmp_path / "big.bin"
    payload_code = (
        "import sys\nfrom tinynet.support.files import write_atomic\n"
        "print('start', flush=True)\n"
        "write_atomic(sys.argv[1], [b'x' * (1 << 20)] * 200)\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", payload_code, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        writer.stdout.readline()
        time.sleep(random.Random(trial).uniform(0.0, 0.3))
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=60)
        writer.stdout.close()
    files.write_atomic(path, b"after")
    assert path.read_bytes() == b"after"
    assert [p.name for p in tmp_path.iterdir()] == ["big.bin"]


def test_a_live_writers_fresh_temporary_file_is_left_alone(tmp_path):
    path = tmp_path / "w.json"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".w.json.{sleeper.pid:d}-0123abcd{files.TMP_SUFFIX}"
        live.write_bytes(b"being written")
        files.write_atomic(path, b"one")
        assert live.exists()  # a concurrent writer is not harmed
        idle = time.time() - files.STALE_SECONDS - 5
        os.utime(live, (idle, idle))
        files.write_atomic(path, b"two")
        assert not live.exists()  # untouched for too long: left over, removed
    finally:
        sleeper.kill()
        sleeper.wait()


def test_only_our_temporary_files_for_this_path_are_removed(tmp_path):
    dead = 2**22 + 12345  # above Linux's default pid_max of 4,194,304: no such process
    ours = [f".w.json.{dead:d}-00ff{files.TMP_SUFFIX}", f".w.json.{dead:d}.00ff.part"]
    others = [
        f".v.json.{dead:d}-00ff{files.TMP_SUFFIX}",  # another file's
        f".w.json.{dead:d}-00ff.tmp",  # not our suffix
        f"w.json.{dead:d}-00ff{files.TMP_SUFFIX}",  # not hidden
        ".w.json.abc-00ff" + files.TMP_SUFFIX,  # no pid
        "w.json.bak",
    ]
    for name in ours + others:
        (tmp_path / name).write_bytes(b"x")
    files.write_atomic(tmp_path / "w.json", b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(others + ["w.json"])


def test_write_atomic_streams_an_iterable_and_cleans_up_when_it_fails(tmp_path):
    path = tmp_path / "s.bin"
    files.write_atomic(path, (bytes([i]) * 10 for i in range(3)))
    assert path.read_bytes() == b"\0" * 10 + b"\1" * 10 + b"\2" * 10

    def failing():
        yield b"partial"
        raise ValueError("source broke")

    with pytest.raises(ValueError):
        files.write_atomic(path, failing())
    assert path.read_bytes() == b"\0" * 10 + b"\1" * 10 + b"\2" * 10
    assert [p.name for p in tmp_path.iterdir()] == ["s.bin"]


@pytest.mark.skipif(not hasattr(os, "umask"), reason="POSIX permissions")
def test_write_atomic_gives_the_usual_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        files.write_atomic(tmp_path / "p", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "p").stat().st_mode & 0o777 == 0o640


# ---------------------------------------------------------------------------------------------
# support.cli.run: where every command ends
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error, status, line",
    [
        (OSError(5, "Input/output error", "/media/w.json"), 2, "/media/w.json: Input/output error"),
        (PermissionError(13, "Permission denied", "a.png"), 2, "a.png: Permission denied"),
        (OSError(28, "No space left on device"), 2, "No space left on device"),
        (MemoryError(), 1, "out of memory"),
    ],
)
def test_run_ends_an_os_or_memory_error_in_one_line(capsys, error, status, line):
    from tinynet.support.cli import run

    def main():
        raise error

    with pytest.raises(SystemExit) as exit:
        run(main)
    assert exit.value.code == status
    err = capsys.readouterr().err
    assert err.startswith("error: ") and line in err and err.count("\n") == 1, err


def test_run_lets_a_bug_show_its_traceback():
    from tinynet.support.cli import run

    def main():
        return {}["bug"]

    with pytest.raises(KeyError):
        run(main)


def test_a_command_given_a_device_as_weights_says_so_in_one_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "tinynet.predict", "--weights", os.devnull, "x.png"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "not a regular file" in out.stderr and out.stderr.count("\n") == 1, out.stderr


digits = st.text("0123456789", min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        "{}{}{}{}".format,
        st.sampled_from(["", "-"]),
        st.just("0") | st.builds("{}{}".format, st.sampled_from("123456789"), digits | st.just("")),
        st.just("") | st.builds(".{}".format, digits),
        st.just("")
        | st.builds(
            "{}{}{}".format,
            st.sampled_from("eE"),
            st.sampled_from(["", "+", "-"]),
            st.text("0123456789", min_size=1, max_size=4),
        ),
    )
)
def test_numbers_skip_the_checking_hooks_only_when_they_cannot_need_them(text):
    """load_dict decodes without its number hooks when no number could be refused by them."""
    if not weights._suspect(text.encode()):
        assert math.isfinite(float(text))
        if re.fullmatch(r"-?[0-9]+", text):
            assert len(text.lstrip("-")) <= weights.MAX_DIGITS


@pytest.mark.parametrize(
    "item, limit, what",
    [
        (b"0,", "MAX_VALUES", "values"),
        (b"[],", "MAX_CONTAINERS", "lists and objects"),
        (b"{},", "MAX_CONTAINERS", "lists and objects"),
        (b'"s",', "MAX_CONTAINERS", "strings"),
    ],
)
def test_too_many_values_lists_or_strings_are_refused_before_decoding(
    tmp_path, monkeypatch, item, limit, what
):
    monkeypatch.setattr(weights, limit, 1000)
    path = tmp_path / "many.json"
    path.write_bytes(b"[" + item * 1001 + b"0]")
    assert f"more than 1,000 {what}" in one_line_error(path)
    path.write_bytes(b"[" + item * 900 + b"0]")
    assert len(weights.load_dict(path)) == 901  # under the limit: decoded


def test_a_784_300_10_checkpoint_fits_the_limits(tmp_path):
    """LeCun's 784-300-10 network, trained with python -m tinynet.train --hidden 300: its
    checkpoint (weights, and the first layer again as whole numbers) must be readable."""
    net = network.new_network([784, 300, 10], seed=1)
    path = tmp_path / "w.json.checkpoint.json"
    weights.write_json_atomic(
        path,
        {
            "format": "tinynet-checkpoint",
            "network": weights.to_dict(net),
            "exact": [[[round(w * 2**40) for w in row] for row in net.w[0]]],
            "history": [{"epoch": i, "cost": 0.1} for i in range(100)],
        },
    )
    assert path.stat().st_size > 8 * 1024 * 1024
    assert weights.from_dict(weights.load_dict(path)["network"]).sizes == [784, 300, 10]


@pytest.mark.parametrize("limit", ["-5", "0"])
def test_evaluate_refuses_a_limit_below_one(limit, capsys):
    from tinynet import evaluate

    with pytest.raises(SystemExit) as e:
        evaluate.main(["--limit", limit])
    assert e.value.code == 2 and "--limit: must be at least 1" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Strict types, a byte-order mark, and weights too large for a forward pass (#18)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("deskew", [1, 0, "true", None, 1.0])
def test_deskew_must_be_true_or_false(tmp_path, deskew):
    message = one_line_error(saved(tmp_path, input={"deskew": deskew}))
    assert '"input" must be {"deskew": true or false}' in message


@pytest.mark.parametrize("deskew", [True, False])
def test_deskew_true_or_false_is_read(tmp_path, deskew):
    path = saved(tmp_path, input={"deskew": deskew})
    net, info = weights.load_with_info(path)
    assert weights.weights_input(info) == {"deskew": deskew}


def test_a_file_starting_with_a_utf8_byte_order_mark_is_read(tmp_path):
    path = saved(tmp_path)
    plain = weights.load(path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with_bom = weights.load(path)
    assert (with_bom.w, with_bom.b) == (plain.w, plain.b)


def test_a_byte_order_mark_alone_is_an_empty_file(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf\n")
    assert "file is empty" in one_line_error(path)


@pytest.mark.parametrize("value", [1e308, -1e308, 1e200, 40_000.0])
def test_weights_so_large_a_forward_pass_overflows_are_refused_on_load(tmp_path, value):
    net = network.new_network([4, 3, 2], seed=1)
    net.w[1] = [[value, -value, value]] * 2
    message = one_line_error(saved(tmp_path, net))
    assert "weights[1][0] and biases[1][0] are too large" in message
    assert f"over the {weights.MAX_WEIGHTED_INPUT:,d}" in message


@settings(max_examples=60, deadline=None)
@given(
    row=st.lists(st.floats(-1e4, 1e4), min_size=3, max_size=3),
    bias=st.floats(-1e4, 1e4),
)
def test_a_neuron_is_refused_exactly_when_its_weighted_input_can_pass_the_limit(row, bias):
    """Σ|w| + |b| ≤ MAX_WEIGHTED_INPUT is read (and a forward pass stays finite); above, refused."""
    net = network.new_network([3, 2], seed=1)
    net.w[0][1], net.b[0][1] = row, bias
    reach = sum(map(abs, row)) + abs(bias)
    d = weights.to_dict(net)
    if reach <= weights.MAX_WEIGHTED_INPUT:
        back = weights.from_dict(d)
        a = network.feedforward(back, [1.0, 1.0, 1.0])[1][-1]
        assert all(map(math.isfinite, a))
    else:
        with pytest.raises(WeightsError, match=r"weights\[0\]\[1\] and biases\[0\]\[1\]"):
            weights.from_dict(d)


def test_the_shipped_weights_are_far_within_the_weighted_input_limit():
    net = weights.load()
    reach = max(
        math.fsum(map(abs, row)) + abs(b_i)
        for w_l, b_l in zip(net.w, net.b)
        for row, b_i in zip(w_l, b_l)
    )
    assert reach < weights.MAX_WEIGHTED_INPUT / 100


# What the hooks must see: an exponent of 100 or more (what load_dict looked for with a regular
# expression, 0.8 s on 16 MB and 220 MB under PyPy), or an integer (or a float's whole part) of
# over MAX_DIGITS digits: a fraction or an exponent of many digits needs no hook.
LARGE_EXPONENT = re.compile(rb"[0-9][eE]\+?0*[1-9][0-9]{2,}(?![0-9A-Za-z\"])")
LONG_INTEGER = re.compile(rb"(?<![0-9.eE+])[0-9]{19}")


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["0", "1", "9", "e", "E", "+", "-", ".", ",", '"', "a", " ", "9" * 20]),
        max_size=40,
    )
)
def test_the_fast_check_for_numbers_needing_hooks_misses_none(pieces):
    """_suspect finds every text the regular expression found (it may find more: that only
    costs time), and finds none in a text of small numbers."""
    data = "".join(pieces).encode()
    if LARGE_EXPONENT.search(data) or LONG_INTEGER.search(data):
        assert weights._suspect(data)
    if not re.search(rb"[0-9]{19}|[eE]\+?[0-9]{3}", data):
        assert not weights._suspect(data)


def test_hooks_and_the_python_decoder_are_used_only_when_needed(tmp_path, monkeypatch):
    """A plain weights file is decoded by json without hooks (PyPy's fast decoder); a NaN or a
    1e400 in it still gets its one line."""
    seen = []
    real = json.loads
    monkeypatch.setattr(
        json, "loads", lambda text, **kw: seen.append(sorted(kw)) or real(text, **kw)
    )
    weights.load(saved(tmp_path))
    assert seen == [[]]
    path = saved(tmp_path)
    path.write_text(path.read_text().replace('"biases": [[', '"biases": [[1e400, ', 1))
    assert "holds 1e400, too large for a float" in one_line_error(path)
    assert seen[-1] == ["parse_float", "parse_int"]


PEAK_OF_LOADING = """
import sys
sys.path.insert(0, sys.argv[1])
from tinynet import checkpoint, weights
weights.load(sys.argv[2])
checkpoint.load_checkpoint(sys.argv[3])
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]) // 1024)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux's /proc")
def test_the_largest_weights_file_and_checkpoint_load_within_300_mb(tmp_path):
    """The largest weights file (784-2200-10 or so, 64 MB) and checkpoint (784-2200-10) the
    limits accept, read in a fresh process: under 300 MB at its peak, with this Python and with
    PyPy when it is installed (it took 372 MB there before #18)."""
    import shutil

    from digits import load_benchmark

    file_limits = load_benchmark("file_limits")
    path, n = file_limits.largest_weights(tmp_path / "w.json")
    assert n >= 2048  # --preset wide's 784-2048-10 and its checkpoint must load
    ck = file_limits.largest_checkpoint(tmp_path / "c.checkpoint.json")
    assert int(ck.name.split("-")[1]) >= 2048
    for python in {sys.executable, shutil.which("pypy3")} - {None}:
        run = subprocess.run(
            [python, "-c", PEAK_OF_LOADING, str(ROOT), str(path), str(ck)],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ, PYPY_GC_NURSERY="4M"),  # as the commands run (support/memory)
        )
        assert run.returncode == 0, run.stderr
        assert int(run.stdout) < 300, (python, run.stdout)
