"""Turn anyone's digit picture into the 28x28 input the network was trained on.

MNIST's own recipe (LeCun et al.): each digit was scaled, keeping its
aspect ratio and anti-aliasing, to fit a 20x20 box, then placed in a 28x28
field so that its centre of mass sits at the centre of the field.
``to_mnist`` repeats that recipe for an arbitrary RGBA image, one small
step at a time; every step is a plain function you can call from a REPL:

    >>> from tinynet.images import preprocess as pp
    >>> w, h, rgba = 5, 5, bytes([255, 255, 255, 255]) * 25   # white page
    >>> pp.to_mnist(w, h, rgba)
    Traceback (most recent call last):
      ...
    tinynet.images.preprocess.NoDigitError: no digit found (the image is blank or has too little contrast)

The steps, in the order ``to_mnist`` runs them:

0. ``shrink_large_image``   -- block-average big photos down to <= 512 px
1. ``luminance``            -- RGB -> one grey level per pixel (ITU-R 601)
2. ``composite_onto_paper`` -- transparent pixels become paper
3. ``paper_level`` and ``ink_is_dark`` -- which grey is paper, which side is ink
4. ``even_out_lighting``    -- a photo's shadows on paper removed (dark ink only)
5. ``ink_map``              -- 0 = paper ... 255 = full ink, faint noise removed
6. ``bounding_box`` and ``crop`` -- cut out the ink
7. ``fit_in_box``           -- area-average it into 20x20, aspect ratio kept
8. ``place_by_centre_of_mass`` -- put it in 28x28 with its centre of mass at (14, 14)
9. (only with ``deskew=True``) ``deskew_input`` -- shear it upright (see deskew.py)

``ink_image`` runs steps 0-5 and ``prepare_digit`` steps 7-9, so that a picture of a whole
number can be cut into digits in between (see segment.py) and each digit prepared the same way.

Grey levels are kept as ``bytes`` (one byte per pixel) for as long as
possible, because then Python can do the per-pixel work in C: slicing
(``rgba[0::4]`` is every red value), ``bytes.translate`` (a 256-entry
lookup table applied to every byte) and ``bytes.strip``.  Next to each such
trick a comment gives the plain formula it computes.

Coordinates: pixel (row, column) of the 28x28 result is item
``28 * row + column``; its centre is at (row, column), so the middle of the
field, where MNIST puts the centre of mass, is (14, 14) -- we measured it:
every MNIST digit's centre of mass lies within half a pixel of (14, 14).
"""  # noqa: E501 (a doctest's exception message cannot be wrapped)

import collections
import math

MNIST_SIZE = 28  # the network's input is MNIST_SIZE x MNIST_SIZE
BOX_SIZE = 20  # the digit is scaled to fit a BOX_SIZE x BOX_SIZE box
CENTRE = 14  # centre of mass goes to (row, column) = (CENTRE, CENTRE)
NOISE_THRESHOLD = 0.2  # ink weaker than this (as a fraction of full ink) is noise
MIN_CONTRAST = 32  # grey levels (of 255) the ink must differ from the paper
MAX_SIDE = 512  # larger images are first block-averaged down to this
LIGHTING_BLOCKS = 12  # the paper's lighting is mapped in about 12 x 12 blocks
LIGHTING_TOLERANCE = 24  # paper brightness varying less than this is left alone
MAX_LIGHTING_GAIN = 2.0  # shadows are brightened at most this many times

NO_DIGIT_MESSAGE = "no digit found (the image is blank or has too little contrast)"


class NoDigitError(ValueError):
    """The image holds no ink: it is blank, one colour, or too faint."""

    def __init__(self, message=NO_DIGIT_MESSAGE):
        super().__init__(message)


# ---------------------------------------------------------------- step 0


def shrink_large_image(width, height, rgba, max_side=MAX_SIDE):
    """Block-average an image so that its longer side is at most ``max_side``.

    Returns ``(new_width, new_height, new_rgba)``; an image that is already
    small enough is returned unchanged.  Each new pixel is the average of a
    k x k block of old pixels, k = ceil(longer side / max_side).  To stay
    fast on a 4000x3000 photo the average uses up to 3x3 evenly spaced
    samples of each block (every pixel when k <= 3); a few columns or rows
    left over at the right and bottom edges are dropped.  Works on a list
    or on bytes, without copying the whole image first.
    """
    longest = max(width, height)
    if longest <= max_side:
        return width, height, rgba
    k = -(-longest // max_side)  # ceil(longest / max_side)
    new_width, new_height = max(1, width // k), max(1, height // k)
    x_offsets = sample_offsets(min(k, width))
    y_offsets = sample_offsets(min(k, height))
    count = len(x_offsets) * len(y_offsets)
    average = [(total + count // 2) // count for total in range(255 * count + 1)]
    row_length = 4 * width
    out = bytearray(4 * new_width * new_height)
    for new_y in range(new_height):
        out_start = 4 * new_width * new_y
        for channel in range(4):
            strips = []
            for dy in y_offsets:
                start = row_length * min(new_y * k + dy, height - 1)
                for dx in x_offsets:
                    # every k-th pixel's value of this channel, from column dx on
                    first = start + 4 * dx + channel
                    strips.append(rgba[first : start + row_length : 4 * k][:new_width])
            # plain formula: out[x] = round(sum(strip[x] for strip in strips) / count)
            totals = map(sum, zip(*strips))
            out[out_start + channel : out_start + 4 * new_width : 4] = bytes(
                map(average.__getitem__, totals)
            )
    return new_width, new_height, bytes(out)


def sample_offsets(block, most=3):
    """Up to ``most`` evenly spaced positions inside a block of ``block`` pixels.

    For example a block of 8 -> 1, 4, 6; a block of 2 -> 0, 1.
    """
    samples = min(block, most)
    return [(2 * i + 1) * block // (2 * samples) for i in range(samples)]


# ---------------------------------------------------------------- step 1


def luminance(rgba):
    """Grey level of every pixel, ignoring alpha: 0.299 R + 0.587 G + 0.114 B.

    ``rgba`` is bytes (R, G, B, A, R, G, B, A, ...); the result is bytes
    with one grey level (0 = black, 255 = white) per pixel.  The weights
    are used as 77/256, 150/256 and 29/256 (0.301, 0.586, 0.113), which
    keeps the arithmetic in whole numbers; the result is within one level
    of the exact formula.
    """
    red, green, blue = rgba[0::4], rgba[1::4], rgba[2::4]
    if red == green == blue:  # a grey picture: the formula gives R
        return bytes(red)
    # Plain formula, one pixel at a time (about 8 times slower in CPython):
    #     bytes((77 * r + 150 * g + 29 * b + 128) // 256
    #           for r, g, b in zip(red, green, blue))
    # Fast version: each channel becomes one huge integer in which pixel i
    # owns bits 16*i .. 16*i+15 (see pixels_in_16_bit_slots).  Adding the
    # three integers adds every pixel's three terms at once, in C; a sum is
    # at most 77*255 + 150*255 + 29*255 + 128 = 65408 < 65536, so it never
    # spills into the next pixel's slot.  The high byte of each slot is the
    # sum // 256.
    total = (
        pixels_in_16_bit_slots(red, RED_WEIGHT)
        + pixels_in_16_bit_slots(green, GREEN_WEIGHT)
        + pixels_in_16_bit_slots(blue, BLUE_WEIGHT_AND_ROUNDING)
    )
    return total.to_bytes(2 * len(red), "little")[1::2]


def weight_table(weight, extra=0):
    """The numbers ``weight * v + extra`` for v = 0..255, split into low and high bytes."""
    values = [weight * v + extra for v in range(256)]
    return bytes(n & 255 for n in values), bytes(n >> 8 for n in values)


RED_WEIGHT = weight_table(77)
GREEN_WEIGHT = weight_table(150)
BLUE_WEIGHT_AND_ROUNDING = weight_table(29, 128)


def pixels_in_16_bit_slots(values, table):
    """One big integer whose i-th 16-bit slot holds ``weight * values[i] + extra``.

    ``table`` is a ``weight_table``; ``bytes.translate`` looks every value
    up in it in C, and the low and high bytes are interleaved in
    little-endian order (low byte first) before reading them as one number.
    """
    low, high = table
    slots = bytearray(2 * len(values))
    slots[0::2] = values.translate(low)
    slots[1::2] = values.translate(high)
    return int.from_bytes(slots, "little")


# ---------------------------------------------------------------- step 2


def border_pixels(width, height, values):
    """The values on the image's outer edge: top row, bottom row, left and right columns."""
    return (
        list(values[:width])
        + list(values[(height - 1) * width :])
        + list(values[0::width])
        + list(values[width - 1 :: width])
    )


def median(values):
    """The middle value of a non-empty sequence (the upper one of the two middles)."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def composite_onto_paper(width, height, grey, alpha):
    """Lay a partly transparent grey image onto paper; return opaque grey levels.

    Every pixel becomes ``paper + alpha/255 * (grey - paper)``: a fully
    transparent pixel is paper whatever its colour, a fully opaque one keeps
    its grey level, and in between the ink counts by alpha times its
    contrast against the paper.  (Luminance is a weighted sum, so laying
    the grey levels onto grey paper gives the same as laying the colours.)

    The paper is chosen from the alpha channel itself:

    * mostly transparent border (a drawing app's strokes on a transparent
      canvas): the transparent part *is* the paper, so the paper is black
      or white, whichever contrasts with the visible strokes -- black
      strokes get white paper, white strokes get black paper;
    * mostly opaque border (a picture with some transparent holes): the
      paper is the grey level of the opaque border.

    ``grey`` and ``alpha`` are bytes, one value per pixel; a fully opaque
    image is returned as it is.
    """
    if alpha.count(255) == len(alpha):
        return grey
    visible = [g for g, a in zip(grey, alpha) if a]  # grey of the pixels not fully transparent
    if not visible:  # nothing to see: blank paper
        return bytes(len(grey))
    edge_alpha = border_pixels(width, height, alpha)
    if median(edge_alpha) < 128:
        paper = 255 if median(visible) < 128 else 0
    else:
        edge_grey = border_pixels(width, height, grey)
        paper = median([g for g, a in zip(edge_grey, edge_alpha) if a >= 128])
    if min(visible) == max(visible):
        # One ink colour (as a drawing app paints): the result depends on
        # alpha alone, so a 256-entry table applied to alpha does it in C.
        ink = visible[0]
        table = bytes((a * ink + (255 - a) * paper + 127) // 255 for a in range(256))
        return alpha.translate(table)
    # plain formula: paper + a / 255 * (g - paper), rounded
    return bytes([(a * g + (255 - a) * paper + 127) // 255 for g, a in zip(grey, alpha)])


# ---------------------------------------------------------------- step 3


def histogram(grey):
    """How many pixels have each grey level: a list of 256 counts."""
    # plain loop: for g in grey: counts[g] += 1   (Counter does it in C)
    counts = collections.Counter(grey)
    return [counts[level] for level in range(256)]


def paper_level(width, height, grey):
    """The paper's grey level: the median of the image's border pixels.

    A digit rarely touches more than half of the border, so the median
    of the border is paper even when some strokes run off the edge.
    """
    return median(border_pixels(width, height, grey))


def ink_is_dark(grey, paper):
    """True for dark ink on light paper, False for light ink on dark paper.

    The ink is on whichever side of the paper level the image reaches
    farther: ``paper - darkest`` against ``brightest - paper``.  Paper
    texture, noise and moderate shadows stay close to the paper; ink does
    not.  A tie counts as dark.
    """
    # plain formula: darkest, brightest = min(grey), max(grey); but
    # ``level in grey`` is a fast C search, and the extremes are usually
    # found after trying a few levels
    darkest = next(level for level in range(256) if level in grey)
    brightest = next(level for level in range(255, -1, -1) if level in grey)
    return paper - darkest >= brightest - paper


# ---------------------------------------------------------------- step 4


def block_edges(length, blocks):
    """Cut ``length`` pixels into about ``blocks`` equal parts of at least 16 pixels.

    Returns (start, end) pairs, end exclusive.
    """
    count = max(1, min(blocks, length // 16))
    return [(i * length // count, (i + 1) * length // count) for i in range(count)]


def paper_map(width, height, grey, blocks=LIGHTING_BLOCKS, tolerance=LIGHTING_TOLERANCE):
    """A coarse map of the light paper's grey level under dark ink: one level per block.

    Returns ``(column_edges, row_edges, levels)``.  A block's paper level
    is its brightest tenth (the 90th percentile, of every second row and
    column, for speed), which is paper unless ink covers almost all of the
    block.  Light changes smoothly, so a block that is much darker than
    its neighbours is taken to be inside a stroke and given paper from
    around it, again and again until no block is:

    * more than ``tolerance`` levels darker than the median of its
      neighbours -> that median (a dip in a smooth change of light);
    * more than a quarter darker than its brightest neighbour -> that
      neighbour's level (so paper flows into a wide stroke from its edge).
    """
    columns, rows = block_edges(width, blocks), block_edges(height, blocks)
    levels = []
    for top, bottom in rows:
        level_row = []
        for left, right in columns:
            sample = sorted(
                b"".join(
                    grey[y * width + left : y * width + right : 2] for y in range(top, bottom, 2)
                )
            )
            level_row.append(sample[(9 * len(sample)) // 10])
        levels.append(level_row)
    changed = True
    while changed:
        changed = False
        before = [row[:] for row in levels]
        for y in range(len(rows)):
            for x in range(len(columns)):
                own = before[y][x]
                around = [
                    before[j][i]
                    for j in range(max(0, y - 1), min(len(rows), y + 2))
                    for i in range(max(0, x - 1), min(len(columns), x + 2))
                    if (j, i) != (y, x)
                ]
                if not around:
                    continue
                better = own
                if own < median(around) - tolerance:
                    better = median(around)
                if own < 0.75 * max(around):
                    better = max(around)
                if better != own:
                    levels[y][x] = better
                    changed = True
    return columns, rows, levels


def centre_weights(position, edges):
    """The two block centres on either side of ``position`` and the weight of the second.

    Before the first centre and after the last, the first or last two
    blocks are extended in a straight line (the weight is then outside
    0..1); a single block is used as it is.
    """
    centres = [(start + end) / 2 for start, end in edges]
    if len(centres) == 1:
        return 0, 0, 0.0
    k = 1
    while k < len(centres) - 1 and position > centres[k]:
        k += 1
    return k - 1, k, (position - centres[k - 1]) / (centres[k] - centres[k - 1])


def even_out_lighting(
    width, height, grey, tolerance=LIGHTING_TOLERANCE, max_gain=MAX_LIGHTING_GAIN
):
    """Make unevenly lit paper even under dark ink: a photo's shadows go away.

    Light multiplies: a shadow darkens paper and ink alike.  So every
    pixel is multiplied by ``best-lit paper level / local paper level``
    (kept between 1/``max_gain`` and ``max_gain``), the local level being interpolated
    bilinearly between the block centres of the ``paper_map``.  For speed
    the image is corrected in tiles of about half a block, each with the
    factor at its centre (in 64ths): light changes little over half a block.

    Images under 48 pixels, and images whose paper map varies by
    ``tolerance`` grey levels or less -- drawings, scans; and a variation
    that small vanishes under the noise threshold anyway -- come back as
    the very same ``grey`` object.
    """
    if max(width, height) < 48:
        return grey
    columns, rows, levels = paper_map(width, height, grey)
    flat = [level for row in levels for level in row]
    if max(flat) - min(flat) <= tolerance:
        return grey
    best_lit = max(flat)
    tile_columns = [
        (start, end, centre_weights((start + end) / 2, columns))
        for left, right in columns
        for start, end in ((left, (left + right) // 2), ((left + right) // 2, right))
    ]
    gain_tables = {}  # gain in 64ths -> translate table g -> min(255, g * gain)
    out = bytearray()
    for block_top, block_bottom in rows:
        for top, bottom in (
            (block_top, (block_top + block_bottom) // 2),
            ((block_top + block_bottom) // 2, block_bottom),
        ):
            j0, j1, fy = centre_weights((top + bottom) / 2, rows)
            # the paper level along this row of tiles at each block centre
            at_centres = [a + (b - a) * fy for a, b in zip(levels[j0], levels[j1])]
            tables = []
            for _, _, (i0, i1, fx) in tile_columns:
                local = at_centres[i0] + (at_centres[i1] - at_centres[i0]) * fx
                gain = round(64 * min(max_gain, max(1 / max_gain, best_lit / max(local, 1.0))))
                if gain not in gain_tables:
                    # table[g] = round(g * gain / 64), at most 255
                    gain_tables[gain] = bytes(
                        [min(255, v >> 6) for v in range(32, 256 * gain + 32, gain)]
                    )
                tables.append(gain_tables[gain])
            for y in range(top, bottom):
                row = y * width
                for (left, right, _), table in zip(tile_columns, tables):
                    # plain formula, for each g of the tile:
                    #     out = min(255, round(g * best_lit / local))
                    out += grey[row + left : row + right].translate(table)
    return bytes(out)


# ---------------------------------------------------------------- step 5


def contrast_counts(counts, paper, dark):
    """Histogram of contrast: how many pixels differ from the paper by 0, 1, ... 255 levels.

    Only the ink's side of the paper counts (``dark``: levels below the
    paper); pixels on the other side are treated as paper (contrast 0).
    """
    contrast = [0] * 256
    for level in range(256):
        difference = paper - level if dark else level - paper
        contrast[max(0, difference)] += counts[level]
    return contrast


def ink_level(contrast):
    """The contrast that will count as full ink (1.0), from a contrast histogram.

    Among the clearly inked pixels -- those with at least a third of the
    strongest contrast -- take the average contrast of the stronger half,
    so that most of a stroke's core becomes full ink, as in MNIST, even if
    the pen was uneven.  (An average rather than a percentile, so that a
    slight change of the image changes it only slightly.)  Raises
    NoDigitError if the strongest contrast is below ``MIN_CONTRAST`` (a
    blank page, one colour, faint noise).
    """
    strongest = max(d for d in range(256) if contrast[d] or d == 0)
    if strongest < MIN_CONTRAST:
        raise NoDigitError()
    clear = range(strongest, -(-strongest // 3) - 1, -1)  # strongest first
    # Counting every pixel twice keeps "half of them" a whole number.
    half = sum(contrast[d] for d in clear)
    taken = total = 0
    for d in clear:
        take = min(2 * contrast[d], half - taken)
        taken += take
        total += take * d
        if taken == half:
            break
    return total / half


def ink_map(grey, paper, dark, full_ink, threshold=NOISE_THRESHOLD):
    """Ink strength of every pixel as bytes: 0 = paper ... 255 = full ink.

    Per pixel: ``ink = contrast / full_ink`` clamped to [0, 1], where
    contrast is how far the grey level is from ``paper`` on the ink's side;
    ink below ``threshold`` (paper texture, JPEG noise, shadows) becomes 0.
    The result is ``round(255 * ink)``.
    """
    table = bytearray(256)
    for level in range(256):
        ink = ((paper - level) if dark else (level - paper)) / full_ink
        if ink >= threshold:
            table[level] = round(255 * min(ink, 1.0))
    # plain loop: bytes(table[g] for g in grey)
    return grey.translate(table)


# ---------------------------------------------------------------- step 6


def bounding_box(width, height, ink):
    """The smallest box holding every non-zero pixel: ``(left, top, right, bottom)``.

    ``right`` and ``bottom`` are exclusive, like a slice.  Raises
    NoDigitError if there is no ink at all.
    """
    left, right, top, bottom = width, 0, None, 0
    for y in range(height):
        row = ink[y * width : (y + 1) * width]
        after_left_paper = row.lstrip(b"\0")  # the row from its first ink on
        if after_left_paper:
            if top is None:
                top = y
            bottom = y + 1
            left = min(left, width - len(after_left_paper))
            right = max(right, len(row.rstrip(b"\0")))
    if top is None:
        raise NoDigitError()
    return left, top, right, bottom


def crop(width, ink, box):
    """The rows of ``ink`` inside ``box`` = (left, top, right, bottom), as a list of bytes."""
    left, top, right, bottom = box
    return [ink[y * width + left : y * width + right] for y in range(top, bottom)]


# ---------------------------------------------------------------- step 7


def area_plan(source_length, target_length, scale, offset):
    """Which source pixels cover each target pixel, for area-averaging resampling.

    Source pixel i spans [i, i+1); it lands on [offset + i*scale,
    offset + (i+1)*scale) in the target.  For each target pixel j this
    returns ``(first, last, first_share, last_share)``: source pixels
    first..last overlap it, the middle ones fully, and first/last only by
    the given length (in source pixels).
    """
    plan = []
    for j in range(target_length):
        start = max(0.0, (j - offset) / scale)
        end = min(float(source_length), (j + 1 - offset) / scale)
        if end <= start:  # the target pixel gets no source
            plan.append((0, 0, 0.0, 0.0))
            continue
        first = min(int(start), source_length - 1)
        last = max(first, min(math.ceil(end) - 1, source_length - 1))
        if first == last:
            plan.append((first, last, end - start, 0.0))
        else:
            plan.append((first, last, first + 1 - start, end - last))
    return plan


def resample_line(values, plan, factor):
    """Area-average one row or column: target pixel j = factor * sum(value * overlap)."""
    out = []
    for first, last, first_share, last_share in plan:
        if first == last:
            total = values[first] * first_share
        else:
            total = (
                values[first] * first_share
                + sum(values[first + 1 : last])
                + values[last] * last_share
            )
        out.append(total * factor)
    return out


def fit_in_box(rows, box_size=BOX_SIZE):
    """Scale cropped ink (rows of 0..255) to fit a box, keeping the aspect ratio.

    The longer side becomes exactly ``box_size`` pixels; the shorter one is
    centred in as many pixels as it needs.  Every new pixel is the average
    of the old image over the new pixel's area (a box filter with
    fractional coverage), which anti-aliases when shrinking a 300-pixel
    digit and interpolates when enlarging an 8-pixel one.  Returns rows of
    floats in [0, 1].
    """
    height, width = len(rows), len(rows[0])
    scale = box_size / max(width, height)  # new pixels per old pixel

    def target(length):
        exact = length * scale
        size = max(1, min(box_size, math.ceil(exact - 1e-9)))
        return size, (size - exact) / 2  # centre the fractional extent

    new_width, x_offset = target(width)
    new_height, y_offset = target(height)
    across = area_plan(width, new_width, scale, x_offset)
    down = area_plan(height, new_height, scale, y_offset)
    # first shrink every row to new_width, then every column to new_height
    narrow_rows = [resample_line(row, across, scale) for row in rows]
    columns = [resample_line(column, down, scale / 255) for column in zip(*narrow_rows)]
    return [[min(1.0, v) for v in row] for row in zip(*columns)]


# ---------------------------------------------------------------- step 8


def centre_of_mass(rows):
    """The ink-weighted mean position ``(row, column)`` of a grid of ink values."""
    total = sum(sum(row) for row in rows)
    row_centre = sum(y * sum(row) for y, row in enumerate(rows)) / total
    column_centre = sum(x * sum(column) for x, column in enumerate(zip(*rows))) / total
    return row_centre, column_centre


def whole_pixel_shift(distance):
    """``distance`` rounded to a whole number of pixels, halves rounded up.

    The distance is first rounded to 6 decimals, so that a symmetric digit
    whose centre of mass lies exactly between two pixels moves the same way
    whatever the floating-point rounding of its computation.
    """
    return math.floor(round(distance, 6) + 0.5)


def place_by_centre_of_mass(rows, size=MNIST_SIZE, centre=CENTRE):
    """Put a small grid into a ``size`` x ``size`` field, centre of mass at (centre, centre).

    Like MNIST, the grid is moved by whole pixels: its centre of mass ends
    up within half a pixel of (centre, centre) -- unless that would push
    ink off the field, in which case it is moved only as far as the edge.
    Returns the field as a flat row-major list of ``size * size`` floats.
    """
    height, width = len(rows), len(rows[0])
    row_centre, column_centre = centre_of_mass(rows)
    top = min(max(whole_pixel_shift(centre - row_centre), 0), size - height)
    left = min(max(whole_pixel_shift(centre - column_centre), 0), size - width)
    field = [0.0] * (size * size)
    for y, row in enumerate(rows):
        start = (top + y) * size + left
        field[start : start + width] = row
    return field


# ---------------------------------------------------------------- all steps


def ink_image(width, height, rgba):
    """Steps 0-5: ``(width, height, ink, k)`` -- the image's ink as bytes, 0 = paper ... 255.

    ``width`` and ``height`` are those of the working image, which is the original one
    block-averaged down by ``k`` (k = 1 unless a side was over ``MAX_SIDE``): pixel (x, y) of
    the working image covers pixels k*x ... k*x + k - 1 of the original.  Raises NoDigitError
    if no ink is found, ValueError if ``rgba`` does not hold ``4 * width * height`` values.
    """
    if width < 1 or height < 1 or len(rgba) != 4 * width * height:
        raise ValueError(
            f"expected 4 * width * height = {4 * width * height:d} RGBA values for a "
            f"{width:d}x{height:d} image, got {len(rgba):d}"
        )
    longest = max(width, height)
    k = -(-longest // MAX_SIDE) if longest > MAX_SIDE else 1
    width, height, rgba = shrink_large_image(width, height, rgba)
    if not isinstance(rgba, bytes):
        rgba = bytes(rgba)
    grey = composite_onto_paper(width, height, luminance(rgba), rgba[3::4])
    paper = paper_level(width, height, grey)
    dark = ink_is_dark(grey, paper)
    if dark:
        evened = even_out_lighting(width, height, grey)
        if evened is not grey:
            grey, paper = evened, paper_level(width, height, evened)
    full_ink = ink_level(contrast_counts(histogram(grey), paper, dark))
    return width, height, ink_map(grey, paper, dark, full_ink), k


def prepare_digit(rows, deskew=False):
    """Steps 7-8 (and deskewing): cropped ink rows (0..255) -> the network's 784 inputs.

    With ``deskew`` the 28x28 result is also sheared upright and re-centred by its centre of
    mass (``tinynet.images.deskew.deskew``), on its 0..255 grey levels exactly as the training
    images are, then scaled back to [0, 1].
    """
    x = place_by_centre_of_mass(fit_in_box(rows))
    if deskew:
        x = deskew_input(x)
    return x


def deskew_input(x):
    """A 784-float input (0..1) deskewed the way training images are: as 0..255 bytes."""
    from .deskew import deskew  # only when asked for: predict stays quick to start

    return [v / 255 for v in deskew(bytes(round(255 * v) for v in x))]


def to_mnist(width, height, rgba, deskew=False):
    """Turn an RGBA image into the network's input: 784 floats in [0, 1].

    ``rgba`` is a flat row-major list or bytes of 8-bit R, G, B, A values
    (what ``tinynet.images.png.decode`` returns).  The result is a 28x28 image,
    row-major, 0 = background and 1 = ink, prepared like MNIST: the ink is
    found whatever the colours (dark on light, light on dark, coloured
    ink, transparent background) and however the paper is lit, cropped,
    scaled to fit 20x20 keeping its aspect ratio, and placed with its
    centre of mass at (14, 14).  With ``deskew=True`` the result is then
    sheared upright (see ``tinynet.images.deskew``), as for a network trained
    on deskewed digits.

    Images larger than 512 pixels on a side (photos) are first
    block-averaged down to at most 512 (see ``shrink_large_image``), so a
    4000x3000 photo takes about a second rather than a minute; a 300x300
    drawing takes a few milliseconds.

    Raises NoDigitError if no ink is found, ValueError if ``rgba`` does not
    hold ``4 * width * height`` values.
    """
    width, height, ink, _ = ink_image(width, height, rgba)
    box = bounding_box(width, height, ink)
    return prepare_digit(crop(width, ink, box), deskew)


def to_mnist_bytes(width, height, rgba, deskew=False):
    """Like ``to_mnist`` but as 784 bytes 0..255, the way MNIST stores its pixels."""
    return bytes(round(255 * v) for v in to_mnist(width, height, rgba, deskew))


ASCII_RAMP = " .:-=+*#%@"


def ascii_art(pixels, size=MNIST_SIZE):
    """Draw a size x size image of values in [0, 1] as text, one line per row.

    Each pixel becomes two characters from the ramp ``" .:-=+*#%@"``
    (blank = 0, ``@`` = 1), so the digit looks square in a terminal.
    """
    steps = len(ASCII_RAMP) - 1
    lines = []
    for y in range(size):
        row = pixels[y * size : (y + 1) * size]
        lines.append(
            "".join(2 * ASCII_RAMP[min(steps, max(0, int(v * steps + 0.5)))] for v in row).rstrip()
        )
    return "\n".join(lines)
