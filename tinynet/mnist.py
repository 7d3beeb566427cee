"""The MNIST handwritten digits: find them, download them, check them, read them.

MNIST is four files, each gzip-compressed, in a simple binary format called IDX:

    train-images-idx3-ubyte.gz   60,000 training images, 28x28 pixels each
    train-labels-idx1-ubyte.gz   their 60,000 labels (the digit 0-9 each image shows)
    t10k-images-idx3-ubyte.gz    10,000 test images
    t10k-labels-idx1-ubyte.gz    their 10,000 labels

An IDX file is a small header followed by the values, all integers big-endian:

    bytes 0-1  always 0
    byte  2    the type of each value; 0x08 means "unsigned byte" (the only type MNIST uses)
    byte  3    the number of dimensions, n
    then       n 32-bit sizes, one per dimension
    then       the values, one byte each, row-major: as many as the product of the sizes

Read as one 32-bit number, the first four bytes are the "magic number": 0x00000803 (2051) for
the images (3 dimensions: count, rows, columns) and 0x00000801 (2049) for the labels (1
dimension: count).

Images are kept as `bytes` of 784 pixels (28 rows of 28, 0 = background, 255 = ink) and labels
as one `bytes` of digits, so the whole training set fits in about 50 MB.

Every failure raises DataError with a one-line message naming the file and what is wrong.
deskewed_set() prepares a set as the network is shown it: every image sheared upright.
"""

import csv
import gc
import gzip
import io
import itertools
import os
import re
import stat
import sys
import time
import zlib
from pathlib import Path

from .images import deskew
from .support import ON_PYPY
from .support.files import remove_stale_temporaries, write_atomic
from .support.progress import Progress
from .support.text import one_line

IMAGES_MAGIC = 0x00000803  # 2051: unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # 2049: unsigned bytes, 1 dimension
ROWS = COLS = 28
PIXELS = ROWS * COLS  # 784

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
COUNT = {"train": 60_000, "test": 10_000}  # images in each set

# SHA-256 of each file's UNCOMPRESSED content: the same whoever compressed it, and however.
SHA256 = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
MIRRORS_ENV = "TINYNET_MNIST_MIRRORS"  # space- or comma-separated base URLs, replaces MIRRORS
DATA_ENV = "TINYNET_DATA"  # folder holding the MNIST files
TIMEOUT = 30  # seconds without progress before a download gives up
DEADLINE = 600  # seconds a download of one file may take in all, however it trickles in
MAX_DOWNLOAD = 32 * 1024 * 1024  # bytes; the largest MNIST file is 9.9 MB compressed

# The most an IDX file may hold: the largest MNIST file has 60,000 × 28 × 28 = 47,040,000 bytes of
# pixels; this leaves room for a bit more (say an extended set), and bounds what a damaged or
# hostile header can make us read (benchmarks/file_limits.py measures the worst case).
MAX_IDX_BYTES = 64 * 1024 * 1024
# Memory per item of a split payload besides its data: a bytes object's header and the list's
# pointer to it (CPython: 33 + 8).
_ITEM_OVERHEAD = 48
# Kaggle CSV: train.csv has 42,000 rows, test.csv 28,000, none over 3.2 KB but the 7.7 KB header.
MAX_CSV_ROWS = 100_000
MAX_CSV_LINE = 16 * 1024  # characters

GZIP_MAGIC = b"\x1f\x8b"
_BLOCK = 1 << 20  # read and hash files about a megabyte at a time
_MAGIC_NAMES = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}


class DataError(Exception):
    """The MNIST data is missing, unreadable or wrong; the message is one line to show the user."""


# ---------------------------------------------------------------------------------------------
# Reading IDX files
# ---------------------------------------------------------------------------------------------


def read_idx(path, expected_magic=None, *, split=False, hasher=None, max_bytes=None):
    """Read an IDX file, gzip-compressed or not; return (magic, dims, payload).

    `dims` is a tuple of sizes, for example (60000, 28, 28), and `payload` the values as one
    `bytes` object. With split=True, `payload` is instead a list holding one `bytes` object per
    entry along the first dimension (one per image, say), built without ever holding the whole
    payload in one piece. If `hasher` (a hashlib object) is given, it is fed the uncompressed
    file content as it is read. Raises DataError naming the file if anything is wrong.

    Memory stays bounded whatever the file holds: a header announcing more than `max_bytes`
    (default MAX_IDX_BYTES) is refused before anything else is read, the payload of an
    uncompressed file must match the file's size, and a compressed one is decompressed a block
    at a time, never past what the header announces plus one byte.
    """
    path = Path(path)
    max_bytes = MAX_IDX_BYTES if max_bytes is None else max_bytes
    compressed = False
    try:
        _check_regular_file(path)
        compressed = _is_gzip(path)
        with _open_binary(path, compressed) as f:
            magic, dims = _read_header(f, path, expected_magic, hasher)
            _check_dims(f, path, dims, compressed, split, max_bytes)
            payload = _read_payload(f, path, dims, split, hasher)
            if f.read(1):
                raise DataError(
                    f"{path}: unexpected extra bytes after the {_product(dims)} bytes of data "
                    f"its header announces"
                )
    except (OSError, EOFError, zlib.error, MemoryError) as e:
        raise _read_error(path, compressed, e) from e
    return magic, dims, payload


def _check_regular_file(path):
    """DataError unless path is a regular file (looked at before opening it, so that a named
    pipe or a device such as /dev/zero is refused at once, not waited on or read forever)."""
    st = os.stat(path)  # FileNotFoundError and the like are reported by the caller
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "is a folder", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{path}: not a regular file (a pipe, device or socket?)")


def _check_dims(f, path, dims, compressed, split, max_bytes):
    """Refuse, before reading the payload, dims that announce more than max_bytes or (for an
    uncompressed file, whose size we know) more or fewer bytes than the file holds."""
    total = _product(dims)
    memory = dims[0] * (_product(dims[1:]) + _ITEM_OVERHEAD) if split else total
    if total > max_bytes or memory > max_bytes:
        shape = "x".join(map(str, dims))
        raise DataError(
            f"{path}: its header announces {shape} values ({total:,d} bytes), more than the "
            f"{max_bytes:,d} an IDX file may hold here (MNIST's largest holds 47,040,000); "
            f"the file is damaged or not MNIST"
        )
    if not compressed:
        size = os.fstat(f.fileno()).st_size - 4 - 4 * len(dims)
        if size < total:
            raise DataError(
                f"{path}: file is truncated: its header announces {total} bytes of data "
                f"but only {size} are there"
            )
        if size > total:
            raise DataError(
                f"{path}: unexpected extra bytes after the {total} bytes of data "
                f"its header announces ({size - total} more)"
            )


def _is_gzip(path):
    """True if the file starts with the gzip signature 1f 8b (whatever its name says)."""
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def _open_binary(path, compressed):
    """Open a file for reading bytes, decompressing on the fly if it is gzip-compressed."""
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _read_header(f, path, expected_magic, hasher):
    """Read the magic number and the dimensions; return (magic, dims)."""
    first = f.read(4)
    if len(first) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(first)} bytes)")
    magic = int.from_bytes(first, "big")
    if expected_magic is not None and magic != expected_magic:
        raise DataError(
            f"{path}: wrong magic number {magic} (0x{magic:08x}), expected {expected_magic} "
            f"(0x{expected_magic:08x}) for an IDX {_MAGIC_NAMES.get(expected_magic, 'data')} file"
        )
    zeros, value_type, ndims = first[0:2], first[2], first[3]
    if zeros != b"\0\0" or value_type != 0x08 or ndims == 0:
        raise DataError(
            f"{path}: not an IDX file of unsigned bytes (magic number 0x{magic:08x}, "
            f"expected 00 00 08 followed by the number of dimensions)"
        )
    sizes = f.read(4 * ndims)
    if len(sizes) < 4 * ndims:
        raise DataError(f"{path}: truncated header ({ndims} dimensions announced)")
    dims = tuple(int.from_bytes(sizes[i : i + 4], "big") for i in range(0, 4 * ndims, 4))
    if hasher is not None:
        hasher.update(first)
        hasher.update(sizes)
    return magic, dims


def _read_payload(f, path, dims, split, hasher):
    """Read exactly the number of bytes the dims announce, as one bytes or a list of items."""
    total = _product(dims)
    item_size = _product(dims[1:])  # bytes per entry along the first dimension
    items_per_block = max(1, _BLOCK // max(1, item_size))
    blocks = _read_blocks(f, path, total, items_per_block * item_size, hasher)
    if not split:
        return b"".join(blocks)
    if item_size == 0:
        return [b""] * dims[0]
    # Every block holds whole items, so each can be cut up and dropped as soon as it is read.
    return [block[i : i + item_size] for block in blocks for i in range(0, len(block), item_size)]


def _read_blocks(f, path, nbytes, block_size, hasher):
    """Yield the next `nbytes` bytes of f in blocks of `block_size` (the last may be shorter)."""
    done = 0
    blocks = 0
    while done < nbytes:
        want = min(block_size, nbytes - done)
        block = _read_up_to(f, want)
        done += len(block)
        if len(block) < want:
            raise DataError(
                f"{path}: file is truncated: its header announces {nbytes} bytes of data "
                f"but only {done} are there"
            )
        if hasher is not None:
            hasher.update(block)
        yield block
        blocks += 1
        if ON_PYPY and blocks % 4 == 0:
            # PyPy frees the blocks we dropped only at its next full garbage collection, which
            # can come hundreds of megabytes late; ask for one every few blocks.
            gc.collect()


def _read_up_to(f, n):
    """Read n bytes from f, or fewer if the file ends first.

    At most _BLOCK bytes are asked for at a time, so a damaged header announcing absurd sizes
    makes us read until the file ends, never allocate what it announces.
    """
    if n <= _BLOCK:
        return f.read(n)
    pieces = []
    while n > 0:
        piece = f.read(min(n, _BLOCK))
        if not piece:
            break
        pieces.append(piece)
        n -= len(piece)
    return b"".join(pieces)


def _product(numbers):
    """The product of a sequence of whole numbers (1 for an empty one)."""
    result = 1
    for n in numbers:
        result *= n
    return result


def _read_error(path, compressed, e):
    """Turn an exception met while reading a file into a one-line DataError."""
    if isinstance(e, FileNotFoundError):
        return DataError(f"{path}: no such file")
    if isinstance(e, IsADirectoryError):
        return DataError(f"{path}: is a folder, not a file")
    if isinstance(e, PermissionError):
        return DataError(f"{path}: permission denied")
    if isinstance(e, MemoryError):
        return DataError(f"{path}: not enough memory to read it")
    if compressed or isinstance(e, (EOFError, zlib.error)):
        return DataError(f"{path}: corrupt or truncated gzip data ({one_line(e)})")
    return DataError(f"{path}: cannot read it ({one_line(e)})")


# ---------------------------------------------------------------------------------------------
# Where the files live
# ---------------------------------------------------------------------------------------------


def find_data_dir(data_dir=None):
    """The MNIST folder: `data_dir` if given, else $TINYNET_DATA, else a per-user cache folder.

    The cache folder is %LOCALAPPDATA%\\tinynet\\mnist on Windows and
    $XDG_CACHE_HOME/tinynet/mnist (default ~/.cache/tinynet/mnist) elsewhere.
    """
    if data_dir:
        return Path(data_dir).expanduser()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    return _user_cache_dir() / "tinynet" / "mnist"


def cache_dir(name):
    """This user's cache folder for tinynet's `name` (e.g. "mnist", "deskewed")."""
    return _user_cache_dir() / "tinynet" / name


def _user_cache_dir():
    """The folder where this user's programs keep files they can download again."""
    if sys.platform.startswith("win"):
        local = os.environ.get("LOCALAPPDATA")
        return Path(local) if local else Path.home() / "AppData" / "Local"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    return Path.home() / ".cache"


def _find_file(folder, name):
    """The path of `name` (say train-images-idx3-ubyte.gz) in folder, or of its uncompressed
    twin without .gz; None if neither is there."""
    for candidate in (name, name[: -len(".gz")]):
        path = Path(folder) / candidate
        if path.is_file():
            return path
    return None


def _file_names(kinds):
    """The file names for some of "train" and "test"."""
    names = []
    for kind in kinds:
        if kind not in FILES:
            raise DataError(f"unknown MNIST set {kind!r}: use 'train' or 'test'")
        names.extend(FILES[kind])
    return names


def _where_to_put(folder):
    """The end of a 'files not found' message: which files to put where."""
    missing = [name for name in SHA256 if _find_file(folder, name) is None]
    return (
        f"put the files {', '.join(missing)} (from any MNIST mirror, e.g. {MIRRORS[0]}) "
        f"in {folder}, or pass --data DIR, or set {DATA_ENV}"
    )


# ---------------------------------------------------------------------------------------------
# Downloading
# ---------------------------------------------------------------------------------------------


def ensure_files(data_dir=None, download=True, progress=None, kinds=("train", "test")):
    """Make sure the MNIST files are in the data folder, downloading missing ones; return it.

    Each file may be there as name.gz or uncompressed (name without .gz). A download is
    checked against SHA256 before it is put in place, and a bad one is never kept. `progress`,
    if given, is called as progress(bytes_done, bytes_total_or_None, filename) while downloading.
    `kinds` limits the check to some of "train" and "test".
    """
    folder = find_data_dir(data_dir)
    names = _file_names(kinds)
    missing = [name for name in names if _find_file(folder, name) is None]
    if not missing:
        return folder
    if not download:
        raise DataError(
            f"MNIST not found in {folder} (downloading is switched off): {_where_to_put(folder)}"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create the MNIST folder {folder} ({one_line(e)})") from e
    for name in missing:
        remove_stale_temporaries(folder / name)  # left by a download that was killed
    for name in missing:
        _download(name, folder, progress)
    return folder


def mirrors():
    """The base URLs to download from: $TINYNET_MNIST_MIRRORS if set, else MIRRORS."""
    text = os.environ.get(MIRRORS_ENV, "")
    urls = [u for u in re.split(r"[\s,]+", text) if u] or MIRRORS
    return [u if u.endswith("/") else u + "/" for u in urls]


def _download(name, folder, progress):
    """Download one file into folder, trying each mirror in turn."""
    import urllib.error  # (here, not at the top: see _new_sha256)
    from http.client import HTTPException

    failures = []  # (url, reason, whether the server could not be reached at all)
    for base in mirrors():
        url = base + name
        shown = []  # whether progress was shown, and how far it got
        try:
            data = _fetch(url, name, _watching(progress, shown))
        except (OSError, HTTPException) as e:
            # Only failing to reach the server at all suggests we are offline.
            offline = not isinstance(e, (urllib.error.HTTPError, HTTPException, DownloadRefused))
            failures.append((url, _network_reason(e), offline))
            _end_progress_line(shown)
            continue
        _end_progress_line(shown)
        problem = _check_download(data, name)
        if problem:
            failures.append((url, problem, False))
            continue
        try:
            write_atomic(folder / name, data)
        except OSError as e:
            raise DataError(f"cannot write {folder / name} ({one_line(e)})") from e
        return
    if all(offline for _, _, offline in failures):
        raise DataError(
            f"MNIST not found in {folder} and could not be downloaded (no network? "
            f"{failures[-1][1]}): {_where_to_put(folder)}"
        )
    reasons = "; ".join(f"{url}: {reason}" for url, reason, _ in failures)
    raise DataError(f"could not download {name} ({reasons}): {_where_to_put(folder)}")


class DownloadRefused(OSError):
    """A download stopped by us: too big, or too slow overall."""


def _watching(progress, shown):
    """progress, noting in `shown` the last (done, total) it was called with."""
    if progress is None:
        return None

    def watched(done, total, name):
        shown[:] = [(done, total)]
        progress(done, total, name)

    return watched


def _end_progress_line(shown):
    """After a download that showed progress but did not reach 100%, end the progress line
    (drawn on stderr, as train's is) so that what comes next starts on a line of its own."""
    if shown and shown[0][1] is not None and shown[0][0] < shown[0][1]:
        sys.stderr.write("\n")
        sys.stderr.flush()


def _fetch(url, name, progress, deadline=None, max_bytes=None):
    """The bytes at url, calling progress(done, total, name) as they arrive.

    Refused (DownloadRefused) if the server announces or sends more than max_bytes (default
    MAX_DOWNLOAD), or if it all takes longer than `deadline` seconds (default DEADLINE), however
    steadily it trickles in: TIMEOUT only bounds the wait for each piece.
    """
    import urllib.request  # (here, not at the top: see _new_sha256)
    from http.client import HTTPException

    deadline = DEADLINE if deadline is None else deadline
    max_bytes = MAX_DOWNLOAD if max_bytes is None else max_bytes
    give_up = time.monotonic() + deadline
    request = urllib.request.Request(url, headers={"User-Agent": "tinynet"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() and len(length) < 20 else None
        if total is not None and total > max_bytes:
            raise DownloadRefused(
                f"the server offers {total:,d} bytes, more than the {max_bytes:,d} an MNIST file "
                f"can have"
            )
        # read1 returns what has arrived (up to 64 KB) rather than waiting for all 64 KB, so the
        # deadline is checked at least every TIMEOUT seconds.
        read = getattr(response, "read1", response.read)
        data = bytearray()
        while True:
            block = read(64 * 1024)
            if not block:
                break
            data += block
            if len(data) > max_bytes:
                raise DownloadRefused(f"more than {max_bytes:,d} bytes; not an MNIST file")
            if time.monotonic() > give_up:
                raise DownloadRefused(
                    f"gave up after {deadline:g} s with {len(data):,d} bytes (too slow)"
                )
            if progress is not None:
                progress(len(data), total, name)
    if total is not None and len(data) != total:
        raise HTTPException(f"incomplete download: {len(data)} of {total} bytes")
    return data


def _network_reason(e):
    """Why a download failed, in a few words."""
    import socket
    import urllib.error

    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP error {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        e = e.reason if isinstance(e.reason, BaseException) else OSError(str(e.reason))
    if isinstance(e, socket.timeout):
        return f"timed out after {TIMEOUT} s"
    return one_line(e)


def _check_download(data, name):
    """None if the downloaded bytes are the genuine file, else what is wrong with them."""
    compressed = data[:2] == GZIP_MAGIC
    try:
        digest = _sha256_of_stream(io.BytesIO(data), compressed, "the download")
    except (OSError, EOFError, zlib.error) as e:
        return f"corrupt gzip data ({one_line(e)})"
    except DataError as e:
        return str(e)
    if digest != SHA256[name]:
        return "checksum mismatch, the download is corrupt"
    return None


# ---------------------------------------------------------------------------------------------
# Checksums
# ---------------------------------------------------------------------------------------------

# SHA-256 of files already hashed by this process, keyed by (path, size, modification time),
# so that asking again (checksums() after load(), say) costs nothing.
_known_sha256 = {}


def checksums(data_dir=None):
    """{file name: SHA-256 of its uncompressed content} for the four MNIST files in the folder.

    These are the actual digests, whether or not they match SHA256; files already hashed by
    this process (by load(), say) are not read again.
    """
    folder = find_data_dir(data_dir)
    result = {}
    for name in SHA256:
        path = _find_file(folder, name)
        if path is None:
            raise DataError(f"MNIST not found in {folder}: {_where_to_put(folder)}")
        result[name] = _content_sha256(path)
    return result


def _content_sha256(path):
    """SHA-256 of a file's uncompressed content (remembered while the file is unchanged)."""
    key = _file_key(path)
    if key not in _known_sha256:
        compressed = False
        try:
            compressed = _is_gzip(path)
            with open(path, "rb") as raw:
                _known_sha256[key] = _sha256_of_stream(raw, compressed, path)
        except (OSError, EOFError, zlib.error) as e:
            raise _read_error(path, compressed, e) from e
    return _known_sha256[key]


def _new_sha256(data=b""):
    """hashlib.sha256(data), hashlib imported only when something is hashed: on PyPy importing
    hashlib (or urllib, http.client: they load OpenSSL) costs 33-50 MB of memory, which every
    command importing mnist (predict too) would pay at start-up (docs/files-and-limits.md)."""
    import hashlib

    return hashlib.sha256(data)


def _sha256_of_stream(stream, compressed, where):
    """SHA-256 of a binary stream's content, decompressing it first if it is gzip'ed.

    DataError (naming `where`) past MAX_IDX_BYTES of content plus the largest IDX header: no
    MNIST file is that big, and a small gzip bomb would otherwise keep us decompressing."""
    hasher = _new_sha256()
    f = gzip.GzipFile(fileobj=stream, mode="rb") if compressed else stream
    limit = MAX_IDX_BYTES + 4 + 4 * 255
    done = 0
    while True:
        block = f.read(_BLOCK)
        if not block:
            return hasher.hexdigest()
        done += len(block)
        if done > limit:
            raise DataError(
                f"{where}: more than {limit:,d} bytes{' once decompressed' if compressed else ''}"
                f"; not an MNIST file"
            )
        hasher.update(block)


def _file_key(path):
    """What identifies one version of a file: its full path, size and modification time."""
    path = Path(path).resolve()
    try:
        st = path.stat()
    except OSError as e:
        raise _read_error(path, False, e) from e
    return (str(path), st.st_size, st.st_mtime_ns)


def _verify(path, name, digest):
    """Raise DataError unless digest is the SHA-256 the MNIST file `name` must have."""
    if digest != SHA256[name]:
        raise DataError(
            f"{path}: checksum mismatch (SHA-256 of the uncompressed content is {digest[:16]}..., "
            f"expected {SHA256[name][:16]}...): the file is corrupt or not the original MNIST; "
            f"delete it and run again to re-download it"
        )


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def load(kind="train", data_dir=None, download=True, verify=True, progress=None):
    """Load the "train" (60,000) or "test" (10,000) set; return (images, labels).

    `images` is a list of `bytes` of 784 pixels each (28 rows of 28, 0-255) and `labels` a
    `bytes` of the digits 0-9, labels[i] being the digit images[i] shows. Missing files are
    downloaded (see ensure_files) unless download=False; with verify=True (the default) their
    content must match SHA256.
    """
    folder = ensure_files(data_dir, download=download, progress=progress, kinds=(kind,))
    images_name, labels_name = FILES[kind]
    images_path = _find_file(folder, images_name)
    labels_path = _find_file(folder, labels_name)

    image_dims, images = _read_mnist_file(images_path, images_name, IMAGES_MAGIC, verify, True)
    label_dims, labels = _read_mnist_file(labels_path, labels_name, LABELS_MAGIC, verify, False)

    if image_dims[1:] != (ROWS, COLS):
        rows, cols = image_dims[1:]
        raise DataError(f"{images_path}: images are {rows}x{cols} pixels, expected {ROWS}x{COLS}")
    if image_dims[0] != label_dims[0]:
        raise DataError(
            f"{images_path} holds {image_dims[0]} images but {labels_path} holds "
            f"{label_dims[0]} labels"
        )
    if labels and max(labels) > 9:
        position = next(i for i, label in enumerate(labels) if label > 9)
        raise DataError(
            f"{labels_path}: label number {position} is {labels[position]}, not a digit 0-9"
        )
    return images, labels


def _read_mnist_file(path, name, magic, verify, split):
    """Read one MNIST file, checking its SHA-256 if verify; return (dims, payload)."""
    key = _file_key(path)
    hasher = _new_sha256() if verify and key not in _known_sha256 else None
    try:
        _, dims, payload = read_idx(path, magic, split=split, hasher=hasher)
    except DataError as e:
        if isinstance(e.__cause__, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise DataError(f"{e}; delete it and run again to re-download it") from e
    if hasher is not None:
        _known_sha256[key] = hasher.hexdigest()
    if verify:
        _verify(path, name, _known_sha256[key])
    return dims, payload


# ---------------------------------------------------------------------------------------------
# Kaggle's CSV layout ("digit-recognizer" competition)
# ---------------------------------------------------------------------------------------------

KAGGLE_PIXEL_NAMES = [f"pixel{i}" for i in range(PIXELS)]


def read_kaggle_csv(path):
    """Read Kaggle's train.csv (label,pixel0,...,pixel783) or test.csv (pixel0,...,pixel783).

    Returns (images, labels) like load(), with labels None for a file without a label column.
    The file may be gzip-compressed. Raises DataError naming the file and line if anything is
    wrong.
    """
    path = Path(path)
    compressed = False
    try:
        _check_regular_file(path)
        compressed = _is_gzip(path)
        with _open_text(path, compressed) as f:
            return _read_kaggle_rows(csv.reader(_text_lines(f, path)), path)
    except (OSError, EOFError, zlib.error, MemoryError) as e:
        raise _read_error(path, compressed, e) from e
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not a text file ({one_line(e)})") from e
    except csv.Error as e:
        raise DataError(f"{path}: not a valid CSV file ({one_line(e)})") from e


def _open_text(path, compressed):
    """Open a text file for the csv module, decompressing on the fly if it is gzip'ed."""
    if compressed:
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _text_lines(f, path):
    """The lines of a text file, refusing binary data (a NUL character) and lines longer than
    MAX_CSV_LINE in our own words (the csv module words its errors differently in each Python)
    and before a huge line is ever held."""
    for number in itertools.count(1):
        line = f.readline(MAX_CSV_LINE + 1)
        if not line:
            return
        if ON_PYPY and number % 200 == 0:
            # PyPy frees the text it has read only at its next full garbage collection, which
            # comes hundreds of megabytes late (340 MB for train.csv, not 200): ask for one.
            gc.collect()
        if number > 2 * MAX_CSV_ROWS:  # blank lines do not count as rows, but take time
            raise DataError(
                f"{path}, line {number}: more than {2 * MAX_CSV_ROWS:,d} lines; "
                f"not a Kaggle digits CSV file"
            )
        if "\0" in line:
            raise DataError(f"{path}, line {number}: binary data (a NUL byte), not a CSV text file")
        if len(line) > MAX_CSV_LINE and not line.endswith("\n"):
            raise DataError(
                f"{path}, line {number}: longer than {MAX_CSV_LINE:,d} characters; "
                f"not a Kaggle digits CSV file"
            )
        yield line


def _read_kaggle_rows(reader, path):
    """Check the header, then read every row; return (images, labels or None)."""
    header = [field.strip() for field in next(reader, [])]
    if header == ["label"] + KAGGLE_PIXEL_NAMES:
        has_labels = True
    elif header == KAGGLE_PIXEL_NAMES:
        has_labels = False
    else:
        start = ",".join(header[:3]) if header else "nothing"
        raise DataError(
            f"{path}, line 1: expected the header label,pixel0,...,pixel783 (train.csv) or "
            f"pixel0,...,pixel783 (test.csv), found {start}... ({len(header)} fields)"
        )
    images = []
    labels = bytearray()
    for row in reader:
        if not row:
            continue  # a blank line, usually the last
        if len(images) >= MAX_CSV_ROWS:
            raise DataError(
                f"{path}, line {reader.line_num}: more than {MAX_CSV_ROWS:,d} images; "
                f"not a Kaggle digits CSV file (train.csv has 42,000, test.csv 28,000)"
            )
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {reader.line_num}: {len(row)} fields, expected {len(header)}"
            )
        try:
            if has_labels:
                label = int(row[0])
                if not 0 <= label <= 9:
                    raise ValueError
                labels.append(label)
            images.append(bytes(map(int, row[1:] if has_labels else row)))
        except ValueError:
            raise _bad_field(row, header, path, reader.line_num) from None
    return images, (bytes(labels) if has_labels else None)


def _bad_field(row, header, path, line):
    """The DataError for the first value of a row that is not a label 0-9 or a pixel 0-255."""
    for name, text in zip(header, row):
        largest = 9 if name == "label" else 255
        try:
            ok = 0 <= int(text) <= largest
        except ValueError:
            ok = False
        if not ok:
            return DataError(
                f"{path}, line {line}: {name} is {text!r}, expected a whole number 0-{largest}"
            )
    return DataError(f"{path}, line {line}: bad value")  # not reached


def load_kaggle(path, kind="train"):
    """read_kaggle_csv() of a file, or of train.csv / test.csv (per kind) in a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / f"{kind}.csv"
    return read_kaggle_csv(path)


KAGGLE_TRAIN = "train.csv"  # or train.csv.gz
VALIDATION_SHARE = 10  # the last tenth of Kaggle's train.csv is held out: 4,200 of 42,000 images


def kaggle_train_file(data_dir=None):
    """(Kaggle's train.csv to train on, or None for MNIST; a note to show, or None).

    --data FILE is always Kaggle's CSV. A folder (--data DIR, else $TINYNET_DATA, else the cache)
    is Kaggle's when it holds train.csv (or train.csv.gz) and not MNIST's training files. A
    folder holding both is read as MNIST's, and the note says how to pick the CSV instead.
    """
    given = Path(data_dir).expanduser() if data_dir else None
    if given is not None and given.is_file():
        return given, None
    folder = find_data_dir(data_dir)
    csv_path = next(
        (folder / n for n in (KAGGLE_TRAIN, KAGGLE_TRAIN + ".gz") if (folder / n).is_file()), None
    )
    if csv_path is None:
        return None, None
    if any(_find_file(folder, name) for name in FILES["train"]):
        note = f"{folder} holds both MNIST and {csv_path.name}: using MNIST (--data {csv_path} "
        return None, note + "trains on Kaggle's CSV)"
    return csv_path, None


def validation_count(n):
    """How many of train.csv's n images are held out: the last tenth, and at least one."""
    return max(1, n // VALIDATION_SHARE)


def load_kaggle_split(path):
    """Kaggle's train.csv cut in two: (training images, labels, validation images, labels, record).

    Kaggle's test.csv has no labels, so the last tenth of train.csv (its rows are in no
    particular order) is held out to measure accuracy on; `record` says which, for the weights
    file, the log and the checkpoint: {"file", "sha256", "images", "validation_first",
    "validation_images"} (images counted from 1, in the file's order).
    """
    path = Path(path)
    images, labels = read_kaggle_csv(path)
    if labels is None:
        raise DataError(
            f"{path}: has no label column (the layout of Kaggle's test.csv); training and "
            f"evaluating need train.csv (label,pixel0,...,pixel783)"
        )
    n = len(images)
    if n < 2:
        raise DataError(f"{path}: {n:d} images; at least 2 are needed (to train on, to hold out)")
    k = n - validation_count(n)
    record = {
        "file": path.name,
        "sha256": csv_sha256(path),
        "images": n,
        "validation_first": k + 1,
        "validation_images": n - k,
    }
    return images[:k], labels[:k], images[k:], labels[k:], record


def kaggle_key(record, first, count):
    """The deskewed cache's key for `count` images from image `first` (counted from 1) of the
    train.csv that `record` describes (load_kaggle_split)."""
    return _new_sha256(f"{record['sha256']} {first:d} {count:d}".encode()).hexdigest()


def split_line(record):
    """The held-out split in words, as train and evaluate print it."""
    n, first, count = record["images"], record["validation_first"], record["validation_images"]
    return (
        f"validation: the last {count:,d} of the {n:,d} images of {record['file']} (images "
        f'{first:,d}-{n:,d}), held out from training; "test accuracy" is measured on them'
    )


def csv_sha256(path):
    """SHA-256 of a file's content (uncompressed, if it is gzip'ed), read a block at a time."""
    hasher = _new_sha256()
    compressed = False
    try:
        compressed = _is_gzip(path)
        with _open_binary(path, compressed) as f:
            for count, block in enumerate(iter(lambda: f.read(_BLOCK), b""), 1):
                hasher.update(block)
                if ON_PYPY and count % 4 == 0:
                    gc.collect()  # PyPy frees the blocks read only at a full collection
    except (OSError, EOFError, zlib.error) as e:
        raise _read_error(path, compressed, e) from e
    return hasher.hexdigest()


def kaggle_lines(images, labels=None):
    """The lines (bytes) of a CSV in Kaggle's layout: train.csv's with labels, else test.csv's."""
    yield (("label," if labels is not None else "") + ",".join(KAGGLE_PIXEL_NAMES) + "\n").encode()
    for i, image in enumerate(images):
        label = f"{labels[i]:d}," if labels is not None else ""
        yield (label + ",".join(map(str, image)) + "\n").encode()


def write_kaggle_csv(path, images, labels=None):
    """Write images (and labels) as Kaggle's train.csv (or, without labels, test.csv)."""
    write_atomic(path, kaggle_lines(images, labels))


def kaggle_files_from_mnist(folder, data_dir=None):
    """Write MNIST as Kaggle's two files, to try the Kaggle commands without a Kaggle account:
    train.csv the first 42,000 training images with their labels, test.csv the 28,000 others
    (the last 18,000 training images, then the 10,000 test images) without. Their true digits,
    which Kaggle keeps to itself, are returned (bytes), to score a submission with."""
    train_images, train_labels = load("train", data_dir)
    test_images, test_labels = load("test", data_dir)
    write_kaggle_csv(Path(folder) / KAGGLE_TRAIN, train_images[:42_000], train_labels[:42_000])
    write_kaggle_csv(Path(folder) / "test.csv", train_images[42_000:] + test_images)
    return train_labels[42_000:] + test_labels


# ---------------------------------------------------------------------------------------------
# The images as the network is shown them
# ---------------------------------------------------------------------------------------------


def deskewed_set(kind, images, data_dir, quiet=False, key=None):
    """MNIST's images sheared upright (images/deskew.py), as the network will be shown them.

    The whole set is deskewed once (about 30 s on CPython, 10 s on PyPy) and kept in the user's
    cache folder, keyed by the SHA-256 of the data file; a part of it (--limit) is done directly.
    Other images (Kaggle's) are kept under `key` if one is given (kaggle_key), else done directly.
    """
    bar = Progress(len(images), f"deskewing the {kind} images", quiet=quiet)

    def progress(done, total):
        bar.update(done)

    if key is None and (kind not in COUNT or len(images) < COUNT[kind]):
        result = deskew.deskew_all(images, progress)
    else:
        key = key or checksums(data_dir)[FILES[kind][0]]
        result = deskew.deskewed(images, key, cache_dir("deskewed"), progress)
    bar.close()
    return result
