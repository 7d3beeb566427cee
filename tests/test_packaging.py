"""The package carries what it needs: the shipped weights and the example digit are found both in
a clone (pretrained/ at the top) and installed (tinynet/pretrained/ inside the package), and
pyproject.toml puts every shipped file into the wheel. (.ci/run builds and installs the real
wheel and runs the commands from an empty folder.)"""

import fnmatch
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tinynet import __main__ as front
from tinynet import explain, weights

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.name for p in (ROOT / "pretrained").iterdir() if p.is_file())
EXAMPLE_FILES = sorted(p.name for p in (ROOT / "examples").iterdir() if front.is_example(p))

SHOW_PATHS = (
    "from tinynet import explain, weights; "
    "print(weights.PRETRAINED); print(explain.EXAMPLE); "
    "net = weights.load(); print(explain.example_digit()[1])"
)


def show_paths(top, cwd):
    """PRETRAINED, EXAMPLE and the example's digit, as a tinynet found in `top` sees them."""
    r = subprocess.run(
        [sys.executable, "-c", SHOW_PATHS],
        capture_output=True,
        text=True,
        cwd=str(cwd),
        env={"PYTHONPATH": str(top), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    pretrained, example, digit = r.stdout.split("\n")[:3]
    return Path(pretrained), Path(example), digit


def test_the_shipped_files_are_there():
    assert "tinynet-784-16-16-10.json" in SHIPPED and "digit.json" in SHIPPED
    assert weights.PRETRAINED == ROOT / "pretrained" / "tinynet-784-16-16-10.json"
    assert explain.EXAMPLE == ROOT / "pretrained" / "digit.json"
    assert weights.shipped_file("digit.json") == explain.EXAMPLE


def test_installed_the_files_are_found_inside_the_package(tmp_path):
    site = tmp_path / "site-packages"
    shutil.copytree(str(ROOT / "tinynet"), str(site / "tinynet"))
    shutil.copytree(str(ROOT / "pretrained"), str(site / "tinynet" / "pretrained"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pretrained, example, digit = show_paths(site, elsewhere)
    assert pretrained == site / "tinynet" / "pretrained" / "tinynet-784-16-16-10.json"
    assert example == site / "tinynet" / "pretrained" / "digit.json"
    assert digit == "7"
    assert list(elsewhere.iterdir()) == []


def test_in_a_clone_the_files_are_found_at_the_top(tmp_path):
    clone = tmp_path / "clone"
    shutil.copytree(str(ROOT / "tinynet"), str(clone / "tinynet"))
    shutil.copytree(str(ROOT / "pretrained"), str(clone / "pretrained"))
    pretrained, example, digit = show_paths(clone, tmp_path)
    assert pretrained == clone / "pretrained" / "tinynet-784-16-16-10.json"
    assert example == clone / "pretrained" / "digit.json"
    assert digit == "7"


def test_pyproject_puts_every_shipped_file_into_the_wheel():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^"tinynet\.pretrained" = "pretrained"$', text, re.M)
    assert re.search(r'packages = \[[^\]]*"tinynet\.pretrained"', text)
    patterns = re.search(r'^"tinynet\.pretrained" = \[(.*?)\]$', text, re.M | re.S).group(1)
    patterns = [p.strip().strip('"') for p in patterns.split(",") if p.strip()]
    suffixes = [p.lstrip("*") for p in patterns if "/" not in p]
    assert all(any(name.endswith(s) for s in suffixes) for name in SHIPPED), (SHIPPED, suffixes)
    # and the example images, as data beside pretrained/ (../examples/ seen from there)
    examples = [p for p in patterns if p.startswith("../examples/")]
    for image in EXAMPLE_FILES:
        assert any(fnmatch.fnmatch(f"../examples/{image}", p) for p in examples), image
    # every package under tinynet/ is listed
    listed = set(re.findall(r'"(tinynet(?:\.\w+)*)"', text))
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "tinynet").rglob("__init__.py")
    }
    assert found <= listed, found - listed


def test_the_license_is_mit_in_both_places():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license = "MIT"$', text, re.M)
    assert re.search(r'^license-files = \["LICENSE"\]$', text, re.M)
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the tinynet authors" in license_text


def build_wheel(tmp_path):
    """The wheel pip builds from a copy of the project (a build leaves build/ behind)."""
    src = tmp_path / "src"
    for name in ("tinynet", "pretrained", "examples"):
        shutil.copytree(str(ROOT / name), str(src / name), ignore=shutil.ignore_patterns("__py*"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(str(ROOT / name), str(src / name))
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if r.returncode != 0 and "No matching distribution found for setuptools" in r.stderr:
        pytest.skip("pip cannot fetch setuptools to build the wheel (offline?)")
    assert r.returncode == 0, r.stderr
    (wheel,) = tmp_path.glob("tinynet-*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_holds_the_examples_the_entry_point_and_the_version(tmp_path):
    import tinynet

    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(str(wheel)) as z:
        names = z.namelist()
        for image in EXAMPLE_FILES:
            packed = z.read(f"tinynet/examples/{image}")
            assert packed == (ROOT / "examples" / image).read_bytes(), image
        assert [n for n in names if n.startswith("tinynet/examples/")] == sorted(
            f"tinynet/examples/{image}" for image in EXAMPLE_FILES
        ), "only the images, their README and step_through.py (no other examples/*.py)"
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = z.read(info).decode("utf-8")
        entry_points = z.read(info.replace("METADATA", "entry_points.txt")).decode("utf-8")
        z.extractall(str(tmp_path / "site"))
    assert f"\nVersion: {tinynet.__version__}\n" in metadata
    for field in ("Author: ", "Project-URL: Homepage, ", "Project-URL: Issues, ", "Keywords: "):
        assert f"\n{field}" in metadata, field
    assert "Classifier: Programming Language :: Python :: Implementation :: PyPy" in metadata
    assert "[console_scripts]\ntinynet = tinynet.__main__:main" in entry_points
    # installed (unpacked), run from an empty folder: the examples are found inside the package
    empty = tmp_path / "empty"
    empty.mkdir()
    r = subprocess.run(
        [sys.executable, "-c", "import sys; from tinynet.__main__ import main; sys.exit(main())"]
        + ["examples", "here"],
        capture_output=True,
        text=True,
        cwd=str(empty),
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"here/{image}" for image in EXAMPLE_FILES]
    assert (empty / "here" / "seven-ink-on-paper.png").read_bytes() == (
        ROOT / "examples" / "seven-ink-on-paper.png"
    ).read_bytes()
    # the copied step_through.py runs on the installed package: one step, stage 1 to 8
    step = subprocess.run(
        [sys.executable, str(empty / "here" / "step_through.py")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=str(empty),
        env={
            "PYTHONPATH": str(tmp_path / "site"),
            "PATH": "/usr/bin:/bin",
            "PYTHONIOENCODING": "utf-8",
        },
        timeout=120,
    )
    assert step.returncode == 0 and "STAGE 8" in step.stdout, step.stderr[-2000:]
