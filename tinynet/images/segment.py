"""Find the separate digits of a whole number ("2026", a house number) in an ink image.

The ink image is the one ``preprocess.ink_image`` makes (0 = paper ... 255 = ink, noise
already removed, at most 512 pixels a side).  Three steps, each a plain function:

1. ``components``: groups of connected ink.  Every row is cut into *runs* of ink (bytes.strip
   and a regular expression do that in C); a run touches a run of the row above if they
   overlap or meet at a corner (8-connectivity).  Touching runs are joined with union-find, so
   time and memory grow with the number of runs, never with a recursion depth.
2. ``group_pieces``: pieces of one digit are put back together: a 5 whose top bar is
   detached, a 4 drawn in two strokes, a stroke broken by chalk or a faint pen.  Two groups
   are one digit when they overlap in x by at least ``OVERLAP`` of the narrower one and one of
   them is clearly shorter than a whole digit (below ``PIECE_HEIGHT`` of the tallest group)
   or they lie one above the other; a small piece (below ``SMALL_PIECE`` of the tallest)
   that overlaps nothing joins its nearest neighbour when the gap is under ``NEAR`` of the
   tallest height; and a group shorter than ``PIECE_HEIGHT`` of its neighbour, nearly touching
   it (gap under ``TOUCH`` of the tallest height), joins it if together they are no wider than
   tall (the two strokes of an open 4).  Groups still tiny after that (less than
   ``SPECK_MASS`` of the heaviest group's ink) are specks of dust or noise and are dropped.
3. ``digit_rows``: each digit's ink alone (other digits' ink inside its box left out), cropped
   to its box, ready for ``preprocess.prepare_digit``.

``find_digits(width, height, ink)`` runs all three and returns the digits left to right.
"""

import re

OVERLAP = 0.5  # groups overlapping in x by half the narrower one's width ...
PIECE_HEIGHT = 0.75  # ... when one is shorter than 3/4 of the tallest, are one digit
SMALL_PIECE = 0.45  # a piece shorter than this share of the tallest group ...
NEAR = 0.2  # ... joins its neighbour if the gap is under this share of the tallest height
TOUCH = 0.05  # a shorter group this close (share of the tallest height) may be a piece too
SPECK_MASS = 0.03  # groups with less ink than 3% of the heaviest group are specks
MAX_GROUPS = 60  # only the heaviest groups are considered (bounded work on noisy images)

INK_RUN = re.compile(rb"[^\x00]+")


def ink_runs(width, height, ink):
    """Every run of ink, row by row: a list of ``(y, start, end)``, ``end`` exclusive."""
    runs = []
    for y in range(height):
        row = ink[y * width : (y + 1) * width]
        if row.strip(b"\0"):
            runs.extend((y, m.start(), m.end()) for m in INK_RUN.finditer(row))
    return runs


def find(parent, i):
    """The root of i's set in a union-find forest (halving the path on the way)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def components(width, height, ink):
    """Groups of 8-connected ink, as dicts: box [x0, y0, x1, y1) and "mass" (sum of ink), and
    "runs": their (y, start, end) runs."""
    runs = ink_runs(width, height, ink)
    parent = list(range(len(runs)))
    above_first = above_end = 0  # the runs of the row above: runs[above_first:above_end]
    i = 0
    while i < len(runs):
        y = runs[i][0]
        row_end = i
        while row_end < len(runs) and runs[row_end][0] == y:
            row_end += 1
        if above_end > above_first and runs[above_first][0] == y - 1:
            a = above_first
            for r in range(i, row_end):
                _, start, end = runs[r]
                # runs touch (8-connected) when start <= a_end and a_start <= end
                while a < above_end and runs[a][2] < start:
                    a += 1
                b = a
                while b < above_end and runs[b][1] <= end:
                    root_r, root_b = find(parent, r), find(parent, b)
                    if root_r != root_b:
                        parent[root_b] = root_r
                    b += 1
        above_first, above_end = i, row_end
        i = row_end
    groups = {}
    for r, (y, start, end) in enumerate(runs):
        root = find(parent, r)
        g = groups.get(root)
        mass = sum(ink[y * width + start : y * width + end])
        if g is None:
            groups[root] = {"box": [start, y, end, y + 1], "mass": mass, "runs": [(y, start, end)]}
        else:
            box = g["box"]
            box[0], box[2], box[3] = min(box[0], start), max(box[2], end), y + 1
            g["mass"] += mass
            g["runs"].append((y, start, end))
    return list(groups.values())


def merged(a, b):
    """One group made of groups a and b."""
    return {
        "box": [
            min(a["box"][0], b["box"][0]),
            min(a["box"][1], b["box"][1]),
            max(a["box"][2], b["box"][2]),
            max(a["box"][3], b["box"][3]),
        ],
        "mass": a["mass"] + b["mass"],
        "runs": a["runs"] + b["runs"],
    }


def one_digit(a, b, tallest):
    """True if groups a and b look like pieces of one digit (see the module docstring)."""
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a["box"], b["box"]
    overlap_x = min(ax1, bx1) - max(ax0, bx0)
    narrower = min(ax1 - ax0, bx1 - bx0)
    shorter = min(ay1 - ay0, by1 - by0)
    if overlap_x >= OVERLAP * narrower:
        stacked = min(ay1, by1) - max(ay0, by0) <= 0.25 * shorter  # little overlap in y
        return shorter < PIECE_HEIGHT * tallest or stacked
    gap = max(ax0, bx0) - min(ax1, bx1)  # > 0: the gap between them in x
    if shorter < SMALL_PIECE * tallest:
        return gap <= NEAR * tallest
    if shorter < PIECE_HEIGHT * max(ay1 - ay0, by1 - by0) and gap <= TOUCH * tallest:
        # nearly touching, one clearly shorter: one digit if together they are no wider than
        # tall (two digits side by side are wider than tall)
        return max(ax1, bx1) - min(ax0, bx0) <= max(ay1, by1) - min(ay0, by0)
    return False


def group_pieces(groups):
    """Pieces of one digit merged, specks dropped; the digits sorted left to right."""
    groups = sorted(groups, key=lambda g: -g["mass"])[:MAX_GROUPS]
    changed = True
    while changed and len(groups) > 1:
        changed = False
        tallest = max(g["box"][3] - g["box"][1] for g in groups)
        for i in range(len(groups)):
            # the best partner: the nearest one in x among those that form one digit with it
            partners = [
                j for j in range(len(groups)) if j != i and one_digit(groups[i], groups[j], tallest)
            ]
            if partners:
                j = min(partners, key=lambda j: centre_distance(groups[i], groups[j]))
                groups[i] = merged(groups[i], groups[j])
                del groups[j]
                changed = True
                break
    heaviest = max(g["mass"] for g in groups) if groups else 0
    digits = [g for g in groups if g["mass"] >= SPECK_MASS * heaviest]
    return sorted(digits, key=lambda g: g["box"][0] + g["box"][2])


def centre_distance(a, b):
    """How far apart the boxes' centres are in x."""
    return abs((a["box"][0] + a["box"][2]) - (b["box"][0] + b["box"][2])) / 2


def digit_rows(width, ink, group):
    """The group's own ink inside its box, as a list of bytes rows (other ink left out)."""
    x0, y0, x1, y1 = group["box"]
    rows = [bytearray(x1 - x0) for _ in range(y1 - y0)]
    for y, start, end in group["runs"]:
        rows[y - y0][start - x0 : end - x0] = ink[y * width + start : y * width + end]
    return [bytes(row) for row in rows]


def find_digits(width, height, ink):
    """The digits in an ink image, left to right: a list of (box, rows) -- box = [x0, y0, x1,
    y1) in the ink image, rows = that digit's cropped ink (see ``digit_rows``)."""
    return [
        (g["box"], digit_rows(width, ink, g)) for g in group_pieces(components(width, height, ink))
    ]
