"""Tests for tinynet.mnist: IDX reading, checksums, downloading (from a local server only),
the real MNIST files (when $TINYNET_DATA points at them) and Kaggle's CSV layout."""

import contextlib
import functools
import gzip
import hashlib
import http.server
import os
import random
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinynet import mnist
from tinynet.mnist import DataError

TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TEST_IMAGES, TEST_LABELS = mnist.FILES["test"]

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def idx_bytes(dims, payload, value_type=0x08):
    """The content of an IDX file: magic number, sizes, then the payload."""
    header = bytes([0, 0, value_type, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    return header + payload


def write_file(path, content, compress=False):
    """Write bytes to path, gzip-compressed if asked; return the path."""
    path = Path(path)
    path.write_bytes(gzip.compress(content) if compress else content)
    return path


def write_mnist_like(folder, kind="test", count=5, rows=28, cols=28, labels=None, seed=0):
    """Write a small MNIST-shaped images/labels pair under the real file names (their
    checksums of course differ from the real ones); return (images, labels) written."""
    rng = random.Random(seed)
    images = [bytes(rng.randrange(256) for _ in range(rows * cols)) for _ in range(count)]
    if labels is None:
        labels = bytes(rng.randrange(10) for _ in range(count))
    images_name, labels_name = mnist.FILES[kind]
    folder.mkdir(parents=True, exist_ok=True)
    write_file(folder / images_name, idx_bytes((count, rows, cols), b"".join(images)), True)
    write_file(folder / labels_name, idx_bytes((len(labels),), labels), True)
    return images, labels


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens, so connecting fails at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging each request to stderr."""

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """serve(folder) starts an HTTP server on 127.0.0.1 for the folder; returns (url, requests)
    where requests lists the paths asked for. Servers stop at the end of the test."""
    with contextlib.ExitStack() as stack:

        def start(folder):
            requests = []

            class Handler(QuietHandler):
                def do_GET(self):
                    requests.append(self.path)
                    super().do_GET()

            handler = functools.partial(Handler, directory=str(folder))
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()

            def stop():
                server.shutdown()
                server.server_close()
                thread.join()

            stack.callback(stop)
            return f"http://127.0.0.1:{server.server_address[1]}/", requests

        yield start


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """No test may reach the real internet: the default mirrors point at a closed local port,
    and proxies are switched off so that 127.0.0.1 is reached directly."""
    closed = closed_port_url()
    monkeypatch.setattr(mnist, "MIRRORS", [closed])
    monkeypatch.setenv(mnist.MIRRORS_ENV, closed)
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def set_mirrors(monkeypatch, *urls):
    monkeypatch.setenv(mnist.MIRRORS_ENV, " ".join(urls))


def link_or_copy(source, target):
    """Make target show the content of source (a symlink where possible)."""
    try:
        os.symlink(source, target)
    except OSError:
        target.write_bytes(Path(source).read_bytes())


def assert_one_line_naming(error, *names):
    message = str(error.value)
    assert "\n" not in message
    for name in names:
        assert str(name) in message, f"{name!r} not in {message!r}"


# ---------------------------------------------------------------------------------------------
# read_idx on generated files
# ---------------------------------------------------------------------------------------------


@st.composite
def idx_contents(draw):
    """(dims, payload) for a small random IDX file."""
    dims = tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=4)))
    size = 1
    for d in dims:
        size *= d
    return dims, draw(st.binary(min_size=size, max_size=size))


@SETTINGS
@given(contents=idx_contents(), compress=st.booleans(), split=st.booleans())
def test_read_idx_round_trip(tmp_path, contents, compress, split):
    dims, payload = contents
    path = write_file(tmp_path / "data.idx", idx_bytes(dims, payload), compress)
    magic, read_dims, data = mnist.read_idx(path, split=split)
    assert magic == 0x800 + len(dims)
    assert read_dims == dims
    if split:
        item = len(payload) // dims[0] if dims[0] else 0
        assert data == [payload[i * item : (i + 1) * item] for i in range(dims[0])]
    else:
        assert type(data) is bytes and data == payload


def test_read_idx_mnist_shapes_and_hasher(tmp_path):
    pixels = bytes(range(256)) * 3 + bytes(16)  # 784 bytes
    content = idx_bytes((2, 28, 28), pixels * 2)
    path = write_file(tmp_path / "images", content, compress=True)
    hasher = hashlib.sha256()
    magic, dims, images = mnist.read_idx(path, mnist.IMAGES_MAGIC, split=True, hasher=hasher)
    assert (magic, dims, images) == (2051, (2, 28, 28), [pixels, pixels])
    assert hasher.hexdigest() == hashlib.sha256(content).hexdigest()  # the uncompressed content


def test_read_idx_tells_gzip_by_content_not_name(tmp_path):
    content = idx_bytes((3,), b"\x01\x02\x03")
    raw_named_gz = write_file(tmp_path / "labels.gz", content)
    gzip_named_raw = write_file(tmp_path / "labels.idx", content, compress=True)
    assert mnist.read_idx(raw_named_gz, mnist.LABELS_MAGIC) == (2049, (3,), b"\x01\x02\x03")
    assert mnist.read_idx(gzip_named_raw, mnist.LABELS_MAGIC) == (2049, (3,), b"\x01\x02\x03")


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("cut", [1, 100, 784 * 2 - 1])
def test_truncated_payload(tmp_path, compress, cut):
    content = idx_bytes((3, 28, 28), bytes(784 * 3))
    path = write_file(tmp_path / "short-images", content[:-cut], compress)
    with pytest.raises(DataError, match="truncated") as error:
        mnist.read_idx(path, mnist.IMAGES_MAGIC)
    assert_one_line_naming(error, path)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dims", [(2**32 - 1,) * 3, (1, 2**32 - 1), (2**31, 1)])
def test_absurd_sizes_in_header(tmp_path, compress, dims):
    """A damaged header announcing terabytes is refused before anything is read."""
    path = write_file(tmp_path / "huge", idx_bytes(dims, bytes(3000)), compress)
    for split in (False, True):
        with pytest.raises(DataError, match="header announces .* more than the") as error:
            mnist.read_idx(path, split=split)
        assert_one_line_naming(error, path)


def test_a_gzip_bomb_is_refused_without_decompressing_it(tmp_path):
    """The probe's case: a small .gz whose header announces gigabytes and whose content goes on
    for a long way (here 64 MB of zeros, 64 KB compressed)."""
    header = idx_bytes((2**31, 1), b"")
    bomb = gzip.compress(header + bytes(64 * 1024 * 1024), compresslevel=1)
    path = write_file(tmp_path / "bomb.gz", bomb)
    with pytest.raises(DataError, match="header announces 2147483648x1 values") as error:
        mnist.read_idx(path)
    assert_one_line_naming(error, path)


@pytest.mark.parametrize("split", [False, True])
def test_a_header_within_the_limit_over_a_short_stream_is_truncated(tmp_path, split):
    path = write_file(tmp_path / "short.gz", idx_bytes((60000, 28, 28), bytes(5000)), True)
    with pytest.raises(DataError, match="truncated: .* 47040000 bytes .* only 5000") as error:
        mnist.read_idx(path, mnist.IMAGES_MAGIC, split=split)
    assert_one_line_naming(error, path)


def test_the_limit_counts_the_memory_of_split_items(tmp_path):
    content = idx_bytes((1000, 1), bytes(1000))
    path = write_file(tmp_path / "many-tiny.idx", content)
    assert mnist.read_idx(path, max_bytes=1000)[1] == (1000, 1)
    with pytest.raises(DataError, match="more than the 1,000"):
        mnist.read_idx(path, split=True, max_bytes=1000)  # 1,000 bytes objects cost more
    assert len(mnist.read_idx(path, split=True, max_bytes=100_000)[2]) == 1000


def test_an_uncompressed_file_is_measured_before_it_is_read(tmp_path):
    path = tmp_path / "sparse.idx"
    with open(path, "wb") as f:
        f.write(idx_bytes((10, 28, 28), b""))
        f.truncate(3 * 1024**3)  # 3 GB, almost all of it a hole: reading it would take long
    with pytest.raises(
        DataError, match=f"extra bytes .*[(]{3 * 1024**3 - 16 - 7840:d} more"
    ) as error:
        mnist.read_idx(path)
    assert_one_line_naming(error, path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
@pytest.mark.parametrize("reader", ["read_idx", "read_kaggle_csv"])
def test_a_named_pipe_or_device_is_refused_without_waiting(tmp_path, reader):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(DataError, match="not a regular file") as error:
            getattr(mnist, reader)(path)
        assert_one_line_naming(error, path)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("content", [b"", b"\x00\x00", idx_bytes((3, 28, 28), b"")[:9]])
def test_truncated_header(tmp_path, compress, content):
    path = write_file(tmp_path / "stub", content, compress)
    with pytest.raises(DataError) as error:
        mnist.read_idx(path)
    assert_one_line_naming(error, path)


@pytest.mark.parametrize("compress", [False, True])
def test_extra_bytes(tmp_path, compress):
    path = write_file(tmp_path / "long", idx_bytes((2,), b"\x01\x02") + b"\x00", compress)
    with pytest.raises(DataError, match="extra bytes") as error:
        mnist.read_idx(path)
    assert_one_line_naming(error, path)


def test_wrong_magic(tmp_path):
    path = write_file(tmp_path / "labels-not-images", idx_bytes((2,), b"\x01\x02"), True)
    with pytest.raises(DataError, match="magic") as error:
        mnist.read_idx(path, mnist.IMAGES_MAGIC)
    assert_one_line_naming(error, path, "2051", "2049")


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04" + bytes(20),  # a zip file
        idx_bytes((2,), b"\x01\x02", value_type=0x0D),  # floats, not unsigned bytes
        b"\x00\x00\x08\x00",  # zero dimensions
        b"label,pixel0\n",  # text
    ],
)
def test_not_an_idx_file(tmp_path, content):
    path = write_file(tmp_path / "odd", content)
    with pytest.raises(DataError) as error:
        mnist.read_idx(path)
    assert_one_line_naming(error, path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file") as error:
        mnist.read_idx(tmp_path / "nothing.gz")
    assert_one_line_naming(error, tmp_path / "nothing.gz")


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda z: z[:2] + b"\xff" * 20,  # gzip magic, then garbage
        lambda z: z[: len(z) // 2],  # compressed stream cut short
        lambda z: z[:-8] + bytes(8),  # wrong CRC and length in the trailer
        lambda z: z[:20] + bytes([z[20] ^ 0xFF]) + z[21:],  # a flipped byte in the deflate data
    ],
)
def test_corrupt_gzip(tmp_path, corrupt):
    rng = random.Random(1)
    content = idx_bytes((50, 28, 28), bytes(rng.randrange(256) for _ in range(50 * 784)))
    path = tmp_path / "broken.gz"
    path.write_bytes(corrupt(gzip.compress(content)))
    with pytest.raises(DataError) as error:
        mnist.read_idx(path)
    assert_one_line_naming(error, path)


@SETTINGS
@given(position=st.integers(min_value=0), xor=st.integers(1, 255))
def test_damaged_gzip_is_read_right_or_refused(tmp_path, position, xor):
    """Whatever byte of a gzip file is damaged, read_idx returns the original data (the byte was
    in an unimportant header field) or raises DataError, never anything else."""
    content = idx_bytes((20, 7), bytes(range(140)))
    compressed = bytearray(gzip.compress(content))
    position %= len(compressed)
    compressed[position] ^= xor
    path = tmp_path / "damaged.gz"
    path.write_bytes(compressed)
    try:
        result = mnist.read_idx(path)
    except DataError as e:
        assert str(path) in str(e)
    else:
        assert result == (0x802, (20, 7), bytes(range(140)))


# ---------------------------------------------------------------------------------------------
# load() on generated MNIST-shaped files
# ---------------------------------------------------------------------------------------------


def test_load_generated_without_verify(tmp_path):
    images, labels = write_mnist_like(tmp_path, "test", count=5)
    got_images, got_labels = mnist.load("test", data_dir=tmp_path, download=False, verify=False)
    assert got_images == images and got_labels == labels
    assert all(type(image) is bytes and len(image) == 784 for image in got_images)
    assert type(got_labels) is bytes


def test_load_accepts_uncompressed_files(tmp_path):
    images, labels = write_mnist_like(tmp_path, "test", count=3)
    for name in mnist.FILES["test"]:
        gz = tmp_path / name
        (tmp_path / name[: -len(".gz")]).write_bytes(gzip.decompress(gz.read_bytes()))
        gz.unlink()
    assert mnist.load("test", tmp_path, download=False, verify=False) == (images, labels)


def test_checksum_mismatch_refused(tmp_path):
    write_mnist_like(tmp_path, "test", count=5)
    with pytest.raises(DataError, match="checksum mismatch") as error:
        mnist.load("test", data_dir=tmp_path, download=False)
    assert_one_line_naming(error, tmp_path / TEST_IMAGES, "delete it")


def test_label_above_9_refused(tmp_path):
    write_mnist_like(tmp_path, "test", count=3, labels=b"\x01\x0a\x02")
    with pytest.raises(DataError, match="not a digit") as error:
        mnist.load("test", data_dir=tmp_path, download=False, verify=False)
    assert_one_line_naming(error, tmp_path / TEST_LABELS)


def test_count_mismatch_refused(tmp_path):
    write_mnist_like(tmp_path, "test", count=3, labels=b"\x01\x02")
    with pytest.raises(DataError, match="3 images.*2 labels") as error:
        mnist.load("test", data_dir=tmp_path, download=False, verify=False)
    assert_one_line_naming(error, TEST_IMAGES, TEST_LABELS)


def test_wrong_image_size_refused(tmp_path):
    write_mnist_like(tmp_path, "test", count=2, rows=27, cols=29)
    with pytest.raises(DataError, match="27x29") as error:
        mnist.load("test", data_dir=tmp_path, download=False, verify=False)
    assert_one_line_naming(error, TEST_IMAGES)


def test_truncated_file_in_load_says_to_redownload(tmp_path):
    write_mnist_like(tmp_path, "test", count=2)
    path = tmp_path / TEST_IMAGES
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-10]))
    with pytest.raises(DataError, match="truncated.*re-download") as error:
        mnist.load("test", data_dir=tmp_path, download=False, verify=False)
    assert_one_line_naming(error, path)


def test_unknown_kind(tmp_path):
    with pytest.raises(DataError, match="'train' or 'test'"):
        mnist.load("validation", data_dir=tmp_path, download=False)


def test_missing_without_download_never_touches_the_network(tmp_path, serve, monkeypatch):
    url, requests = serve(tmp_path)
    set_mirrors(monkeypatch, url)
    folder = tmp_path / "empty"
    with pytest.raises(DataError) as error:
        mnist.load("train", data_dir=folder, download=False)
    assert_one_line_naming(error, folder, "train-images-idx3-ubyte.gz", "--data", "TINYNET_DATA")
    assert requests == []
    assert not folder.exists()


# ---------------------------------------------------------------------------------------------
# Where the data lives
# ---------------------------------------------------------------------------------------------


def test_find_data_dir_order(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist.sys, "platform", "linux")
    monkeypatch.setenv("TINYNET_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist.find_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert mnist.find_data_dir() == tmp_path / "env"
    monkeypatch.delenv("TINYNET_DATA")
    assert mnist.find_data_dir() == tmp_path / "xdg" / "tinynet" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist.find_data_dir() == tmp_path / "home" / ".cache" / "tinynet" / "mnist"


def test_find_data_dir_windows(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYNET_DATA", raising=False)
    monkeypatch.setattr(mnist.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert mnist.find_data_dir() == tmp_path / "local" / "tinynet" / "mnist"


def test_mirrors_from_environment(monkeypatch):
    monkeypatch.setenv(mnist.MIRRORS_ENV, " http://a/x, http://b/y/  http://c ")
    assert mnist.mirrors() == ["http://a/x/", "http://b/y/", "http://c/"]
    monkeypatch.delenv(mnist.MIRRORS_ENV)
    assert mnist.mirrors() == mnist.MIRRORS


# ---------------------------------------------------------------------------------------------
# Downloading from a local server
# ---------------------------------------------------------------------------------------------


def only_test_labels_missing(folder, mnist_dir):
    """A data folder holding the real test images but not the test labels."""
    folder.mkdir()
    link_or_copy(mnist_dir / TEST_IMAGES, folder / TEST_IMAGES)
    return folder


def test_download_all_four(tmp_path, mnist_dir, serve, monkeypatch):
    url, requests = serve(mnist_dir)
    set_mirrors(monkeypatch, url)
    calls = []
    folder = tmp_path / "cache" / "mnist"
    assert mnist.ensure_files(folder, progress=lambda *a: calls.append(a)) == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(mnist.SHA256)
    assert mnist.checksums(folder) == mnist.SHA256
    for name in mnist.SHA256:
        size = (mnist_dir / name).stat().st_size
        assert (size, size, name) in calls
    assert sorted(requests) == sorted("/" + name for name in mnist.SHA256)
    # Once there, nothing is downloaded again.
    mnist.ensure_files(folder)
    assert len(requests) == 4


@pytest.mark.parametrize("damage", ["content", "compressed"])
def test_corrupted_download_refused_and_removed(tmp_path, mnist_dir, serve, monkeypatch, damage):
    served = tmp_path / "served"
    served.mkdir()
    original = (mnist_dir / TEST_LABELS).read_bytes()
    if damage == "content":  # a valid gzip file whose content has one label changed
        content = bytearray(gzip.decompress(original))
        content[100] = (content[100] + 1) % 10
        (served / TEST_LABELS).write_bytes(gzip.compress(bytes(content)))
    else:  # one byte flipped in the compressed stream
        damaged = bytearray(original)
        damaged[len(damaged) // 2] ^= 0x01
        (served / TEST_LABELS).write_bytes(bytes(damaged))
    url, requests = serve(served)
    set_mirrors(monkeypatch, url)
    folder = only_test_labels_missing(tmp_path / "data", mnist_dir)
    with pytest.raises(DataError) as error:
        mnist.load("test", data_dir=folder)
    assert_one_line_naming(error, TEST_LABELS, url, folder)
    assert "checksum mismatch" in str(error.value) or "corrupt gzip" in str(error.value)
    assert requests == ["/" + TEST_LABELS]
    assert [p.name for p in folder.iterdir()] == [TEST_IMAGES]  # nothing left behind


def test_first_mirror_down_second_good(tmp_path, mnist_dir, serve, monkeypatch):
    url, requests = serve(mnist_dir)
    set_mirrors(monkeypatch, closed_port_url(), url)
    folder = only_test_labels_missing(tmp_path / "data", mnist_dir)
    images, labels = mnist.load("test", data_dir=folder)
    assert (folder / TEST_LABELS).read_bytes() == (mnist_dir / TEST_LABELS).read_bytes()
    assert requests == ["/" + TEST_LABELS]
    assert len(images) == len(labels) == 10000


def test_first_mirror_corrupt_second_good(tmp_path, mnist_dir, serve, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    (served / TEST_LABELS).write_bytes(b"\x1f\x8b not really gzip")
    bad_url, _ = serve(served)
    good_url, _ = serve(mnist_dir)
    set_mirrors(monkeypatch, bad_url + "," + good_url)
    folder = only_test_labels_missing(tmp_path / "data", mnist_dir)
    assert mnist.ensure_files(folder, kinds=("test",)) == folder
    assert (folder / TEST_LABELS).read_bytes() == (mnist_dir / TEST_LABELS).read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == sorted(mnist.FILES["test"])


def test_all_mirrors_down(tmp_path, monkeypatch):
    set_mirrors(monkeypatch, closed_port_url(), closed_port_url())
    folder = tmp_path / "data"
    with pytest.raises(DataError, match="no network") as error:
        mnist.load("train", data_dir=folder)
    assert_one_line_naming(
        error,
        folder,
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "--data",
        "TINYNET_DATA",
    )
    assert list(folder.iterdir()) == []


def test_file_not_on_mirror(tmp_path, serve, monkeypatch):
    url, _ = serve(tmp_path)  # serves an empty folder: 404 for everything
    set_mirrors(monkeypatch, url)
    folder = tmp_path / "data"
    with pytest.raises(DataError, match="404") as error:
        mnist.ensure_files(folder)
    assert "no network" not in str(error.value)
    assert_one_line_naming(error, folder, "--data")


@pytest.fixture
def serve_with():
    """serve_with(respond) starts an HTTP server on 127.0.0.1 whose GET handler is
    respond(handler); returns its URL. Servers stop at the end of the test."""
    with contextlib.ExitStack() as stack:

        def start(respond):
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    with contextlib.suppress(OSError):  # the client gave up: fine
                        respond(self)

                def log_message(self, *args):
                    pass

            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()

            def stop():
                server.shutdown()
                server.server_close()
                thread.join()

            stack.callback(stop)
            return f"http://127.0.0.1:{server.server_address[1]}/"

        yield start


def answer(handler, body, length=None, pause=0.0, piece=None):
    """Send a 200 answer: body (announced as `length` bytes; None: not announced, the end
    of the answer then being the end of the connection), in pieces with pauses between."""
    handler.send_response(200)
    if length is not None:
        handler.send_header("Content-Length", str(length))
    handler.send_header("Connection", "close")
    handler.end_headers()
    piece = piece or len(body) or 1
    for i in range(0, len(body), piece):
        handler.wfile.write(body[i : i + piece])
        handler.wfile.flush()
        time.sleep(pause)


def test_a_download_announced_as_too_big_is_refused_at_once(tmp_path, serve_with, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_DOWNLOAD", 1000)
    url = serve_with(lambda h: answer(h, bytes(5000), length=5000))
    set_mirrors(monkeypatch, url)
    folder = tmp_path / "data"
    with pytest.raises(DataError, match="offers 5,000 bytes, more than the 1,000") as error:
        mnist.ensure_files(folder, kinds=("test",))
    assert "no network" not in str(error.value)
    assert_one_line_naming(error, folder, TEST_IMAGES)
    assert list(folder.iterdir()) == []


def test_a_download_that_never_ends_is_cut_off_at_the_size_limit(tmp_path, serve_with, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_DOWNLOAD", 100_000)
    url = serve_with(lambda h: answer(h, bytes(1_000_000), piece=10_000))  # no Content-Length
    set_mirrors(monkeypatch, url)
    folder = tmp_path / "data"
    with pytest.raises(DataError, match="more than 100,000 bytes") as error:
        mnist.ensure_files(folder, kinds=("test",))
    assert_one_line_naming(error, folder)
    assert list(folder.iterdir()) == []


def test_a_download_that_trickles_in_gives_up_at_the_deadline(tmp_path, serve_with, monkeypatch):
    monkeypatch.setattr(mnist, "DEADLINE", 0.5)
    url = serve_with(lambda h: answer(h, bytes(1000), length=1000, piece=10, pause=0.05))
    set_mirrors(monkeypatch, url)
    folder = tmp_path / "data"
    started = time.monotonic()
    with pytest.raises(DataError, match="gave up after 0.5 s") as error:
        mnist.ensure_files(folder, kinds=("test",))
    assert time.monotonic() - started < 5.0 * 2  # two files; each stops after 0.5 s or so
    assert_one_line_naming(error, folder)
    assert list(folder.iterdir()) == []


def test_a_download_cut_short_ends_the_progress_line_before_the_error(
    tmp_path, serve_with, monkeypatch, capsys
):
    url = serve_with(lambda h: answer(h, bytes(3000), length=10_000))
    set_mirrors(monkeypatch, url)

    def progress(done, total, name):
        sys.stderr.write(f"\rdownloading {name}: {100 * done // total:d}%")

    with pytest.raises(DataError, match="incomplete download: 3000 of 10000"):
        mnist.ensure_files(tmp_path / "data", kinds=("test",), progress=progress)
    err = capsys.readouterr().err
    assert err.startswith(f"\rdownloading {TEST_IMAGES}: ") and err.endswith("%\n"), err


def test_temporary_files_of_a_killed_download_are_removed_on_the_next_run(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    dead = 2**22 + 4321  # above any Linux pid_max: no such process
    left = [
        f".{TEST_IMAGES}.{dead:d}.0badf00d.part",  # as older tinynets named them
        f".{TEST_IMAGES}.{dead:d}-0badf00d.tinynet-tmp",
        f".{TEST_LABELS}.{dead:d}-0badf00d.tinynet-tmp",
    ]
    for name in left:
        (folder / name).write_bytes(b"half a download")
    (folder / "keep.part").write_bytes(b"not ours")
    with pytest.raises(DataError, match="no network"):
        mnist.ensure_files(folder, kinds=("test",))  # offline: but the leftovers go anyway
    assert [p.name for p in folder.iterdir()] == ["keep.part"]


# ---------------------------------------------------------------------------------------------
# The real MNIST files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, counts", [("train", TRAIN_CLASS_COUNTS), ("test", TEST_CLASS_COUNTS)]
)
def test_real_mnist(mnist_dir, kind, counts):
    images, labels = mnist.load(kind, data_dir=mnist_dir, download=False)
    assert len(images) == len(labels) == sum(counts)
    assert [labels.count(digit) for digit in range(10)] == counts
    assert all(type(image) is bytes and len(image) == 784 for image in images)
    assert type(labels) is bytes
    assert max(max(image) for image in images[:100]) == 255


def test_real_checksums(mnist_dir):
    assert mnist.checksums(mnist_dir) == mnist.SHA256


def test_real_uncompressed_files(tmp_path, mnist_dir):
    for name in mnist.FILES["test"]:
        content = gzip.decompress((mnist_dir / name).read_bytes())
        (tmp_path / name[: -len(".gz")]).write_bytes(content)
    assert mnist.load("test", tmp_path, download=False) == mnist.load("test", mnist_dir)


def test_real_file_with_one_label_changed(tmp_path, mnist_dir):
    link_or_copy(mnist_dir / TEST_IMAGES, tmp_path / TEST_IMAGES)
    content = bytearray(gzip.decompress((mnist_dir / TEST_LABELS).read_bytes()))
    content[-1] = (content[-1] + 1) % 10
    (tmp_path / TEST_LABELS).write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(DataError, match="checksum mismatch.*not the original MNIST") as error:
        mnist.load("test", tmp_path, download=False)
    assert_one_line_naming(error, tmp_path / TEST_LABELS)
    assert mnist.load("test", tmp_path, download=False, verify=False)[1] == bytes(content[8:])


# ---------------------------------------------------------------------------------------------
# Kaggle CSV
# ---------------------------------------------------------------------------------------------

PIXEL_HEADER = ",".join(f"pixel{i}" for i in range(784))


def kaggle_csv(rows, labels=True):
    """The text of a Kaggle-style CSV file with the given rows (lists of numbers)."""
    header = ("label," if labels else "") + PIXEL_HEADER
    return "\n".join([header] + [",".join(map(str, row)) for row in rows]) + "\n"


def random_rows(count, labels, seed=0):
    rng = random.Random(seed)
    return [
        ([rng.randrange(10)] if labels else []) + [rng.randrange(256) for _ in range(784)]
        for _ in range(count)
    ]


@pytest.mark.parametrize("compress", [False, True])
def test_kaggle_train_round_trip(tmp_path, compress):
    rows = random_rows(4, labels=True)
    path = write_file(tmp_path / "train.csv", kaggle_csv(rows).encode(), compress)
    images, labels = mnist.read_kaggle_csv(path)
    assert labels == bytes(row[0] for row in rows)
    assert images == [bytes(row[1:]) for row in rows]
    assert mnist.load_kaggle(tmp_path) == (images, labels)


def test_kaggle_test_round_trip(tmp_path):
    rows = random_rows(3, labels=False)
    path = tmp_path / "test.csv"
    path.write_text(kaggle_csv(rows, labels=False).replace("\n", "\r\n"))
    images, labels = mnist.load_kaggle(tmp_path, "test")
    assert labels is None
    assert images == [bytes(row) for row in rows]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda row: row[:-1], "784 fields, expected 785"),
        (lambda row: row + ["0"], "786 fields, expected 785"),
        (lambda row: ["10"] + row[1:], "label is '10'"),
        (lambda row: ["x"] + row[1:], "label is 'x'"),
        (lambda row: row[:5] + ["256"] + row[6:], "pixel4 is '256'"),
        (lambda row: row[:5] + ["-1"] + row[6:], "pixel4 is '-1'"),
        (lambda row: row[: 785 - 1] + [""], "pixel783 is ''"),
        (lambda row: row[:9] + ["1.5"] + row[10:], "pixel8 is '1.5'"),
    ],
)
def test_kaggle_bad_row(tmp_path, change, message):
    rows = [[str(v) for v in row] for row in random_rows(3, labels=True)]
    rows[1] = change(rows[1])
    path = tmp_path / "train.csv"
    path.write_text(kaggle_csv(rows))
    with pytest.raises(DataError, match=message) as error:
        mnist.read_kaggle_csv(path)
    assert_one_line_naming(error, path, "line 3")


@pytest.mark.parametrize(
    "text",
    ["", "label,pixel0,pixel1\n1,2,3\n", "id," + PIXEL_HEADER + "\n", "\x00\x01binary\n"],
)
def test_kaggle_bad_header(tmp_path, text):
    path = tmp_path / "train.csv"
    path.write_text(text)
    with pytest.raises(DataError, match="line 1") as error:
        mnist.read_kaggle_csv(path)
    assert_one_line_naming(error, path)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(
    "content, line",
    [
        (b"\x00\x01binary\n", 1),
        (b"label\x00,pixel0\n", 1),
        (("label," + PIXEL_HEADER + "\n1" + ",0" * 784 + "\n2,\x00" + ",0" * 783).encode(), 3),
    ],
)
def test_kaggle_binary_content_gets_our_own_message(tmp_path, compress, content, line):
    """Our words, not the csv module's (which differ between Python 3.9, 3.10 and later)."""
    path = write_file(tmp_path / "train.csv", content, compress)
    with pytest.raises(DataError, match=f"line {line}: binary data .a NUL byte., not a CSV") as e:
        mnist.read_kaggle_csv(path)
    assert_one_line_naming(e, path)


def test_kaggle_a_huge_line_is_refused_without_holding_it(tmp_path):
    path = write_file(tmp_path / "train.csv", b"label," + b"0," * 5_000_000 + b"\n", True)
    with pytest.raises(DataError, match="line 1: longer than 16,384 characters") as error:
        mnist.read_kaggle_csv(path)
    assert_one_line_naming(error, path)


def test_kaggle_too_many_rows_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_CSV_ROWS", 3)
    rows = random_rows(3, labels=True)
    path = write_file(tmp_path / "train.csv", kaggle_csv(rows).encode())
    assert len(mnist.read_kaggle_csv(path)[0]) == 3
    path = write_file(tmp_path / "train.csv", kaggle_csv(rows + rows[:1]).encode())
    with pytest.raises(DataError, match="line 5: more than 3 images") as error:
        mnist.read_kaggle_csv(path)
    assert_one_line_naming(error, path)


def test_kaggle_not_text(tmp_path):
    path = write_file(tmp_path / "train.csv", b"\xff\xfe\x00garbage")
    with pytest.raises(DataError) as error:
        mnist.read_kaggle_csv(path)
    assert_one_line_naming(error, path)


def test_kaggle_endless_blank_lines_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_CSV_ROWS", 10)
    text = kaggle_csv(random_rows(2, labels=True)) + "\n" * 30
    path = write_file(tmp_path / "train.csv", text.encode(), True)
    with pytest.raises(DataError, match="line 21: more than 20 lines") as error:
        mnist.read_kaggle_csv(path)
    assert_one_line_naming(error, path)


def test_checksums_of_a_gzip_bomb_stop_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_IDX_BYTES", 1 << 20)
    folder = tmp_path / "data"
    write_mnist_like(folder, "test", count=2)
    write_mnist_like(folder, "train", count=2)
    bomb = folder / mnist.FILES["train"][0]
    bomb.write_bytes(gzip.compress(bytes(3 << 20), compresslevel=1))
    with pytest.raises(DataError, match="more than 1,049,60[0-9] bytes once decompressed") as e:
        mnist.checksums(folder)
    assert_one_line_naming(e, bomb)


def test_a_download_that_is_a_gzip_bomb_is_refused(tmp_path, serve_with, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_IDX_BYTES", 1 << 20)
    bomb = gzip.compress(bytes(3 << 20), compresslevel=1)
    url = serve_with(lambda h: answer(h, bomb, length=len(bomb)))
    set_mirrors(monkeypatch, url)
    folder = tmp_path / "data"
    with pytest.raises(DataError, match="the download: more than .* once decompressed") as e:
        mnist.ensure_files(folder, kinds=("test",))
    assert_one_line_naming(e, folder)
    assert list(folder.iterdir()) == []
