"""--resume is safe: it writes only where the command line says, reads only checked checkpoints,
works after any batch, never duplicates log lines, and finds unwritable outputs before training."""

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from training import StopAt, quiet_run, resume_run, run_train

from tinynet import checkpoint, network, train
from tinynet.checkpoint import load_checkpoint
from tinynet.engines import make_engine
from tinynet.settings import Interrupted, TrainingError
from tinynet.weights import WeightsError, to_dict

ROOT = Path(__file__).resolve().parent.parent


TINY = dict(limit=30, test_limit=20, epochs=2, batch_size=10, lr=0.5)


def tiny(tmp_path, mnist_dir, name, **kw):
    return quiet_run(mnist_dir, tmp_path / name, TINY, **kw)


def log_of(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def run_cli(args, cwd):
    return run_train(args, cwd)


# --- 1. where a resumed run writes -----------------------------------------------------------


def test_a_crafted_checkpoint_cannot_choose_where_a_resumed_run_writes(tmp_path, mnist_dir):
    with pytest.raises(Interrupted):
        tiny(tmp_path, mnist_dir, "w.json", watchers=[StopAt(0, 1)])
    ck_path = tmp_path / "w.json.checkpoint.json"
    ck = json.loads(ck_path.read_text())
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    ck["settings"].update(out=str(victim), log="$(id>PWNED)", checkpoint=str(victim))
    ck_path.write_text(json.dumps(ck))
    r = run_cli(
        ["--resume", str(ck_path), "--out", str(tmp_path / "new.json"), "--data", str(mnist_dir)],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious\n"
    assert not any("PWNED" in p.name for p in tmp_path.rglob("*"))
    assert (tmp_path / "new.json").exists() and (tmp_path / "new.json.log.jsonl").exists()


def test_without_out_a_resumed_run_writes_beside_its_checkpoint(tmp_path, mnist_dir):
    (tmp_path / "runs").mkdir()
    with pytest.raises(Interrupted):
        tiny(tmp_path, mnist_dir, "runs/a.json", watchers=[StopAt(1, 0)])
    r = run_cli(["--resume", "runs/a.json.checkpoint.json", "--data", str(mnist_dir)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "runs" / "a.json").exists()
    assert [rec["epoch"] for rec in log_of(tmp_path / "runs" / "a.json.log.jsonl")] == [1, 2]
    assert not (tmp_path / "tinynet-weights.json").exists()


# --- 3. resume after any batch, bit for bit --------------------------------------------------


@pytest.mark.parametrize(
    "engine, limit, batch_size, l2",
    [("lanes", 30, 10, 5.0), ("loops", 30, 10, 5.0), ("lanes", 20, 20, 5.0), ("plain", 20, 20, 0)],
)
def test_interrupting_after_any_batch_and_resuming_gives_the_same_weights(
    tmp_path, mnist_dir, engine, limit, batch_size, l2
):
    kw = dict(engine=engine, limit=limit, batch_size=batch_size, l2=l2)
    whole = tiny(tmp_path, mnist_dir, "whole.json", **kw)
    whole_log = log_of(tmp_path / "whole.json.log.jsonl")
    n_batches = (limit + batch_size - 1) // batch_size
    for epoch in range(2):
        for batch in range(n_batches):  # the last batch of an epoch too (issue #13)
            name = f"cut-{epoch:d}-{batch:d}.json"
            with pytest.raises(Interrupted):
                tiny(tmp_path, mnist_dir, name, watchers=[StopAt(epoch, batch)], **kw)
            ck = tmp_path / (name + ".checkpoint.json")
            resumed = resume_run(mnist_dir, ck)
            assert resumed.w == whole.w and resumed.b == whole.b, (epoch, batch)
            log = log_of(tmp_path / (name + ".log.jsonl"))
            assert [r["epoch"] for r in log] == [1, 2]
            for got, want in zip(log, whole_log):
                assert {k: v for k, v in got.items() if k != "seconds"} == {
                    k: v for k, v in want.items() if k != "seconds"
                }


class SetLr:
    """A watcher that sets η from the live page's gate before batch (epoch, batch), 0-based."""

    def __init__(self, epoch, batch, lr):
        self.at, self.lr = (epoch, batch), lr

    def before_batch(self, info):
        if (info["next"]["epoch"], info["next"]["batch"]) == self.at:
            info["set_lr"] = self.lr
        return True


def test_an_lr_change_before_an_interruption_is_in_the_resumed_runs_log(tmp_path, mnist_dir):
    """η changed from the live page in an epoch that is then interrupted: the checkpoint keeps
    the change, so the resumed run's record of that epoch still says it (and the weights and
    log are those of the run that was not interrupted)."""
    whole = tiny(tmp_path, mnist_dir, "whole.json", watchers=[SetLr(0, 1, 0.75)])
    with pytest.raises(Interrupted):
        tiny(tmp_path, mnist_dir, "cut.json", watchers=[SetLr(0, 1, 0.75), StopAt(0, 1)])
    ck = tmp_path / "cut.json.checkpoint.json"
    change = {"epoch": 1, "batch": 2, "lr": 0.75}
    assert json.loads(ck.read_text())["lr_changes"] == [change]
    resumed = resume_run(mnist_dir, ck)
    assert resumed.w == whole.w and resumed.b == whole.b
    log, whole_log = (
        log_of(tmp_path / "cut.json.log.jsonl"),
        log_of(tmp_path / "whole.json.log.jsonl"),
    )
    assert log[0]["lr_changes"] == whole_log[0]["lr_changes"] == [change]
    assert "lr_changes" not in log[1] and [r["lr"] for r in log] == [0.75, 0.75]


# --- 4. the log ------------------------------------------------------------------------------


def test_a_log_line_written_before_a_kill_is_not_written_twice(tmp_path, mnist_dir):
    # A kill between appending epoch 2's log line and renaming its checkpoint leaves the log one
    # line ahead of the checkpoint; resuming must not log epoch 2 again.
    tiny(tmp_path, mnist_dir, "whole.json", epochs=3)
    with pytest.raises(Interrupted):
        tiny(tmp_path, mnist_dir, "w.json", epochs=3, watchers=[StopAt(1, 2)])
    log = tmp_path / "w.json.log.jsonl"
    epoch_2 = log_of(tmp_path / "whole.json.log.jsonl")[1]
    with open(log, "a") as f:
        f.write(json.dumps(epoch_2) + "\n")  # as if epoch 2 had been logged, then the kill
    train.train(resume=str(tmp_path / "w.json.checkpoint.json"), quiet=True, data=str(mnist_dir))
    assert [r["epoch"] for r in log_of(log)] == [1, 2, 3]


# --- a finished checkpoint -------------------------------------------------------------------


def test_resuming_a_finished_run_says_so_and_writes_nothing(tmp_path, mnist_dir):
    tiny(tmp_path, mnist_dir, "w.json")
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    r = run_cli(["--resume", "w.json.checkpoint.json", "--data", str(mnist_dir)], tmp_path)
    assert r.returncode == 0 and "complete" in r.stdout and "nothing to do" in r.stdout, r
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()} == files


# --- 5. outputs that cannot be written -------------------------------------------------------


def one_line_error(r, *words):
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    for word in words:
        assert word in r.stderr, r.stderr


def test_an_unwritable_output_is_found_before_training(tmp_path):
    # --data leads nowhere: the error is about the output, so it came before the data
    no_data = ["--data", str(tmp_path / "none"), "--no-download"]
    (tmp_path / "folder").mkdir()
    r = run_cli(["--out", "folder"] + no_data, tmp_path)
    one_line_error(r, "folder", "is a folder")
    (tmp_path / "file.txt").write_text("")
    r = run_cli(["--out", "file.txt/w.json"] + no_data, tmp_path)
    one_line_error(r, "file.txt/w.json", "cannot write there")
    r = run_cli(["--log", "file.txt/log.jsonl"] + no_data, tmp_path)
    one_line_error(r, "file.txt/log.jsonl")
    assert set(tmp_path.iterdir()) == {tmp_path / "folder", tmp_path / "file.txt"}


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write in read-only folders"
)
def test_a_read_only_folder_is_found_before_training(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        r = run_cli(["--out", "ro/w.json", "--data", str(tmp_path), "--no-download"], tmp_path)
    finally:
        ro.chmod(0o755)
    one_line_error(r, "ro/w.json", "cannot write there")


def test_a_full_disk_names_the_file(tmp_path, mnist_dir, monkeypatch):
    def no_space(path, obj, indent=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint, "write_json_atomic", no_space)
    with pytest.raises(TrainingError) as e:
        tiny(tmp_path, mnist_dir, "w.json")
    assert str(e.value) == (
        f"{tmp_path / 'w.json.checkpoint.json'}: cannot write: [Errno 28] No space left on device"
    )


# --- 2. checkpoints are checked field by field -----------------------------------------------


def a_checkpoint(engine="lanes"):
    """A valid checkpoint of a 784-3-10 network after 1 epoch and 2 of its 3 batches."""
    net = network.new_network([784, 3, 10], seed=1)
    settings = dict(train.DEFAULTS, hidden="3", epochs=2, limit=30, engine=engine)
    record = dict(epoch=1, cost=1.5, train_accuracy=0.2, test_accuracy=0.25, seconds=0.1, lr=0.3)
    return {
        "format": "tinynet-checkpoint",
        "settings": settings,
        "epoch": 1,
        "batch": 2,
        "network": to_dict(net),
        "exact": make_engine(net, engine).state(),
        "history": [record],
        "stats": {"seen": 20, "cost": 30.0, "correct": 4},
        "seconds": 1.25,
        "lr_changes": [{"epoch": 1, "batch": 3, "lr": 0.3}, {"epoch": 2, "batch": 1, "lr": 0.4}],
    }


def test_a_valid_checkpoint_is_read(tmp_path):
    for engine in ("lanes", "loops", "plain"):
        path = tmp_path / f"{engine}.json"
        path.write_text(json.dumps(a_checkpoint(engine)))
        ck = load_checkpoint(path)
        assert (ck["epoch"], ck["batch"], ck["settings"]["engine"]) == (1, 2, engine)
        assert "out" not in ck["settings"] and "log" not in ck["settings"]


@pytest.mark.parametrize(
    "where, value, field",
    [
        (("settings", "batch_size"), 0, "settings.batch_size"),
        (("settings", "epochs"), "30", "settings.epochs"),
        (("settings", "lr"), "0.2", "settings.lr"),
        (("settings", "seed"), 10**400, "settings.seed"),
        (("settings", "limit"), -5, "settings.limit"),
        (("settings", "hidden"), "16,x", "settings.hidden"),
        (("settings", "engine"), "turbo", "settings.engine"),
        (("settings", "l2"), 1e6, "settings.l2 is 1e+06: with η = 0.2 on 30 training images"),
        (("epoch",), -5, "epoch"),
        (("epoch",), 10**400, "epoch"),
        (("batch",), "2", "batch"),
        (("stats", "seen"), -1, "stats"),
        (("history",), [], "history"),
        (("seconds",), "1", "seconds"),
        (("exact",), None, "exact"),
        (("network", "sizes"), [784, 16, 10], "network"),
        (("lr_changes",), {"epoch": 1}, "lr_changes"),
        (("lr_changes", 1, "epoch"), 3, "lr_changes"),  # epoch 3 has not begun
        (("lr_changes", 0, "lr"), 0, "lr_changes"),
        (("lr_changes", 0, "batch"), 0, "lr_changes"),
        (("lr_changes", 0, "when"), "now", "lr_changes"),
        (("lr_changes", 0, "epoch"), 2, "lr_changes"),  # out of order
    ],
)
def test_a_damaged_field_is_named(tmp_path, where, value, field):
    ck = a_checkpoint()
    target = ck
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    path = tmp_path / "ck.json"
    path.write_text(json.dumps(ck))
    with pytest.raises(WeightsError) as e:
        load_checkpoint(path)
    message = str(e.value)
    assert message.startswith(f"{path}: "), message
    if value == 10**400:
        # weights.load_dict refuses a 400-digit integer while reading, before any field is seen
        assert "integer of 401 digits" in message, message
    else:
        assert field in message, message


def test_a_checkpoint_starting_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "ck.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(a_checkpoint()).encode())
    assert load_checkpoint(path)["batch"] == 2


@pytest.mark.parametrize("part", ["network", "exact"])
def test_a_checkpoint_whose_weights_would_overflow_a_forward_pass_is_refused(tmp_path, part):
    ck = a_checkpoint()
    if part == "network":
        ck["network"]["weights"][1][0] = [1e308, -1e308, 1e308]
    else:  # each whole number allowed (below 2⁶²), their sum past what a lane holds
        ck["exact"][0][0] = [10**17] * 784
    path = tmp_path / "ck.json"
    path.write_text(json.dumps(ck))
    with pytest.raises(WeightsError) as e:
        load_checkpoint(path)
    message = str(e.value)
    assert message.startswith(f"{path}: damaged checkpoint: {part}") and "\n" not in message
    assert "30,000" in message


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**400), 10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
    | st.sampled_from(["30", "0.2", "lanes", "quadratic", "16,16", "-5"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=5,
)


def paths_in(obj, prefix=()):
    """Every path to a value in a JSON object, except inside the long weight lists."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in ("w", "weights", "exact"):
                yield from paths_in(v, prefix + (k,))
            else:
                yield prefix + (k,)
    elif isinstance(obj, list) and len(obj) <= 10:
        for k, v in enumerate(obj):
            yield from paths_in(v, prefix + (k,))


PATHS = [p for p in paths_in(a_checkpoint()) if p]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(PATHS), st.one_of(st.just("delete"), json_values)),
        min_size=1,
        max_size=3,
    ),
    engine=st.sampled_from(["lanes", "loops"]),
)
def test_a_mutated_checkpoint_is_read_or_refused_in_one_line(tmp_path, changes, engine):
    ck = a_checkpoint(engine)
    for path, value in changes:
        target = ck
        try:
            for key in path[:-1]:
                target = target[key]
            if value == "delete":
                del target[path[-1]]
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this path
    file = tmp_path / "ck.json"
    file.write_text(json.dumps(ck))
    try:
        got = load_checkpoint(file)
    except WeightsError as e:
        assert str(e).startswith(f"{file}: ") and "\n" not in str(e)
    else:  # what is read is valid
        s = got["settings"]
        assert 0 <= got["epoch"] <= s["epochs"] and got["batch"] >= 0
        assert len(got["history"]) == got["epoch"]
        assert all(1 <= c["epoch"] <= got["epoch"] + 1 for c in got["lr_changes"])
        assert got["network"].sizes == train.layer_sizes(s)
