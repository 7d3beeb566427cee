"""The package carries what it needs: the shipped weights and the example digit are found both in
a clone (pretrained/ at the top) and installed (tinynet/pretrained/ inside the package), and
pyproject.toml puts every shipped file into the wheel. (.ci/run builds and installs the real
wheel and runs the commands from an empty folder.)"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tinynet import explain, weights

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.name for p in (ROOT / "pretrained").iterdir() if p.is_file())

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
    patterns = re.search(r'^"tinynet\.pretrained" = \[(.*)\]$', text, re.M).group(1)
    suffixes = [p.strip().strip('"').lstrip("*") for p in patterns.split(",")]
    assert all(any(name.endswith(s) for s in suffixes) for name in SHIPPED), (SHIPPED, suffixes)
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
