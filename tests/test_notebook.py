"""examples/lesson.ipynb runs from a clean kernel without an error, with MNIST and without, and
its stored outputs are what running it gives now.

The notebook is written and run by examples/make_lesson.py; the comparison uses its
`normalised`: execution counts, output metadata and timing are dropped, memory addresses
(0x7f…) become "0x…", and PNG pictures (also those inside SVGs) are compared by their decoded
size and pixels, not by their compressed bytes. Everything else must be equal, character for
character: the cells' sources (so make_lesson.py and lesson.ipynb agree), every printed line,
every SVG.

Needs nbclient, nbformat and ipykernel (`pip install -e '.[notebook]'`); without them the tests
skip, except under CI (CI=true) on CPython, where they fail saying what is missing.
"""

import os
import platform

import pytest

from examples import make_lesson

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
MISSING = "the notebook tests need nbclient, nbformat and ipykernel: pip install -e '.[notebook]'"


@pytest.fixture(scope="module")
def nbformat():
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401
        import nbformat
    except ImportError as e:
        if IN_CI and platform.python_implementation() == "CPython":
            pytest.fail(f"{MISSING} (CI=true makes them required; {e})")
        pytest.skip(MISSING)
    return nbformat


def first_difference(stored, fresh):
    """A message naming the first cell whose source or outputs differ, or None."""
    if len(stored) != len(fresh):
        return f"{len(stored)} cells stored, {len(fresh)} made by make_lesson.py"
    for n, (a, b) in enumerate(zip(stored, fresh)):
        if a != b:
            what = "source" if a[:2] != b[:2] else "outputs"
            return f"cell {n} ({b[1][:40]!r}…): the {what} differ:\nstored: {a}\nnow:    {b}"
    return None


REMAKE = "; run `python examples/make_lesson.py` (with MNIST) and commit examples/lesson.ipynb"


@pytest.mark.slow
def test_the_lesson_runs_and_its_stored_outputs_are_current(nbformat, mnist_dir):
    stored = nbformat.read(str(make_lesson.NOTEBOOK), as_version=4)
    fresh = make_lesson.execute(
        make_lesson.build(), {"TINYNET_DATA": str(mnist_dir), "PYTHONPATH": str(make_lesson.ROOT)}
    )
    problem = first_difference(make_lesson.normalised(stored), make_lesson.normalised(fresh))
    assert problem is None, problem + REMAKE
    assert not [o for c in fresh.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]


@pytest.mark.slow
def test_the_lesson_runs_without_mnist(nbformat, tmp_path):
    (tmp_path / "empty").mkdir()
    fresh = make_lesson.execute(
        make_lesson.build(),
        {"TINYNET_DATA": str(tmp_path / "empty"), "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    stored = nbformat.read(str(make_lesson.NOTEBOOK), as_version=4)
    problem = first_difference(
        make_lesson.normalised(stored, skip_tag="mnist"),
        make_lesson.normalised(fresh, skip_tag="mnist"),
    )
    assert problem is None, problem + REMAKE
    printed = "".join("".join(o.get("text", "")) for c in fresh.cells for o in c.get("outputs", []))
    assert "MNIST was not found" in printed and "TINYNET_DATA" in printed
    assert "example digits right" in printed  # trained on the bundled digits instead
    assert "the example 7, moved 4 pixels left: a 7, read as" in printed
