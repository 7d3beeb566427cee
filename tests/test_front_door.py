"""The front door: `tinynet COMMAND` / `python -m tinynet COMMAND` runs the same command as
`python -m tinynet.COMMAND`, through the same Ctrl-C and broken-pipe handling; `tinynet examples`
copies the shipped example images; --version is the package's version."""

import importlib
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from clients import interruptible
from hypothesis import given
from hypothesis import strategies as st

import tinynet
from tinynet import __main__ as front

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEVEN = EXAMPLES / "seven-ink-on-paper.png"
# exactly what the `tinynet` console script pip writes does
CONSOLE_SCRIPT = ["-c", "import sys; from tinynet.__main__ import main; sys.exit(main())"]


def tinynet_cmd(*args, via="console", cwd=ROOT, **kwargs):
    """Run tinynet with `args` as the console script (or `python -m tinynet`) would."""
    start = CONSOLE_SCRIPT if via == "console" else ["-m", "tinynet"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, *start, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=str(cwd),
        env=env,
        timeout=300,
        **kwargs,
    )


def test_every_command_is_listed_with_one_line():
    names = ["predict", "train", "evaluate", "explain", "gradcheck", "visualize", "draw"]
    assert list(front.COMMANDS) == names + ["examples"]
    for via in ("console", "module"):
        for args in ((), ("--help",), ("-h",)):
            r = tinynet_cmd(*args, via=via)
            assert r.returncode == 0 and r.stderr == ""
            listed = [line.split()[0] for line in r.stdout.splitlines() if line.startswith("  ")]
            assert listed == list(front.COMMANDS)
            assert "tinynet COMMAND --help" in r.stdout
    text = front.usage()
    for name, (_, about) in front.COMMANDS.items():
        assert [line for line in text.splitlines() if line.split()[:1] == [name]] == [
            f"  {name:<9}  {about}"
        ]


def test_every_command_module_has_a_main_taking_argv():
    for name, (module, _) in front.COMMANDS.items():
        main = front.command(name)
        assert callable(main)
        assert "argv" in main.__code__.co_varnames[: main.__code__.co_argcount], name
        if name != "examples":
            assert main is importlib.import_module(module).main


@pytest.mark.parametrize("via", ["console", "module"])
def test_predict_through_the_front_door_reads_the_seven(via):
    r = tinynet_cmd("predict", SEVEN, via=via)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{SEVEN}: 7 (")
    direct = subprocess.run(
        [sys.executable, "-m", "tinynet.predict", str(SEVEN)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        timeout=300,
    )
    assert r.stdout == direct.stdout


@pytest.mark.parametrize("name", list(front.COMMANDS))
def test_each_command_dispatches_and_names_itself(name):
    r = tinynet_cmd(name, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: ")
    if name in ("predict", "explain", "examples"):  # (the others still say python -m tinynet.X)
        assert r.stdout.startswith(f"usage: tinynet {name} ")


def test_a_commands_own_mistake_is_its_own_one_line():
    r = tinynet_cmd("explain", SEVEN, "--top", "0")
    direct = subprocess.run(
        [sys.executable, "-m", "tinynet.explain", str(SEVEN), "--top", "0"],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        timeout=300,
    )
    assert r.returncode == direct.returncode == 2
    # the same error line, naming the command as it was started (the usage above may wrap)
    last = r.stderr.splitlines()[-1]
    assert last == "tinynet explain: error: argument --top: must be at least 1, not 0"
    assert direct.stderr.splitlines()[-1] == last.replace(
        "tinynet explain", "python -m tinynet.explain"
    )


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_", min_size=1, max_size=12))
def test_an_unknown_command_is_one_line_and_the_list(name):
    if name in front.COMMANDS or name in ("-h", "--help", "-V", "--version"):
        return
    status = front.dispatch([name, "x"])
    assert status == 2


def test_an_unknown_command_says_so_and_lists_the_commands():
    r = tinynet_cmd("predcit", SEVEN)
    assert r.returncode == 2 and r.stdout == ""
    first, rest = r.stderr.split("\n", 1)
    assert first == "tinynet: unknown command 'predcit'"
    assert rest.strip() == front.usage().strip() and "Traceback" not in r.stderr


def test_the_version_is_the_packages_one():
    for via in ("console", "module"):
        r = tinynet_cmd("--version", via=via)
        assert r.returncode == 0 and r.stdout == f"tinynet {tinynet.__version__}\n"
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in text
    assert 'version = { attr = "tinynet.__version__" }' in text
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return
    try:
        installed = version("tinynet")
    except PackageNotFoundError:
        return  # not installed here: the wheel test (test_packaging) checks the built metadata
    assert installed == tinynet.__version__


def test_examples_copies_every_image_and_prints_the_paths(tmp_path):
    r = tinynet_cmd("examples", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    shipped = sorted(p.name for p in EXAMPLES.iterdir() if front.is_example(p))
    assert len(shipped) >= 15
    assert r.stdout.splitlines() == [f"tinynet-examples/{name}" for name in shipped]
    assert r.stderr == (
        "try: tinynet predict tinynet-examples/seven-ink-on-paper.png\n"
        "and: python tinynet-examples/step_through.py --break\n"
    )
    copied = tmp_path / "tinynet-examples"
    assert sorted(p.name for p in copied.iterdir()) == shipped  # and no temporary file left
    for name in shipped:
        assert (copied / name).read_bytes() == (EXAMPLES / name).read_bytes()
    # the copies are what predict reads
    seven = tinynet_cmd("predict", "tinynet-examples/seven-ink-on-paper.png", cwd=tmp_path)
    assert seven.stdout.startswith("tinynet-examples/seven-ink-on-paper.png: 7 (")
    # again: identical files are fine
    again = tinynet_cmd("examples", cwd=tmp_path, via="module")
    assert again.returncode == 0 and again.stdout == r.stdout


def test_examples_never_overwrites_a_different_file(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    mine = folder / "seven-ink-on-paper.png"
    mine.write_bytes(b"my own drawing")
    r = tinynet_cmd("examples", folder)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
    assert str(mine) in r.stderr and "nothing copied" in r.stderr
    assert mine.read_bytes() == b"my own drawing"
    assert [p.name for p in folder.iterdir()] == [mine.name]


def test_examples_into_a_file_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = tinynet_cmd("examples", tmp_path / "afile")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_examples_are_found_inside_an_installed_package(tmp_path, monkeypatch):
    package = tmp_path / "tinynet"
    (package / "examples").mkdir(parents=True)
    (package / "examples" / "one.png").write_bytes(b"1")
    monkeypatch.setattr(front, "__file__", str(package / "__main__.py"))
    assert front.examples_folder() == package / "examples"
    assert front.example_files() == [package / "examples" / "one.png"]


def test_a_reader_that_stops_early_ends_quietly_through_the_console_script():
    # `tinynet predict examples/*.png | head -c 1`
    images = sorted(str(p) for p in EXAMPLES.glob("*.png"))
    p = subprocess.Popen(
        [sys.executable, *CONSOLE_SCRIPT, "predict", *images],
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    p.stdout.read(1)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=300) == 141
    assert err == "", err


def test_ctrl_c_ends_quietly_through_the_console_script():
    images = [str(EXAMPLES / "eight-large.png")] * 500
    p = interruptible([sys.executable, *CONSOLE_SCRIPT, "predict", *images], cwd=str(ROOT))
    try:
        assert "eight-large.png: 8 (" in p.stdout.readline()  # it is reading
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        p.kill()
    assert p.returncode == 130
    assert err == "\ninterrupted\n"
