"""The learning tools: examples/step_through.py, tinynet.explain, tinynet.gradcheck's command line,
tinynet.visualize, and the pictures in docs/.

Weights: the shipped pretrained file (part of the project: if it is missing, tests fail).
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet import __main__ as front
from tinynet import explain, gradcheck, network, visualize, weights
from tinynet.images import png
from tinynet.network import Network
from tinynet.reading import read_digit

ROOT = Path(__file__).resolve().parent.parent
STEP_THROUGH = ROOT / "examples" / "step_through.py"
SEVEN = ROOT / "examples" / "seven-ink-on-paper.png"
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def trained_path():
    """The shipped pretrained weights, which every clone and every install has."""
    assert weights.PRETRAINED.is_file(), f"the shipped weights are missing: {weights.PRETRAINED}"
    return weights.PRETRAINED


@pytest.fixture(scope="module")
def net(trained_path):
    """The shipped trained network."""
    return weights.load(trained_path)


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory, net):
    """A weights file holding `net`, for the command lines."""
    path = tmp_path_factory.mktemp("weights") / "net.json"
    weights.save(net, path, cost="cross-entropy")
    return path


@pytest.fixture(scope="module")
def seven():
    return explain.example_digit()


def clean_env(**extra):
    """The environment without MNIST ($TINYNET_DATA) and without PYTHONBREAKPOINT overrides."""
    env = {k: v for k, v in os.environ.items() if k not in ("TINYNET_DATA", "PYTHONBREAKPOINT")}
    env["XDG_CACHE_HOME"] = (
        "/nonexistent-cache-for-tinynet-tests"  # no MNIST in a user cache either
    )
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def run(args, env=None, stdin=None, cwd=None):
    return subprocess.run(
        [sys.executable] + [str(a) for a in args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env or clean_env(),
        cwd=str(cwd or ROOT),
        timeout=120,
    )


# ---------------------------------------------------------------------------------------------
# The bundled example digit
# ---------------------------------------------------------------------------------------------


def test_bundled_digit_is_what_read_digit_makes_of_the_seven_png_to_the_last_bits(seven):
    x, digit = seven
    assert digit == 7
    assert len(x) == 784 and all(0.0 <= v <= 1.0 for v in x)
    # Made from the PNG (not from MNIST, not hand-edited), on CPython 3.11. read_digit adds
    # floats with sum(), which is correctly rounded from Python 3.12 on and adds left to right
    # before: the two differ by at most a few ulps (2 measured on 3.12), and paper (0) is 0 on both.
    made = read_digit(SEVEN)
    assert len(made) == len(x)
    for k, (u, v) in enumerate(zip(x, made)):
        assert abs(u - v) <= 4 * math.ulp(max(abs(u), abs(v))), (k, u, v)
    assert [k for k, u in enumerate(x) if u == 0] == [k for k, v in enumerate(made) if v == 0]
    with open(str(explain.EXAMPLE), encoding="utf-8") as f:
        d = json.load(f)
    assert d["source"] == "examples/seven-ink-on-paper.png"
    assert len(d["pixels"]) == 28 and all(len(row) == 28 for row in d["pixels"])


# ---------------------------------------------------------------------------------------------
# examples/step_through.py
# ---------------------------------------------------------------------------------------------


def test_step_through_runs_to_the_end_without_mnist(tmp_path):
    r = run([STEP_THROUGH], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for n in range(1, 8):
        assert f"STAGE {n:d}" in out
    for name in (
        "z[0]",
        "z[1]",
        "z[2]",
        "a[1]",
        "a[2]",
        "a[3]",
        "delta[2]",
        "delta[1]",
        "delta[0]",
    ):
        assert name in out
    assert "bundled example digit" in out and "(a 7)" in out
    assert "C: " in out and "(lower)" in out
    assert "Traceback" not in r.stderr


def test_step_through_numbers_come_from_network_py(tmp_path):
    """The printed δ for the true digit is network.backprop's, for the default random network."""
    r = run([STEP_THROUGH, "--cost", "quadratic", "--lr", "0.5", "--seed", "3"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    x, digit = explain.example_digit()
    net = network.new_network(seed=3)
    delta = network.backprop(net, x, network.one_hot(digit), "quadratic")[2]
    assert f"(backprop: {delta[-1][digit]:+.6f})" in r.stdout
    z, a = network.feedforward(net, x)
    assert (
        "C = Σₖ (aₖ − yₖ)² = {:.6f}".format(
            network.cost(a[-1], network.one_hot(digit), z[-1], "quadratic")
        )
        in r.stdout
    )


def test_step_through_runs_with_mnist(mnist_dir, tmp_path):
    r = run([STEP_THROUGH, "--mnist", "0", "--data", mnist_dir], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "MNIST test image 0" in r.stdout and "STAGE 7" in r.stdout


def test_step_through_without_mnist_data_says_so(tmp_path):
    r = run([STEP_THROUGH, "--mnist", "0", "--data", tmp_path])
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_step_through_break_stops_in_the_debugger_at_every_stage(tmp_path):
    r = run([STEP_THROUGH, "--break"], stdin="p digit\n" + "c\n" * 10, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("(Pdb)") >= 7
    assert "(Pdb) 7" in r.stdout  # `p digit` at the first stop
    assert "STAGE 7" in r.stdout


# ---------------------------------------------------------------------------------------------
# Every debugger recipe in the docs works as written, from any folder (issue 20)
# ---------------------------------------------------------------------------------------------

PDB_STOP = re.compile(r"^> \.\.\./(\S+\(\d+\)\w+\(\))\s*$")


def recipes():
    """Each pdb session in the README and docs/learning.md, as (its file, the command after `$ `,
    the commands typed at `(Pdb) `, what it shows: stops `FILE(N)FUNCTION()` and printed values)."""
    found = []
    for path in (ROOT / "README.md", DOCS / "learning.md"):
        blocks = re.findall(r"```text\n(\$ python .*?)```", path.read_text("utf-8"), re.S)
        for block in blocks:
            lines = block.splitlines()
            typed = [t[len("(Pdb) ") :] for t in lines if t.startswith("(Pdb) ")]
            stops = [m.group(1) for m in map(PDB_STOP.match, lines) if m]
            printed = [
                after
                for before, after in zip(lines, lines[1:])
                if before.startswith("(Pdb) p ") and not after.startswith(("(Pdb)", ">", "..."))
            ]
            if typed:
                found.append((path.name, lines[0][2:], typed, stops, printed))
    return found


def run_recipe(command, typed, cwd, env, examples=ROOT / "examples"):
    """The recipe's command run in `cwd` (python: this interpreter; examples/step_through.py:
    the one in `examples`, this clone's by default, by its full path), with its pdb commands on
    stdin."""
    args = [
        sys.executable
        if a == "python"
        else str(examples / a[len("examples/") :])
        if a.startswith("examples/")
        else a
        for a in command.split()
    ]
    return subprocess.run(
        args,
        input="\n".join(typed) + "\nq\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=str(cwd),
        timeout=300,
    )


def test_the_docs_hold_the_debugger_recipes():
    commands = [command for _, command, _, _, _ in recipes()]
    assert "python examples/step_through.py --break" in commands
    assert "python -m pdb examples/step_through.py" in commands
    assert "python -m pdb -m tinynet.train --limit 1000 --epochs 1" in commands


# Python 3.13.0's pdb takes options after `-m MODULE` as its own (CPython gh-125115, fixed in
# 3.13.1); the docs give it `--` before them, which every tinynet command drops under pdb.
PDB_TAKES_THE_OPTIONS = sys.implementation.name == "cpython" and sys.version_info[:3] == (3, 13, 0)


def as_this_python_needs(command):
    """The recipe's command, with the docs' `--` for Python 3.13.0's pdb."""
    words = command.split()
    if PDB_TAKES_THE_OPTIONS and words[1:4] == ["-m", "pdb", "-m"] and len(words) > 5:
        words.insert(5, "--")
    return " ".join(words)


def installed_copy(site):
    """tinynet as the wheel installs it, in the folder `site`: the package, with the shipped
    weights in tinynet/pretrained/ and the example files in tinynet/examples/."""
    package = site / "tinynet"
    shutil.copytree(ROOT / "tinynet", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "pretrained", package / "pretrained")
    (package / "examples").mkdir()
    for path in (ROOT / "examples").iterdir():
        if front.is_example(path):
            shutil.copyfile(path, package / "examples" / path.name)
    return site


def recipes_and_scripts():
    """Each recipe; those that run examples/step_through.py twice: the clone's, and the copy
    `tinynet examples` makes for an installed tinynet (no clone)."""
    params = []
    for recipe in recipes():
        params.append(pytest.param(recipe, "clone", id=recipe[1]))
        if "examples/" in recipe[1]:
            params.append(pytest.param(recipe, "copy", id=recipe[1] + " (tinynet examples' copy)"))
    return params


@pytest.mark.parametrize("recipe, script", recipes_and_scripts())
def test_every_debugger_recipe_in_the_docs_works_as_written_from_any_folder(
    recipe, script, tmp_path, request
):
    """Run in an empty folder, with tinynet where an installed package would be (a copy of the
    package alone on PYTHONPATH): pdb takes every command (no `***` error), stops where the
    recipe shows and prints what it shows. The script is the clone's, or the copy that
    `tinynet examples DIR` writes, which then steps through the installed package."""
    name, command, typed, stops, printed = recipe
    site = installed_copy(tmp_path / "site-packages")
    folder = tmp_path / "somewhere"
    folder.mkdir()
    env = clean_env(PYTHONPATH=str(site))
    if "tinynet.train" in command:  # training needs MNIST
        env["TINYNET_DATA"] = str(request.getfixturevalue("mnist_dir"))
    examples = ROOT / "examples"
    if script == "copy":  # (into a folder named examples, as the recipe's stops name it)
        examples = tmp_path / "examples"
        copied = run(["-m", "tinynet", "examples", examples], env=env, cwd=folder)
        assert copied.returncode == 0 and (examples / "step_through.py").is_file(), copied.stderr
    r = run_recipe(as_this_python_needs(command), typed, folder, env, examples)
    if script == "copy":  # it stepped through the installed package, not this clone
        assert str(site / "tinynet" / "network.py") in r.stdout
        assert str(ROOT / "tinynet") not in r.stdout
    out = r.stdout + r.stderr
    assert "*** " not in out and "Traceback" not in out, out[-3000:]
    # (pdb's answers follow its prompt on the same line: the typed commands are not echoed)
    shown = re.findall(r"^(?:\(Pdb\) )*> (\S+\(\d+\)\w+\(\))", out, re.M)
    for stop in stops:  # in the order the recipe shows them
        place = next((k for k, s in enumerate(shown) if s.endswith("/" + stop)), None)
        assert place is not None, f"{name}: {command}: no stop at {stop}; stops: {shown}"
        shown = shown[place + 1 :]
    for value in printed:
        assert value in out, f"{name}: {command}: does not print {value!r}"


def test_the_docs_way_past_python_3_13_0s_pdb_works_on_every_python(tmp_path):
    """`--` before the options gets them past 3.13.0's pdb; the others pass the `--` on, and
    the command drops it (without that, argparse would refuse `--help` as a stray argument)."""
    command = "python -m pdb -m tinynet.train -- --limit 1000 --epochs 1"
    assert command in " ".join((DOCS / "learning.md").read_text("utf-8").split())
    env = clean_env(PYTHONPATH=str(ROOT))
    r = run_recipe("python -m pdb -m tinynet.train -- --help", ["c"], tmp_path, env)
    assert "usage: python -m tinynet.train" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
    assert "unrecognized arguments" not in r.stdout + r.stderr


def test_a_first_double_dash_is_dropped_only_under_pdb(monkeypatch):
    """...and only from the program's own arguments: an argv a caller gives is its own."""
    import bdb

    from tinynet.support.debugging import program_args

    monkeypatch.setattr(sys, "argv", ["tinynet.train", "--", "--limit", "5"])
    assert program_args() == ["--", "--limit", "5"]
    assert bdb.Bdb().runcall(program_args) == ["--limit", "5"]
    given = ["--", "-a-file-named-so.png"]
    assert bdb.Bdb().runcall(program_args, given) == given
    monkeypatch.setattr(sys, "argv", ["tinynet.train", "--limit", "--"])
    assert bdb.Bdb().runcall(program_args) == ["--limit", "--"]


def test_the_pdb_recipe_fails_without_breaking_by_function(tmp_path):
    """Why the recipe breaks at `main` and `network.backprop`: a file name at pdb's first prompt
    is not found from another folder (the script has not yet put its clone on sys.path)."""
    r = run_recipe(
        "python -m pdb examples/step_through.py",
        ["b tinynet/network.py:196"],
        tmp_path,
        clean_env(),
    )
    assert "not found from sys.path" in r.stdout


def test_stage_6_under_pdb_says_what_it_times_and_is_not_slowed_by_tracing(tmp_path):
    """With a breakpoint in network.py (which makes pdb trace every line run there), stage 6
    says what it is doing before the slow part and times the code, not the debugger."""
    plain = run([STEP_THROUGH], cwd=tmp_path)
    typed = ["b main", "c", "b network.sgd_step", "c"]  # stops in stage 7, after the timing
    r = run_recipe("python -m pdb examples/step_through.py", typed, tmp_path, clean_env())
    assert "STAGE 6" in r.stdout and "> " + str(ROOT / "tinynet" / "network.py") in r.stdout
    stage_6 = r.stdout[r.stdout.index("STAGE 6") :]
    assert stage_6.index("Now timing the whole gradient") < stage_6.index("by the formulas:")
    assert "tracing is paused" in stage_6 and "tracing is paused" not in plain.stdout

    def formulas_ms(out):
        return float(re.search(r"by the formulas: +[\d,]+ multiplications, +([\d.]+) ms", out)[1])

    # traced, it took 18.6 s against 0.4 s (45 times): allow a shared machine's noise
    assert formulas_ms(r.stdout) < 5 * formulas_ms(plain.stdout) + 500


def test_step_through_shows_one_gradient_in_the_videos_notation_and_order(tmp_path):
    for cost in ("cross-entropy", "quadratic"):
        out = run([STEP_THROUGH, "--cost", cost], cwd=tmp_path).stdout
        video = re.search(
            r"video, from the weight up: +∂C/∂w⁽³⁾(\S+) = a⁽²⁾ₖ · σ′\(z⁽³⁾ⱼ\) · "
            r"∂C/∂a⁽³⁾ⱼ = (\S+) × (\S+) × (\S+) = (\S+)",
            out,
        )
        code = re.search(
            r"code, from the cost down: +dC_dw\[2\]\[(\d+)\]\[(\d+)\] = "
            r"∂C/∂a · σ′\(z\) · a = (\S+) × (\S+) × (\S+) = (\S+)",
            out,
        )
        assert video and code, out
        i, j = code.group(1), code.group(2)
        assert video.group(1) == f"{i},{j}".translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
        assert video.group(2, 3, 4) == code.group(5, 4, 3)  # the same factors, reversed
        assert video.group(5) == code.group(6)
        assert f"the code's w[2][{i}][{j}]" in out and "code i = video j, code j = video k" in out


# ---------------------------------------------------------------------------------------------
# tinynet.explain
# ---------------------------------------------------------------------------------------------


def test_explain_forward_pass_equals_feedforward(net, seven):
    x, _ = seven
    layers = explain.forward_pass(net, x)
    z, a = network.feedforward(net, x)
    assert [len(layer) for layer in layers] == net.sizes[1:]
    for l, layer in enumerate(layers):
        assert [n.z for n in layer] == z[l]  # the very same floats, not just close
        assert [n.a for n in layer] == a[l + 1]
        for n in layer:
            assert n.b + n.excitation + n.inhibition == pytest.approx(n.z, rel=1e-9, abs=1e-9)
            assert n.excitation >= 0.0 >= n.inhibition


@st.composite
def small_networks(draw):
    sizes = [draw(st.integers(1, 6)) for _ in range(draw(st.integers(2, 4)))]
    weight = st.floats(-3.0, 3.0, allow_nan=False)
    w = [
        [[draw(weight) for _ in range(sizes[l])] for _ in range(sizes[l + 1])]
        for l in range(len(sizes) - 1)
    ]
    b = [[draw(weight) for _ in range(sizes[l + 1])] for l in range(len(sizes) - 1)]
    x = [draw(st.floats(0.0, 1.0)) for _ in range(sizes[0])]
    activation = draw(st.sampled_from(list(network.ACTIVATIONS)))
    output = draw(st.sampled_from(network.OUTPUTS))
    return Network(sizes, w, b, activation, output), x


@settings(max_examples=50, deadline=None)
@given(small_networks())
def test_explain_forward_pass_equals_feedforward_for_any_network(problem):
    net, x = problem
    z, a = network.feedforward(net, x)
    layers = explain.forward_pass(net, x)
    assert [[n.z for n in layer] for layer in layers] == z
    assert [[n.a for n in layer] for layer in layers] == a[1:]


def test_explain_report_prints_the_networks_own_numbers(net, seven):
    x, digit = seven
    text = explain.report(net, x, label=digit, cost="cross-entropy", eta=0.2)
    z, a = network.feedforward(net, x)
    for i in range(10):
        assert f"  {i:5d}  {z[-1][i]:+7.3f}  {a[-1][i]:7.4f} " in text
    y = network.one_hot(digit)
    assert "= {:.6f}".format(network.cost(a[-1], y, z[-1], "cross-entropy")) in text
    delta = network.backprop(net, x, y, "cross-entropy")[2]
    for delta_l in delta:
        for d in delta_l:
            assert f"δ = {d:+.3e}" in text
    before, after, _ = explain.step_effect(net, x, digit, "cross-entropy", 0.2)
    assert f"from {before:.6f} to {after:.6f}" in text
    assert "η = 0.2" in text


def test_explain_default_learning_rate_is_trainings():
    from tinynet import train

    assert train.DEFAULTS["lr"] == explain.DEFAULT_ETA


def test_explain_step_effect_matches_a_real_sgd_step(seven):
    x, digit = seven
    net = network.new_network(seed=2)
    before, after, out = explain.step_effect(net, x, digit, "quadratic", 0.5)
    copy = network.new_network(seed=2)
    network.sgd_step(copy, [(x, network.one_hot(digit))], 0.5, "quadratic")
    assert out == network.output(copy, x)
    assert after < before
    assert net.w == network.new_network(seed=2).w  # the network itself is untouched


def test_strongest_region_finds_where_the_positive_weights_are():
    w = [-0.1] * 784
    for r in range(2, 6):
        for c in range(20, 25):
            w[28 * r + c] = 1.0
    top, bottom, left, right, name = explain.strongest_region(w)
    assert top <= 2 and bottom >= 5 and left <= 20 and right >= 24
    assert name == "upper right"
    assert explain.strongest_region([-1.0] * 784) is None
    field = explain.receptive_field(w)
    assert len(field) == 7 and all(len(row) == 7 for row in field)
    assert max((v, r, c) for r, row in enumerate(field) for c, v in enumerate(row))[1:] in (
        (0, 5),
        (1, 5),
    )


def test_explain_command_line(weights_file, capsys):
    assert (
        explain.main([str(SEVEN), "--weights", str(weights_file), "--label", "7", "--lr", "0.1"])
        == 0
    )
    out = capsys.readouterr().out
    for part in (
        "FORWARD PASS",
        "Hidden layer 1",
        "Hidden layer 2",
        "Output layer",
        "BACKWARD PASS",
        "(BP1)",
        "(BP2)",
        "η = 0.1",
        "After that one step",
    ):
        assert part in out
    assert explain.main([str(SEVEN), "--weights", str(weights_file)]) == 0
    assert "BACKWARD PASS" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "case", ["not an image", "no such image", "blank image", "bad weights", "no weights"]
)
def test_explain_errors_are_one_line_and_exit_2(case, tmp_path, weights_file, capsys):
    image, weights_arg = SEVEN, ["--weights", str(weights_file)]
    if case == "not an image":
        image = ROOT / "pyproject.toml"
    elif case == "no such image":
        image = tmp_path / "missing.png"
    elif case == "blank image":
        image = tmp_path / "blank.png"
        image.write_bytes(png.encode(20, 20, [255] * 400))
    elif case == "bad weights":
        bad = tmp_path / "bad.json"
        bad.write_text('{"format": "tinynet", "version": 1, "sizes": [784, 10], "weights": []}')
        weights_arg = ["--weights", str(bad)]
    else:
        weights_arg = ["--weights", str(tmp_path / "none.json")]
    assert explain.main([str(image)] + weights_arg) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_explain_error_has_no_traceback_as_a_program(tmp_path):
    r = run(["-m", "tinynet.explain", ROOT / "pyproject.toml", "--weights", tmp_path / "none.json"])
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1


# ---------------------------------------------------------------------------------------------
# tinynet.gradcheck's command line
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", network.COSTS)
def test_gradcheck_passes_on_the_real_backprop(kind, capsys):
    assert gradcheck.main(["--example", "--cost", kind, "--samples", "4", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "worst relative error" in out and "floor = 1e-05" in out
    assert (
        "pixel (" in out and "= 0.000" in out and "b[2][9]" in out
    )  # blank-pixel weights and biases


def test_gradcheck_passes_at_trained_weights(trained_path, capsys):
    assert gradcheck.main(["--example", "--weights", str(trained_path), "--samples", "4"]) == 0
    assert "PASS" in capsys.readouterr().out


def test_gradcheck_uses_an_mnist_image_when_present(mnist_dir, capsys):
    assert gradcheck.main(["--data", str(mnist_dir), "--index", "3", "--samples", "3"]) == 0
    assert "MNIST test image 3" in capsys.readouterr().out


def test_gradcheck_falls_back_to_the_bundled_digit(monkeypatch, capsys):
    monkeypatch.delenv("TINYNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/nonexistent-cache-for-tinynet-tests")
    monkeypatch.setenv("LOCALAPPDATA", "/nonexistent-cache-for-tinynet-tests")
    assert gradcheck.main(["--samples", "2"]) == 0
    assert "bundled example digit" in capsys.readouterr().out


def test_gradcheck_fails_when_bp1_is_wrong(monkeypatch, capsys):
    right = network.output_delta

    def wrong(a_L, y, z_L, cost="quadratic", output="sigmoid"):
        delta = right(a_L, y, z_L, cost, output)
        delta[3] *= 1.001  # one entry of δ⁽ᴸ⁾ off by 0.1 %
        return delta

    monkeypatch.setattr(network, "output_delta", wrong)
    assert gradcheck.main(["--example", "--samples", "3"]) == 1
    captured = capsys.readouterr()
    assert "FAIL" in captured.out and "b[2][3]" in captured.out
    assert "backprop disagrees" in captured.err


def test_gradcheck_fails_on_a_wrong_gradient_for_blank_pixels(monkeypatch):
    """A bug only in the weights from blank pixels (δ·0 must be 0) is caught by sampling them."""
    right = gradcheck.backprop

    def wrong(net, x, y, cost="quadratic"):
        dC_db, dC_dw, delta, z, a = right(net, x, y, cost)
        for row in dC_dw[0]:
            for j in range(len(row)):
                if x[j] == 0:
                    row[j] = 1e-4
        return dC_db, dC_dw, delta, z, a

    monkeypatch.setattr(gradcheck, "backprop", wrong)
    assert gradcheck.main(["--example", "--samples", "2"]) == 1


def test_gradcheck_fails_on_one_wrong_bias(monkeypatch):
    right = gradcheck.backprop

    def wrong(net, x, y, cost="quadratic"):
        dC_db, dC_dw, delta, z, a = right(net, x, y, cost)
        dC_db[1][5] *= 1 + 1e-4
        return dC_db, dC_dw, delta, z, a

    monkeypatch.setattr(gradcheck, "backprop", wrong)
    assert gradcheck.main(["--example", "--samples", "0"]) == 1


def test_a_missing_bundled_digit_is_one_clear_line(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        explain.example_digit(tmp_path / "digit.json")
    assert str(e.value).startswith(f"{tmp_path / 'digit.json'}: no such file (the bundled")
    assert "Errno" not in str(e.value) and "\n" not in str(e.value)


def test_gradcheck_sample_covers_every_bias_and_ink_and_paper(seven):
    x, _ = seven
    net = network.new_network(seed=1)
    params = gradcheck.sample_params(net, x, n=6, seed=5)
    assert sum(1 for p in params if p[0] == "b") == 16 + 16 + 10
    first = [p for p in params if p[0] == "w" and p[1] == 0]
    assert sum(1 for p in first if x[p[3]] > 0) == 6 and sum(1 for p in first if x[p[3]] == 0) == 3
    assert all(sum(1 for p in params if p[0] == "w" and p[1] == l) == 6 for l in (1, 2))
    assert len(set(params)) == len(params)
    assert params == gradcheck.sample_params(net, x, n=6, seed=5)


def test_gradcheck_bad_weights_exit_2(tmp_path, capsys):
    assert gradcheck.main(["--weights", str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


# ---------------------------------------------------------------------------------------------
# tinynet.visualize and the pictures in docs/
# ---------------------------------------------------------------------------------------------


def decoded(path_or_bytes):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    width, height, rgba = png.decode(data)
    assert len(rgba) == 4 * width * height
    return width, height, rgba


def colours(rgba):
    return {tuple(rgba[k : k + 3]) for k in range(0, len(rgba), 4)}


def test_weights_picture(weights_file, tmp_path, capsys):
    out = tmp_path / "w.png"
    assert visualize.main(["weights", "--weights", str(weights_file), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    width, height, rgba = decoded(out)
    # 4×4 tiles of 28·6 = 168 pixels, 16 apart, 16 margins, 14 for each caption, 40 for the key
    assert (width, height) == (2 * 16 + 4 * 168 + 3 * 16, 2 * 16 + 4 * (14 + 168) + 3 * 16 + 40)
    seen = colours(rgba)
    assert len(seen) > 100
    assert any(r > 150 and b < 100 for r, g, b in seen)  # red: positive weights
    assert any(b > 150 and r < 100 for r, g, b in seen)  # blue: negative weights
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind


def test_weights_picture_colours_follow_the_weights():
    net = network.new_network([784, 2, 10], seed=0)
    net.w[0][0] = [0.0] * 784
    net.w[0][0][0], net.w[0][0][1] = 2.0, -1.0
    canvas = visualize.weights_image(net, scale=1, columns=2)
    x0, y0 = 16, 16 + 14  # tile 0's top-left pixel

    def at(x, y):
        k = 3 * (canvas.width * y + x)
        return tuple(canvas.pixels[k : k + 3])

    assert at(x0, y0) == visualize.RED  # the largest weight: full red
    assert at(x0 + 1, y0) == visualize.diverging(-0.5)  # half of it, negative: pale blue
    assert at(x0 + 2, y0) == (255, 255, 255)  # zero: white
    assert visualize.diverging(-1) == visualize.BLUE and visualize.diverging(0) == (255, 255, 255)


def write_log(path, n=5):
    with open(str(path), "w") as f:
        for e in range(1, n + 1):
            f.write(
                json.dumps(
                    {
                        "epoch": e,
                        "cost": 1.0 / e,
                        "train_accuracy": 0.8 + 0.02 * e,
                        "test_accuracy": 0.85 + 0.01 * e,
                        "seconds": 1.0,
                        "lr": 0.1,
                    }
                )
                + "\n"
            )


def check_svg(path, epochs):
    root = ET.parse(str(path)).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    width, height = float(root.get("width")), float(root.get("height"))
    assert width >= 400 and height >= 300
    ns = {"s": "http://www.w3.org/2000/svg"}
    lines = root.findall(".//s:polyline", ns)
    assert len(lines) == 3  # cost, training and test accuracy
    for line in lines:
        points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        assert len(points) == epochs
        assert all(0 <= x <= width and 0 <= y <= height for x, y in points)
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for word in ("epoch", "cost", "accuracy (%)", "training accuracy", "test accuracy"):
        assert word in texts
    return root


def test_curves_picture(tmp_path):
    log = tmp_path / "run.log.jsonl"
    write_log(log, 7)
    out = tmp_path / "curves.svg"
    assert visualize.main(["curves", str(log), "--out", str(out)]) == 0
    check_svg(out, 7)
    assert "final test accuracy 92.00%" in out.read_text(encoding="utf-8")


def test_curves_reads_a_weights_files_history_and_keeps_the_last_of_a_repeated_epoch(tmp_path):
    history = [
        {"epoch": 1, "cost": 0.9, "train_accuracy": 0.8, "test_accuracy": 0.81},
        {"epoch": 2, "cost": 0.5, "train_accuracy": 0.9, "test_accuracy": 0.91},
        {"epoch": 2, "cost": 0.4, "train_accuracy": 0.92, "test_accuracy": 0.93},
    ]
    path = tmp_path / "w.json"
    weights.save(network.new_network([784, 2, 10]), path, training={"history": history})
    records = visualize.read_log(path)
    assert [r["epoch"] for r in records] == [1, 2] and records[1]["cost"] == 0.4


def test_curves_bad_log_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert visualize.main(["curves", str(bad), "--out", str(tmp_path / "c.svg")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (tmp_path / "c.svg").exists()


def test_mistakes_picture_without_mnist():
    images = [bytes([255 if 300 < p < 500 else 0 for p in range(784)])] * 3
    canvas = visualize.mistakes_image(images, [(0, 1, 7), (1, 2, 3), (2, 9, 4)], columns=2)
    width, height, rgba = decoded(canvas.png())
    assert (width, height) == (2 * 12 + 2 * 84 + 10, 2 * 12 + 2 * (84 + 21) + 10)
    seen = colours(rgba)
    assert (0, 0, 0) in seen and visualize.RED in seen and (255, 255, 255) in seen


def test_mistakes_picture_with_mnist(mnist_dir, weights_file, tmp_path):
    out = tmp_path / "m.png"
    assert (
        visualize.main(
            [
                "mistakes",
                "--weights",
                str(weights_file),
                "--data",
                str(mnist_dir),
                "--out",
                str(out),
                "--count",
                "12",
                "--columns",
                "6",
            ]
        )
        == 0
    )
    width, height, rgba = decoded(out)
    assert (width, height) == (2 * 12 + 6 * 84 + 5 * 10, 2 * 12 + 2 * (84 + 21) + 10)
    assert len(colours(rgba)) > 20


def test_font_glyphs_are_five_rows_of_equal_width():
    for ch, glyph in visualize.FONT.items():
        assert len(glyph) == 5 and len(set(len(row) for row in glyph)) == 1, ch
    assert visualize.text_width("7>2", 2) == (4 + 6 + 4) * 2 - 2


def test_write_atomic_keeps_the_old_file_on_failure(tmp_path):
    from tinynet.support import files

    path = tmp_path / "out.png"
    files.write_atomic(path, b"old")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    with pytest.raises(TypeError):
        files.write_atomic(path, "not bytes")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_visualize_all_without_mnist_writes_nothing_and_says_so_in_one_line(tmp_path):
    r = run(["-m", "tinynet.visualize", "all"], cwd=tmp_path, env=clean_env(PYTHONPATH=str(ROOT)))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("error: MNIST not found") and "nothing was written" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_visualize_all_writes_into_the_current_folder(mnist_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert visualize.main(["all", "--data", str(mnist_dir)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "curves.svg",
        "mistakes.png",
        "weights.png",
    ]
    # the shipped weights and their log give exactly the project's pictures (the same pixels:
    # another zlib may compress them into other bytes)
    for name in ("weights.png", "mistakes.png"):
        assert decoded(tmp_path / name) == decoded(DOCS / name), name
    assert (tmp_path / "curves.svg").read_bytes() == (DOCS / "curves.svg").read_bytes()


def test_the_pictures_in_docs_decode():
    width, height, rgba = decoded(DOCS / "weights.png")
    assert (width, height) == (752, 848) and len(colours(rgba)) > 100
    width, height, rgba = decoded(DOCS / "mistakes.png")
    assert width > 500 and height > 300 and len(colours(rgba)) > 20
    root = ET.parse(str(DOCS / "curves.svg")).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}polyline")) == 3


def test_a_reader_that_stops_early_gets_no_traceback():
    # `python -m tinynet.gradcheck | head -1`: the pipe closes before the table is written
    p = subprocess.Popen(
        [sys.executable, "-m", "tinynet.gradcheck"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141
    assert "Traceback" not in err and "Exception ignored" not in err
