"""The README and the guide in docs/ stay true: every relative link resolves, the README stays a
map a learner reads in five minutes, every `network.py:N` / `network.py(N)` / `formulas.py:N`
points at the line the text says it does, and the README's test command is the one CI runs.

A reference to a line must say what is there, in one of these ways, and the test checks it:

- a pdb stop, `> .../tinynet/network.py(190)backprop()` followed by `-> CODE`: line 190 is CODE
  and lies inside `backprop` (the same for formulas.py and examples/step_through.py);
- a table row `| ... | tinynet/network.py:NNN | `CODE` |`: line NNN contains CODE;
- a BP label next to it, `(BP1) network.py:190` or `network.py:199 (BP2)`: the line holds the
  code marked `# (BP2)`;
- `Breakpoint 1 at .../network.py:190` or `(Pdb) b tinynet/network.py:190` in a pdb session:
  the same session stops at that line (a stop checked as above);
- a line of step_through's own output in a session (`STAGE 3  the cost C   (network.cost,
  tinynet/network.py:170)`): the script, run now, prints that very line (it finds the lines
  by their text);
- else the first `code` after it on the line (or the next line): the line contains that code,
  or it is the name of the function the line lies in.
A reference that says none of these fails: it could not be checked.
"""

import ast
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
STEP_THROUGH = ROOT / "examples" / "step_through.py"
MARKDOWN = [README, *sorted(DOCS.glob("*.md")), ROOT / "examples" / "README.md"]
SOURCES = {
    "network.py": ROOT / "tinynet" / "network.py",
    "formulas.py": ROOT / "tinynet" / "formulas.py",
    "step_through.py": STEP_THROUGH,
}

# ---------------------------------------------------------------------------------------------
# Markdown: headings, their GitHub anchors, and links
# ---------------------------------------------------------------------------------------------


def prose_lines(text):
    """(number, line) of the lines outside fenced code blocks."""
    fenced = False
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield n, line


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]|<[^>]+>", "", heading.strip()).lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors(text):
    """Every heading's anchor in a Markdown text (a repeated one gets -1, -2… as on GitHub)."""
    seen = {}
    found = set()
    for _, line in prose_lines(text):
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m and not line.startswith("    "):
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n:d}")
    return found


LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def links(text):
    """(line number, target) of every Markdown link and image outside code."""
    for n, line in prose_lines(text):
        if line.startswith("    ") and not line.lstrip().startswith(("-", "*", "|", "[", "!")):
            continue  # an indented code block
        for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
            yield n, target


def broken_links(path, root=ROOT):
    """The relative links of one Markdown file that lead nowhere, as 'FILE:N: why' lines."""
    problems = []
    for n, target in links(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check
            continue
        file_part, _, anchor = target.partition("#")
        goal = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(root).as_posix()}:{n:d}: {target}"
        if not goal.exists():
            problems.append(f"{where}: no such file")
        elif (
            anchor
            and goal.suffix == ".md"
            and anchor not in anchors(goal.read_text(encoding="utf-8"))
        ):
            problems.append(f"{where}: no heading with the anchor #{anchor}")
    return problems


def test_every_relative_link_resolves():
    problems = [p for path in MARKDOWN for p in broken_links(path)]
    assert not problems, "\n".join(problems)


def test_the_guide_has_its_pages_and_the_readme_links_to_each():
    pages = {p.name for p in DOCS.glob("*.md")}
    wanted = {
        "README.md",
        "learning.md",
        "reading-digits.md",
        "draw-and-teach.md",
        "training.md",
        "files-and-limits.md",
        "developing.md",
    }
    assert wanted <= pages
    readme_targets = {t.partition("#")[0] for _, t in links(README.read_text(encoding="utf-8"))}
    index_targets = {
        t.partition("#")[0] for _, t in links((DOCS / "README.md").read_text(encoding="utf-8"))
    }
    for page in wanted - {"README.md"}:
        assert f"docs/{page}" in readme_targets, f"README.md does not link to docs/{page}"
        assert page in index_targets, f"docs/README.md does not link to {page}"


def test_a_broken_link_or_anchor_is_found(tmp_path):
    (tmp_path / "there.md").write_text("# A heading: with `code`, too\n\n## Twice\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md#a-heading-with-code-too) [ok](there.md#twice-1) [ok](#mine)\n"
        "# Mine\n[gone](nowhere.md) [bad anchor](there.md#nope) `[in code](ignored.md)`\n"
        "```\n[in a block](ignored.md)\n```\n![pic](missing.png) [web](https://example.org/x)\n"
    )
    assert broken_links(page, tmp_path) == [
        "page.md:3: nowhere.md: no such file",
        "page.md:3: there.md#nope: no heading with the anchor #nope",
        "page.md:7: missing.png: no such file",
    ]


@given(
    st.text(
        st.characters(exclude_categories=("C", "Zl", "Zp"), exclude_characters="#`<"), min_size=1
    )
)
def test_a_heading_is_found_by_its_own_anchor(words):
    heading = "## " + words
    a = slug(words)
    assert a == a.lower() and " " not in a
    if words.strip():
        assert a in anchors(heading + "\n")


# ---------------------------------------------------------------------------------------------
# The README: a map a learner reads in five minutes, with the test command CI runs
# ---------------------------------------------------------------------------------------------


def test_the_readme_is_at_most_300_lines():
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= 300, f"README.md has {n:d} lines; the reference material belongs in docs/"


def test_the_readmes_test_command_is_the_one_ci_runs():
    readme = README.read_text(encoding="utf-8").splitlines()
    assert "python -m pytest" in [line.strip() for line in readme], (
        "README.md must show the test command `python -m pytest` on a line of its own"
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    runs = [
        shlex.split(line, comments=True)
        for line in ci.splitlines()
        if re.search(r"-m pytest\b", line) and not line.lstrip().startswith("#")
    ]
    assert runs, ".ci/run runs no `python -m pytest`"
    for words in runs:
        i = words.index("-m")
        assert words[i : i + 2] == ["-m", "pytest"] and words[i - 1].endswith("python")
        assert words[i + 2 : i + 3] in ([], ["||"]), f".ci/run gives pytest more: {words}"


# ---------------------------------------------------------------------------------------------
# Line references: network.py:N, network.py(N), formulas.py:N
# ---------------------------------------------------------------------------------------------

REFERENCE = re.compile(r"\b(network\.py|formulas\.py|step_through\.py)(?::(\d+)|\((\d+)\))")
STOP = re.compile(r"^> \S*?(network\.py|formulas\.py|step_through\.py)\((\d+)\)(\w+)\(\)\s*$")


@cache
def source(name):
    """(lines, {function name: [(first, last line), ...]}) of one of SOURCES."""
    text = SOURCES[name].read_text(encoding="utf-8")
    spans = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.setdefault(node.name, []).append((node.lineno, node.end_lineno))
    return text.splitlines(), spans


def line(name, n):
    lines, _ = source(name)
    assert 1 <= n <= len(lines), f"{name} has no line {n:d} (it has {len(lines):d})"
    return lines[n - 1]


def inside(name, n, function):
    return any(a <= n <= b for a, b in source(name)[1].get(function, []))


def check_stop(name, n, function, next_line):
    """A pdb stop `> .../NAME(N)FUNCTION()` followed by `-> CODE`."""
    assert next_line.startswith("-> "), f"a pdb stop at {name}({n:d}) without its `-> ` line"
    code = next_line[3:].strip()
    assert line(name, n).strip() == code, (
        f"the session stops at {name}({n:d}) on {code!r}, but that line is {line(name, n)!r}"
    )
    assert inside(name, n, function), f"{name}:{n:d} is not inside {function}()"


def check_table_row(row, name, n):
    """The README's former table of where each formula lives: the last `code` is at line n."""
    code = re.findall(r"`([^`]+)`", row)[-1]  # the last `code` in the row
    assert code in line(name, n), (
        f"the table says {code!r} is at {name}:{n:d}, which is {line(name, n)!r}"
    )
    functions = [c for c in re.findall(r"`(\w+)`", row) if c in source(name)[1]]
    for function in functions:
        assert inside(name, n, function), f"{name}:{n:d} is not inside {function}()"


def check_reference(text, m, next_line, stops):
    """One reference in prose, a docstring or a session: what it claims, checked. Returns the
    kind of claim it made."""
    name, n = m.group(1), int(m.group(2) or m.group(3))
    before, after = text[: m.start()], text[m.end() :]
    label = re.match(r"[`\s]*\(?(BP\d)\b", after) or re.search(
        r"\(?(BP\d)\)?,?\s*(?:at\s+)?[\w./]*$", before
    )
    if label:
        assert f"({label.group(1)})" in line(name, n), (
            f"{name}:{n:d} is said to be {label.group(1)}, but it is {line(name, n)!r}"
        )
        return "label"
    if re.match(r"\s*(\(Pdb\) b |Breakpoint \d+ at )", text):
        assert (name, n) in stops, (
            f"the session sets a breakpoint at {name}:{n:d} but never stops there"
        )
        return "breakpoint"
    spans = [
        s
        for s in re.finditer(r"`([^`]+)`", text + " " + next_line)
        if s.start() >= m.end() - 1 and not REFERENCE.search(s.group(1))
    ]
    assert spans, f"nothing says what is at {name}:{n:d}: {text.strip()!r}"
    code = spans[0].group(1)
    assert code in line(name, n) or inside(name, n, code), (
        f"the text says `{code}` is at {name}:{n:d}, which is {line(name, n)!r}"
    )
    return "code"


def check_references(path):
    """Every line reference in one file, checked; returns {kind of claim: how many}."""
    lines = path.read_text(encoding="utf-8").splitlines() + [""]
    stops = set()
    for k, text in enumerate(lines[:-1]):
        m = STOP.match(text)
        if m:
            check_stop(m.group(1), int(m.group(2)), m.group(3), lines[k + 1])
            stops.add((m.group(1), int(m.group(2))))
    kinds = {"stop": len(stops)}
    for k, text in enumerate(lines[:-1]):
        if STOP.match(text) or text.startswith("STAGE "):
            continue  # (a STAGE line is step_through's output: test_the_stage_lines_...)
        for m in REFERENCE.finditer(text):
            if text.startswith("|"):
                check_table_row(text, m.group(1), int(m.group(2) or m.group(3)))
                kind = "table"
            else:
                kind = check_reference(text, m, lines[k + 1], stops)
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def test_every_line_reference_points_at_what_the_text_says():
    found = {p.relative_to(ROOT).as_posix(): check_references(p) for p in [*MARKDOWN, STEP_THROUGH]}
    # and the references are really there to be checked (a regex that matched nothing would pass)
    assert found["README.md"].get("label", 0) >= 4  # BP1–BP4
    assert found["docs/learning.md"]["stop"] >= 6  # the pdb session
    assert found["docs/learning.md"].get("table", 0) >= 14  # the table of formula lines
    assert found["docs/learning.md"].get("breakpoint", 0) >= 4
    assert found["examples/step_through.py"].get("label", 0) >= 1


def test_the_stage_lines_of_the_pdb_session_are_what_step_through_prints_now(tmp_path):
    shown = [
        text
        for path in MARKDOWN
        for text in path.read_text(encoding="utf-8").splitlines()
        if text.startswith("STAGE ")
    ]
    assert len(shown) >= 4
    env = {k: v for k, v in os.environ.items() if k != "TINYNET_DATA"}
    r = subprocess.run(
        [sys.executable, str(STEP_THROUGH)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    printed = set(r.stdout.splitlines())
    for text in shown:
        assert text in printed, f"step_through.py no longer prints {text!r}"


def test_the_pdb_session_stops_at_bp1_and_bp2_in_backprop():
    text = (DOCS / "learning.md").read_text(encoding="utf-8")
    stops = [m.groups() for m in map(STOP.match, text.splitlines()) if m]
    assert ("network.py", str(where("# (BP1)")), "backprop") in stops
    assert ("network.py", str(where("# (BP2)")), "backprop") in stops


def where(code):
    """The number of network.py's first line holding `code` (so these tests need no numbers)."""
    lines = (ROOT / "tinynet" / "network.py").read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if code in text)


STALE = [  # (a true reference, the same shifted by a line), one of each kind of claim
    (
        "> .../tinynet/network.py({n})backprop()\n"
        "-> delta[-1] = output_delta(a[-1], y, z[-1], cost, net.output)  # (BP1)\n",
        where("# (BP1)"),
    ),
    ("    δ = ...   (BP2)   network.py:{n}\n", where("# (BP2)")),
    (
        "stage 2, at network.py:{n} (`total += w[i][j] * a_prev[j]`)\n",
        where("total += w[i][j] * a_prev[j]"),
    ),
    (
        "| BP3 | ∂C/∂b = δ | `backprop` | tinynet/network.py:{n} | `dC_db = [list(` |\n",
        where("dC_db = [list("),
    ),
    (
        "> .../tinynet/network.py(190)backprop()\n-> x\n"
        "Breakpoint 1 at .../tinynet/network.py:{n}\n",
        where("# (BP1)"),
    ),
]


def test_a_stale_reference_is_caught(tmp_path):
    """Shift a reference by one line, and the check fails, whichever way it was claimed."""
    path = tmp_path / "doc.md"
    for text, n in STALE:
        if "-> x" not in text:
            path.write_text(text.format(n=n), encoding="utf-8")
            check_references(path)
        for shifted in (n - 1, n + 1):
            path.write_text(text.format(n=shifted), encoding="utf-8")
            try:
                check_references(path)
            except AssertionError:
                continue
            raise AssertionError(f"a stale reference passed: {text.format(n=shifted)!r}")


def test_a_reference_that_claims_nothing_fails(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("see network.py:190 for yourself\n", encoding="utf-8")
    try:
        check_references(path)
    except AssertionError as e:
        assert "nothing says what is at network.py:190" in str(e)
    else:
        raise AssertionError("a reference with no claim passed")


# ---------------------------------------------------------------------------------------------
# The table of where each formula lives in network.py (it was the README's; now in the guide)
# ---------------------------------------------------------------------------------------------


def test_the_table_of_formula_lines_points_at_the_formulas():
    lines = (ROOT / "tinynet" / "network.py").read_text(encoding="utf-8").splitlines()
    guide = (DOCS / "learning.md").read_text(encoding="utf-8")
    # The table's rows, wherever the table is (a renamed heading must not hide it).
    rows = [r for r in guide.splitlines() if r.startswith("|") and "network.py:" in r]
    names = [r.split("|")[1].strip() for r in rows]
    for name in ("BP1", "BP2", "BP3", "BP4", "update, weights", "feedforward, weighted input"):
        assert name in names, f"docs/learning.md's table of formula lines has no row {name!r}"
    for row in rows:
        number = int(re.search(r"network\.py:(\d+)", row).group(1))
        code = re.findall(r"`([^`]+)`", row)[-1]  # the last `code` in the row
        assert code in lines[number - 1], (
            f"docs/learning.md says {code!r} is at network.py:{number:d}, "
            f"which is {lines[number - 1]!r}"
        )
