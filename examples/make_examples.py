"""Draw the example digit pictures in this folder:  python examples/make_examples.py

How these images are made (honestly)
------------------------------------
None of them is a photo or a scan, and none is taken from MNIST: this script
never reads MNIST or any other data set.  Every digit is *drawn by this
program*, the way a very simple single-stroke handwriting font would draw it:

1. Each digit 0-9 is a few pen strokes in a unit box (x to the right, y
   down): lines and elliptical arcs, e.g. 0 is an ellipse, 7 a bar and a
   diagonal, 8 one figure-eight stroke, 9 a loop and a tail.  Arc sizes and
   line ends are jittered a little with a seeded random generator.
2. The strokes are resampled into short segments and given a slow random
   wobble along their length, then slanted, rotated, and stretched a bit
   (random slant, rotation of a few degrees, small scale changes), and placed
   in the picture at the chosen size and position.
3. They are drawn with a round pen whose width is 10-12 % of the digit's
   height (as in real handwriting and in MNIST), with a slowly varying
   pressure.  Anti-aliasing: a pixel's ink coverage is how far its centre is
   inside the pen, clipped to 0..1 (distance from the pixel centre to the
   nearest segment); only the pixels inside each segment's bounding box are
   visited.
4. The coverage is laid onto a background -- white or cream paper, a
   blackboard, transparent pixels, an unevenly lit "photo" of paper -- with
   made-up textures (smooth value noise, chalk grain, sensor noise), and
   written with tinynet's own PNG and PGM encoders in the file format under
   test (palette, 16-bit grey, grey+alpha, Adam7 interlacing, 1-bit, ...).

Everything comes from ``random.Random(seed)`` with a fixed seed per file, so
running the script again writes exactly the same bytes.  Each file is
written to a temporary file first and then renamed into place.  The first
word of every file name is the digit it shows ("seven-..." shows a 7).

``make_all(out_dir)`` writes every file; ``make(name, out_dir)`` writes one.
"""

import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tinynet.images import png, pnm  # noqa: E402  (after the sys.path set-up)

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


# ---------------------------------------------------------------------------
# Digit shapes: strokes in a unit box, x to the right, y down
# ---------------------------------------------------------------------------


def arc(cx, cy, rx, ry, start, end, steps_per_turn=72):
    """Points on an ellipse from angle `start` to `end` (degrees; y is down,
    so increasing angles go clockwise on the page: 0 right, 90 bottom,
    180 left, 270 top)."""
    steps = max(2, int(abs(end - start) / 360.0 * steps_per_turn) + 1)
    points = []
    for i in range(steps + 1):
        a = math.radians(start + (end - start) * i / steps)
        points.append((cx + rx * math.cos(a), cy + ry * math.sin(a)))
    return points


def shape_0(j):
    rx, ry = j(0.29, 0.04), j(0.47, 0.02)
    start = j(-80, 10)
    return [arc(0.5, 0.5, rx, ry, start, start - j(375, 15))]


def shape_1(j):
    top = (j(0.55, 0.04), j(0.02, 0.02))
    flag = [(j(0.36, 0.04), j(0.2, 0.04)), top]
    return [flag + [(j(0.5, 0.04), j(0.99, 0.01))]]


def shape_2(j):
    hook = arc(0.5, j(0.28, 0.02), j(0.28, 0.03), j(0.26, 0.02), j(195, 10), j(395, 10))
    corner = (j(0.19, 0.03), j(0.98, 0.02))
    return [hook + [corner, (j(0.84, 0.04), j(0.97, 0.02))]]


def shape_3(j):
    top = arc(0.47, 0.26, j(0.27, 0.02), j(0.24, 0.02), j(200, 10), 450)
    bottom = arc(0.47, 0.74, j(0.31, 0.03), j(0.26, 0.02), 270, j(525, 10))
    return [top + [(j(0.4, 0.03), 0.5)] + bottom]


def shape_4(j):
    # The "open top" 4: a left stroke down and across, and a separate upright.
    bar_y = j(0.62, 0.04)
    left = [
        (j(0.26, 0.04), j(0.02, 0.02)),
        (j(0.15, 0.03), bar_y),
        (j(0.86, 0.04), bar_y - j(0.02, 0.02)),
    ]
    upright_x = j(0.66, 0.04)
    upright = [(upright_x, j(0.12, 0.06)), (upright_x - j(0.03, 0.03), j(0.99, 0.01))]
    return [left, upright]


def shape_5(j):
    top = [
        (j(0.8, 0.04), j(0.03, 0.02)),
        (j(0.3, 0.03), j(0.04, 0.02)),
        (j(0.26, 0.03), j(0.45, 0.03)),
    ]
    bowl = arc(0.47, 0.7, j(0.31, 0.03), j(0.28, 0.02), j(225, 10), j(515, 10))
    return [top, bowl]


def shape_6(j):
    stem = arc(0.76, 0.72, 0.5, 0.7, j(266, 2), 180)
    loop = arc(0.5, 0.73, j(0.25, 0.02), j(0.25, 0.02), 180, j(-175, 10))
    return [stem + loop]


def shape_7(j):
    bar = [(j(0.18, 0.04), j(0.05, 0.03)), (j(0.82, 0.03), j(0.03, 0.02))]
    foot = (j(0.42, 0.06), j(0.99, 0.01))
    bend = ((bar[1][0] + foot[0]) / 2 + j(0.02, 0.02), 0.5)
    return [bar + [bend, foot]]


def shape_8(j):
    # One stroke: down-left from the top, across the waist, round the bottom
    # loop, back across the waist and up the right of the top loop.
    top_w, bottom_w, waist = j(0.21, 0.02), j(0.28, 0.03), j(0.45, 0.02)
    points = []
    steps = 120
    for i in range(steps + 1):
        t = 2 * math.pi * (i / steps) * 1.04
        y = 0.5 - 0.5 * math.cos(t)
        y = y / 0.5 * waist if y < 0.5 else waist + (y - 0.5) / 0.5 * (1 - waist)
        lower = math.pi / 2 < t % (2 * math.pi) < 3 * math.pi / 2
        x = 0.5 - (bottom_w if lower else top_w) * math.sin(2 * t)
        points.append((x, y))
    return [points]


def shape_9(j):
    cx, cy = 0.46, 0.29
    rx, ry = j(0.25, 0.02), j(0.27, 0.02)
    loop = arc(cx, cy, rx, ry, 10, j(-355, 10))
    tail = [(cx + rx * j(0.98, 0.02), cy + 0.1), (j(0.64, 0.05), j(0.99, 0.01))]
    return [loop + tail]


SHAPES = (shape_0, shape_1, shape_2, shape_3, shape_4, shape_5, shape_6, shape_7, shape_8, shape_9)


# ---------------------------------------------------------------------------
# From shape to pen path
# ---------------------------------------------------------------------------


def resample(points, step):
    """The polyline `points` as points `step` apart along its length (plus the end)."""
    out = [points[0]]
    carry = 0.0  # how far along the current segment the next sample lies
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        length = math.hypot(bx - ax, by - ay)
        pos = step - carry
        while pos <= length:
            t = pos / length
            out.append((ax + (bx - ax) * t, ay + (by - ay) * t))
            pos += step
        carry = length - (pos - step)
    if math.hypot(out[-1][0] - points[-1][0], out[-1][1] - points[-1][1]) > step * 0.25:
        out.append(points[-1])
    return out


def wave(rng, amplitude):
    """A smooth random function of arc length: two sines with random phases."""
    parts = [
        (amplitude * rng.uniform(0.5, 1.0), rng.uniform(2.0, 5.0), rng.uniform(0, 2 * math.pi)),
        (amplitude * rng.uniform(0.2, 0.5), rng.uniform(6.0, 11.0), rng.uniform(0, 2 * math.pi)),
    ]
    return lambda s: sum(a * math.sin(f * s + p) for a, f, p in parts)


def pen_path(digit, rng, cx, cy, height, pen=0.1, slant=None, rotation=None):
    """The digit's strokes as lists of (x, y, radius) in pixels.

    The digit is `height` pixels tall (before rotation), centred on (cx, cy);
    `pen` is the pen's width as a fraction of the height.
    """
    j = lambda value, spread: value + rng.uniform(-spread, spread)  # noqa: E731
    strokes = SHAPES[digit](j)
    slant = rng.uniform(0.05, 0.3) if slant is None else slant
    rotation = math.radians(rng.uniform(-6, 6) if rotation is None else rotation)
    sx, sy = height * rng.uniform(0.9, 1.1), height * rng.uniform(0.95, 1.03)
    cos_r, sin_r = math.cos(rotation), math.sin(rotation)
    radius = pen * height / 2
    out = []
    for stroke in strokes:
        points = resample(stroke, 0.02)
        wobble_x, wobble_y, pressure = wave(rng, 0.012), wave(rng, 0.012), wave(rng, 0.1)
        s = 0.0
        path = []
        for i, (u, v) in enumerate(points):
            if i:
                s += math.hypot(u - points[i - 1][0], v - points[i - 1][1])
            x = (u - 0.5 + wobble_x(s)) * sx
            y = (v - 0.5 + wobble_y(s)) * sy
            x -= slant * y
            px = cx + x * cos_r - y * sin_r
            py = cy + x * sin_r + y * cos_r
            path.append((px, py, radius * (1.0 + pressure(s))))
        out.append(path)
    return out


def render(strokes, width, height, coverage=None):
    """Ink coverage (0..1 per pixel, row-major list) of the pen path, anti-aliased.

    A pixel whose centre is d pixels from a segment drawn with radius r gets
    coverage r + 0.5 - d, clipped to 0..1; overlapping segments keep the
    largest coverage.  Only pixels in each segment's bounding box are visited.
    """
    cov = [0.0] * (width * height) if coverage is None else coverage
    sqrt = math.sqrt
    for stroke in strokes:
        for (ax, ay, ar), (bx, by, br) in zip(stroke, stroke[1:]):
            reach = max(ar, br) + 0.5
            x0 = max(0, int(math.floor(min(ax, bx) - reach)))
            x1 = min(width - 1, int(math.ceil(max(ax, bx) + reach)))
            y0 = max(0, int(math.floor(min(ay, by) - reach)))
            y1 = min(height - 1, int(math.ceil(max(ay, by) + reach)))
            dx, dy, dr = bx - ax, by - ay, br - ar
            length2 = dx * dx + dy * dy
            for py in range(y0, y1 + 1):
                ey0 = py + 0.5 - ay
                row = py * width
                for px in range(x0, x1 + 1):
                    ex = px + 0.5 - ax
                    t = (ex * dx + ey0 * dy) / length2 if length2 else 0.0
                    if t < 0.0:
                        t = 0.0
                    elif t > 1.0:
                        t = 1.0
                    fx, fy = ex - t * dx, ey0 - t * dy
                    d2 = fx * fx + fy * fy
                    r = ar + t * dr + 0.5
                    if d2 < r * r:
                        c = r - sqrt(d2)
                        if c > 1.0:
                            c = 1.0
                        if c > cov[row + px]:
                            cov[row + px] = c
    return cov


def draw(digit, rng, width, height, cx, cy, digit_height, pen=0.1, **kw):
    """Coverage map of one digit drawn into a width x height picture."""
    return render(pen_path(digit, rng, cx, cy, digit_height, pen, **kw), width, height)


# ---------------------------------------------------------------------------
# Backgrounds and textures
# ---------------------------------------------------------------------------


def value_noise(rng, width, height, cell):
    """Smooth noise in -1..1: random values on a grid `cell` pixels apart, bilinearly blended."""
    gw, gh = width // cell + 2, height // cell + 2
    grid = [[rng.uniform(-1, 1) for _ in range(gw)] for _ in range(gh)]
    out = []
    for y in range(height):
        gy, fy = divmod(y / cell, 1.0)
        top, bottom = grid[int(gy)], grid[int(gy) + 1]
        for x in range(width):
            gx, fx = divmod(x / cell, 1.0)
            i = int(gx)
            a = top[i] + (top[i + 1] - top[i]) * fx
            b = bottom[i] + (bottom[i + 1] - bottom[i]) * fx
            out.append(a + (b - a) * fy)
    return out


def clamp8(v):
    v = int(v + 0.5) if v >= 0 else 0
    return 255 if v > 255 else v


def ink_on_paper(cov, paper, ink, opacity=1.0):
    """RGB samples: per-pixel paper colours (list of (r, g, b)) with ink laid on by coverage."""
    out = []
    ir, ig, ib = ink
    for c, (r, g, b) in zip(cov, paper):
        c *= opacity
        out.append(clamp8(r + (ir - r) * c))
        out.append(clamp8(g + (ig - g) * c))
        out.append(clamp8(b + (ib - b) * c))
    return out


def textured_paper(rng, width, height, colour, strength, cell=24):
    """Paper colour with faint smooth blotches (two octaves of value noise)."""
    coarse = value_noise(rng, width, height, cell)
    fine = value_noise(rng, width, height, max(2, cell // 6))
    r, g, b = colour
    paper = []
    for n1, n2 in zip(coarse, fine):
        k = strength * (0.7 * n1 + 0.3 * n2)
        paper.append((r + k, g + k, b + k * 1.2))
    return paper


# ---------------------------------------------------------------------------
# The pictures, one function each: (rng) -> file bytes
# ---------------------------------------------------------------------------


def seven_ink_on_paper(rng):
    w = h = 300
    cov = draw(7, rng, w, h, cx=170, cy=138, digit_height=190, pen=0.11)
    paper = textured_paper(rng, w, h, (250, 250, 247), 2.0)
    return png.encode(w, h, ink_on_paper(cov, paper, (28, 30, 42)), "RGB", filter_type=2)


def three_chalk_on_blackboard(rng):
    w, h = 320, 240
    cov = draw(3, rng, w, h, cx=150, cy=125, digit_height=170, pen=0.11)
    smudge = value_noise(rng, w, h, 40)
    board = [(38 + 10 * n, 62 + 12 * n, 50 + 9 * n) for n in smudge]
    chalk = []
    for c in cov:
        if c > 0.0:
            grain = rng.random()
            # chalk skips the pits of the board: some pixels get little chalk
            c *= 0.35 if grain < 0.15 else 0.7 + 0.3 * grain
        elif rng.random() < 0.004:
            c = rng.uniform(0.05, 0.15)  # faint chalk dust
        chalk.append(c)
    return png.encode(w, h, ink_on_paper(chalk, board, (236, 238, 228)), "RGB", filter_type=1)


def two_blue_ink_on_cream(rng):
    w = h = 300
    cov = draw(2, rng, w, h, cx=146, cy=156, digit_height=200, pen=0.105)
    paper = textured_paper(rng, w, h, (246, 236, 206), 4.0)
    return png.encode(w, h, ink_on_paper(cov, paper, (22, 48, 150), 0.95), "RGB", filter_type=2)


def five_transparent(rng):
    w = h = 256
    cov = draw(5, rng, w, h, cx=128, cy=124, digit_height=180, pen=0.11)
    # as drawing apps export a black brush on a transparent layer: every pixel
    # is black; only the alpha channel says where the ink is
    rgba = []
    for c in cov:
        rgba.extend((0, 0, 0, clamp8(255 * c)))
    return png.encode(w, h, rgba, "RGBA", filter_type=1)


def zero_small(rng):
    w = h = 24
    cov = draw(0, rng, w, h, cx=12, cy=12, digit_height=18, pen=0.12)
    return png.encode(w, h, [clamp8(255 - 235 * c) for c in cov], "L")


def eight_large(rng):
    w, h = 1200, 900
    cov = draw(8, rng, w, h, cx=930, cy=640, digit_height=330, pen=0.11)
    # white paper, very slightly brighter towards the top: each row one grey level
    rgb = []
    for y in range(h):
        paper = 252 - 6 * y // h
        row = cov[y * w : (y + 1) * w]
        for c in row:
            if c:
                v = clamp8(paper + (35 - paper) * c)
                rgb.extend((v, v, clamp8(v + 8 * c)))
            else:
                rgb.extend((paper, paper, paper))
    return png.encode(w, h, rgb, "RGB", filter_type=1)


def one_red_pen_palette(rng):
    w = h = 200
    cov = draw(1, rng, w, h, cx=104, cy=100, digit_height=150, pen=0.1)
    paper, ink = (228, 238, 250), (196, 28, 40)
    palette = [
        tuple(int(p + (i - p) * k / 15 + 0.5) for p, i in zip(paper, ink)) for k in range(16)
    ]
    indices = [int(15 * c + 0.5) for c in cov]
    return png.encode_raw(w, h, indices, 3, 4, palette=palette, filter_type=1)


def four_pencil_16bit_grey(rng):
    w = h = 200
    cov = draw(4, rng, w, h, cx=98, cy=104, digit_height=150, pen=0.1)
    paper = value_noise(rng, w, h, 30)
    grey = []
    for c, n in zip(cov, paper):
        p = 60000 + 900 * n
        if c:
            c *= 0.8 + 0.2 * rng.random()  # graphite is grainy
        grey.append(int(p + (16000 - p) * c))
    return png.encode_raw(w, h, grey, 0, 16, filter_type=2)


def six_grey_alpha(rng):
    w = h = 220
    cov = draw(6, rng, w, h, cx=112, cy=108, digit_height=160, pen=0.11)
    # a dark-grey brush on a transparent layer that is white underneath
    samples = []
    for c in cov:
        samples.extend((40, clamp8(255 * c)) if c else (255, 0))
    return png.encode_raw(w, h, samples, 4, 8, filter_type=1)


def nine_interlaced(rng):
    w = h = 280
    cov = draw(9, rng, w, h, cx=142, cy=136, digit_height=200, pen=0.12)
    paper = [(253, 253, 253)] * (w * h)
    rgb = ink_on_paper(cov, paper, (92, 30, 120))  # purple felt-tip
    return png.encode_raw(w, h, rgb, 2, 8, interlace=True, filter_type=1)


def one_black_and_white_1bit(rng):
    w, h = 160, 192
    cov = draw(1, rng, w, h, cx=84, cy=94, digit_height=140, pen=0.1, slant=0.02)
    bits = [0 if c >= 0.5 else 1 for c in cov]  # 0 = black, 1 = white
    return png.encode_raw(w, h, bits, 0, 1)


def eight_scan_pgm(rng):
    w = h = 200
    cov = draw(8, rng, w, h, cx=102, cy=100, digit_height=150, pen=0.1)
    grey = []
    for y in range(h):
        for x in range(w):
            paper = 232 - 14 * x / w  # the scanner lid lets in a little light on one side
            grey.append(clamp8(paper + (24 - paper) * cov[y * w + x]))
    return pnm.encode_pgm(w, h, grey)


def two_pencil_photo_uneven_light(rng):
    w, h = 400, 300
    cov = draw(2, rng, w, h, cx=215, cy=150, digit_height=190, pen=0.1)
    blotch = value_noise(rng, w, h, 50)
    rgb = []
    gauss = rng.gauss
    for y in range(h):
        for x in range(w):
            i = y * w + x
            # light falls from the top left; a soft shadow darkens the bottom right
            light = 0.97 - 0.35 * (x / w) * 0.6 - 0.35 * (y / h) * 0.8 + 0.02 * blotch[i]
            c = cov[i]
            if c:
                c *= 0.65 + 0.2 * rng.random()  # pencil: grey and grainy
            reflect = 1.0 - 0.72 * c
            noise = gauss(0, 1.2)
            rgb.append(clamp8(255 * light * reflect + noise))
            rgb.append(clamp8(246 * light * reflect + noise))
            rgb.append(clamp8(226 * light * reflect + noise))
    return png.encode(w, h, rgb, "RGB", filter_type=1)


def three_white_on_black_app(rng):
    w = h = 240
    cov = draw(3, rng, w, h, cx=118, cy=122, digit_height=170, pen=0.115)
    return png.encode(w, h, [clamp8(255 * c) for c in cov], "L", filter_type=1)


# (file name, seed, function); the seed makes each file reproducible on its own.
EXAMPLES = (
    ("zero-small.png", 100, zero_small),
    ("one-red-pen-palette.png", 101, one_red_pen_palette),
    ("one-black-and-white-1bit.png", 111, one_black_and_white_1bit),
    ("two-blue-ink-on-cream.png", 102, two_blue_ink_on_cream),
    ("two-pencil-photo-uneven-light.png", 112, two_pencil_photo_uneven_light),
    ("three-chalk-on-blackboard.png", 103, three_chalk_on_blackboard),
    ("three-white-on-black-app.png", 113, three_white_on_black_app),
    ("four-pencil-16bit-grey.png", 104, four_pencil_16bit_grey),
    ("five-transparent.png", 105, five_transparent),
    ("six-grey-alpha.png", 106, six_grey_alpha),
    ("seven-ink-on-paper.png", 107, seven_ink_on_paper),
    ("eight-large.png", 108, eight_large),
    ("eight-scan.pgm", 118, eight_scan_pgm),
    ("nine-interlaced.png", 109, nine_interlaced),
)
NAMES = tuple(name for name, _, _ in EXAMPLES)


def label(name):
    """The digit a file shows, from the first word of its name ("seven-ink..." -> 7)."""
    return DIGIT_WORDS.index(os.path.basename(name).split("-")[0].split(".")[0])


def write_atomic(path, data):
    """Write `data` to a temporary file beside `path`, then rename it into place."""
    tmp = f"{path}.tmp{os.getpid():d}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def make(name, out_dir=HERE):
    """Draw one example and write it into `out_dir`; returns its path."""
    for file_name, seed, function in EXAMPLES:
        if file_name == name:
            os.makedirs(out_dir, exist_ok=True)
            path = os.path.join(out_dir, file_name)
            write_atomic(path, function(random.Random(seed)))
            return path
    raise KeyError(f"no example called {name!r}")


def make_all(out_dir=HERE):
    """Draw every example into `out_dir`; returns the list of paths written."""
    return [make(name, out_dir) for name in NAMES]


def main(argv=None):
    import time

    args = sys.argv[1:] if argv is None else argv
    out_dir = args[0] if args else HERE
    for name in NAMES:
        start = time.perf_counter()
        path = make(name, out_dir)
        print(
            f"{path!s:<36} {os.path.getsize(path):8d} bytes  {time.perf_counter() - start:5.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
