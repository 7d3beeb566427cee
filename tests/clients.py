"""Clients for the tests and benchmarks of the two local web servers (tinynet/draw.py and
tinynet/live.py): a raw socket client that can send anything, http.client for well-formed
requests, and a headless Chromium driven by Playwright.

Benchmarks import this by putting tests/ on sys.path."""

import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading

import pytest

CHROMIUM = os.environ.get("TINYNET_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def address(target):
    """(host, port) of a server object, of a (host, port) pair, or of a port on 127.0.0.1."""
    if isinstance(target, int):
        return "127.0.0.1", target
    if isinstance(target, tuple):
        return target[:2]
    return target.server_address[:2]


# ----------------------------------------------------------------------------- raw sockets


def exchange(target, data, how="answer", timeout=10.0):
    """Send raw bytes on a fresh connection; return the whole answer (bytes), or b"" when the
    server closed without one.

    how: "answer" (send, close our side for writing, read to the end), "abandon" (send, hang
    up at once), "reset" (send, hang up with a TCP reset)."""
    with socket.create_connection(address(target), timeout=timeout) as s:
        if how == "reset":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(ConnectionError):  # answered and closed first: read what it sent
            s.sendall(data)
        if how != "answer":
            return b""
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def raw(target, data, read=True):
    """exchange: the whole answer to `data` (read=False: send it and hang up, b"")."""
    return exchange(target, data, "answer" if read else "abandon")


def status_of(answer):
    """The status code of a raw answer, or None if it is not an HTTP answer."""
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    return int(m.group(1)) if m else None


def raw_status(answer):
    status = status_of(answer)
    assert status is not None, f"not an HTTP answer: {answer[:200]!r}"
    return status


def raw_json(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in head, head
    return json.loads(body.decode("utf-8"))


def call(target, method, path, body=None, headers=None):
    """One request with http.client: (status, response, decoded JSON or raw bytes)."""
    host, port = address(target)
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        if resp.getheader("Content-Type", "").startswith("application/json"):
            return resp.status, resp, json.loads(data.decode("utf-8"))
        return resp.status, resp, data
    finally:
        conn.close()


# ----------------------------------------------------------------------------- the browser


def require_browser():
    """Return sync_playwright, or skip (fail under CI) saying what is missing."""
    impl = platform.python_implementation()
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
        missing.append(
            "the Python package playwright ('pip install playwright'; do not run "
            "'playwright install', the test uses the system's Chromium)"
        )
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        found = shutil.which("chromium")
        missing.append(
            f"Chromium at {CHROMIUM} ('apt-get install chromium', or set TINYNET_CHROMIUM to "
            f"its path){f'; found one at {found}' if found else ''}"
        )
    if missing:
        message = "the browser test needs " + " and ".join(missing)
        if impl != "CPython":
            # CI installs Playwright for CPython only (under PyPy it needs greenlet compiled from
            # source): the CPython run covers the page.
            pytest.skip(
                message + f" (under {impl} this is a skip even in CI: the CPython run covers "
                "the page)"
            )
        if IN_CI:
            pytest.fail("CI=true, so the browser test must run; but " + message, pytrace=False)
        pytest.skip(message)
    return sync_playwright


@contextlib.contextmanager
def chromium():
    """A headless Chromium (the system's, never `playwright install`'s), closed at the end."""
    sync_playwright = require_browser()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def watch(page, url, local=("data:", "blob:")):
    """Collect the page's errors and every request it makes that does not go to `url` (or to
    one of the `local` schemes); returns the list, which grows as the page runs."""
    problems = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((url, *local))
            else problems.append(f"request to another server: {r.url}")
        ),
    )
    return problems


# ----------------------------------------------------------------------------- floods


def header_flood(target, connections=60, headers=98, size=65000):
    """`connections` clients at once, each sending a request with `headers` headers of `size`
    bytes (98 × 65 KB: just under http.server's own limits of 100 headers of 64 KiB). Returns
    the statuses answered (None where the server hung up without an answer)."""
    request = (
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"".join(b"X-%d: %s\r\n" % (k, b"a" * size) for k in range(headers))
        + b"\r\n"
    )
    statuses = []

    def one():
        try:
            statuses.append(status_of(exchange(target, request, timeout=30)))
        except OSError:
            statuses.append(None)

    threads = [threading.Thread(target=one) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def peak_rss_mb(pid):
    """The peak resident memory of process `pid` so far, in MB (Linux: VmHWM), or None."""
    try:
        with open(f"/proc/{pid:d}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def interruptible(args, **popen):
    """A child process that Ctrl-C (SIGINT) interrupts as at a terminal, its output piped as text.

    A job started in the background by a script (as CI may be) passes "ignore SIGINT" on to its
    children, and Python then never raises KeyboardInterrupt: the child puts the default back.
    """
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **popen,
    )
