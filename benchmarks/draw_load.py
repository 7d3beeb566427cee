"""Load the draw server the way a hostile or clumsy client would, and check that it shrugs.

    python benchmarks/draw_load.py [--malformed 2000] [--valid 500] [--threads 8] [--slow 100]
                                   [--seconds 120] [--fd-limit N]
    python benchmarks/draw_load.py --flood [--server draw|live] [--connections 60] [--root DIR]
                                   [--python pypy3]

--flood measures memory instead: it starts the draw server or the live view of training (as
tinynet.live.start() runs it) as a child process, sends --connections requests at once, each
with 98 headers of 65 KB (just under http.server's own limits), and prints the server's resident
memory before and its peak (Linux's VmHWM) after. --root runs the tinynet found in DIR (an
older checkout, to compare); --python runs the server with another interpreter (e.g. pypy3).

Without --flood:

Starts `python -m tinynet.draw --port 0` (loopback only) as a child process, with its stderr
going to a file, and at the same time:
  * holds --slow "slowloris" sockets that send a request one header byte at a time (reopening
    each one the server drops, so that there are always that many),
  * sends --malformed bad requests from 4 threads: garbage, cut-off headers, lying Content-Length
    (answered 408; most of them are sent and then abandoned), bodies that are not PNGs, PNG
    headers claiming 2048×2048 16-bit pixels, text/plain and cross-origin POSTs, requests whose
    client hangs up (some with a reset) before the answer,
  * sends --valid real predictions (examples/seven-ink-on-paper.png) from --threads threads.
Then stops the server with Ctrl-C (SIGINT) and reports what the clients saw (every valid request
must get 200, every bad one a 4xx/5xx answer or a closed connection), how long the lying
Content-Lengths took to be answered, and whether the server's stderr stayed clean: no traceback,
every line a one-line log of a refused request. Everything is bounded in count and time
(--seconds) and stops by itself. Exit status 0 if all is well, 1 if not.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from clients import exchange, header_flood, peak_rss_mb, status_of  # noqa: E402
from drawing import png_header  # noqa: E402

SEVEN = (ROOT / "examples" / "seven-ink-on-paper.png").read_bytes()
LOG_LINE = re.compile(r'^\S+ ".*" \d{3}$')


def post(path, body, ctype="image/png", extra=b""):
    return (
        b"POST "
        + path
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        + ctype.encode()
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n"
        + extra
        + b"\r\n"
        + body
    )


def malformed_kinds():
    """(name, request bytes, how): how = "answer" (read the answer), "abandon" (send, close at
    once), "reset" (send, close with a TCP reset), "lie" (claim more body than is sent, wait)."""
    huge = png_header(2048, 2048, 16, 6, filler=1000)
    return [
        ("garbage", b"GARBAGE\x00\xff\r\n\r\n", "answer"),
        ("cut-off header", b"GET / HTTP/1.1\r\nHost", "abandon"),
        ("long request line", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", "answer"),
        ("too many headers", b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 150 + b"\r\n", "answer"),
        ("not a PNG", post(b"/api/predict", b"hello there"), "answer"),
        ("2048x2048 RGBA16 header", post(b"/api/predict", huge), "answer"),
        ("text/plain", post(b"/api/predict", SEVEN, "text/plain"), "answer"),
        (
            "cross-origin",
            post(b"/api/predict", SEVEN, extra=b"Origin: http://evil.example\r\n"),
            "answer",
        ),
        (
            "cross-origin teach",
            post(b"/api/teach", b"{}", "application/json", b"Origin: http://evil.example\r\n"),
            "answer",
        ),
        ("bad teach", post(b"/api/teach", b'{"digit": 12}', "application/json"), "answer"),
        ("truncated PNG", post(b"/api/predict", SEVEN[:300]), "answer"),
        (
            "huge Content-Length",
            b"POST /api/predict HTTP/1.1\r\nContent-Type: image/png\r\n"
            b"Content-Length: 999999999\r\n\r\n",
            "answer",
        ),
        ("hang up before the answer", post(b"/api/predict", SEVEN), "abandon"),
        ("reset before the answer", post(b"/api/predict", SEVEN), "reset"),
        (
            "lying Content-Length, abandoned",
            b"POST /api/predict HTTP/1.1\r\nContent-Type: "
            b"image/png\r\nContent-Length: 5000\r\n\r\n" + SEVEN[:100],
            "abandon",
        ),
        ("DELETE", b"DELETE /api/teach HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "answer"),
        ("evil Host", b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", "answer"),
    ]


LYING = b"POST /api/predict HTTP/1.1\r\nContent-Type: image/png\r\nContent-Length: 5000\r\n\r\n"


class Report:
    def __init__(self):
        self.lock = threading.Lock()
        self.problems = []
        self.counts = {}
        self.valid_ok = 0
        self.valid_times = []
        self.lie_times = []
        self.slow_dropped = 0
        self.busy = 0

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def problem(self, text):
        with self.lock:
            self.problems.append(text)


def malformed_worker(port, indices, kinds, report, deadline):
    for n in indices:
        if time.monotonic() > deadline:
            report.problem("ran out of time sending malformed requests")
            return
        name, data, how = kinds[n % len(kinds)]
        try:
            answer = exchange(port, data, how)
        except OSError as e:
            if how == "answer" and not isinstance(e, ConnectionError):
                report.problem(f"{name}: {e!r}")
            continue
        report.count(name)
        status = status_of(answer) if answer else None
        if status == 503:
            report.busy += 1
        elif answer and (status is None or status < 400):
            report.problem(f"{name}: answered {answer[:60]!r}")


def lying_worker(port, n, report):
    """Claim a 5,000-byte body, send 100 bytes, and wait for the answer."""
    for _ in range(n):
        t = time.monotonic()
        try:
            answer = exchange(port, LYING + SEVEN[:100], "answer", timeout=30)
        except OSError as e:
            report.problem(f"lying Content-Length: {e!r}")
            continue
        report.lie_times.append(time.monotonic() - t)
        if status_of(answer) not in (400, 408):
            report.problem(f"lying Content-Length answered {answer[:60]!r}")


def valid_worker(port, n, report, deadline):
    request = post(b"/api/predict", SEVEN)
    for _ in range(n):
        if time.monotonic() > deadline:
            report.problem("ran out of time sending valid requests")
            return
        t = time.monotonic()
        try:
            answer = exchange(port, request, "answer")
        except OSError as e:
            report.problem(f"valid request: {e!r}")
            continue
        if status_of(answer) == 200 and b'"digit":7' in answer:
            report.valid_ok += 1
            report.valid_times.append(time.monotonic() - t)
        else:
            report.problem(f"valid request answered {answer[:80]!r}")


def slowloris(port, n, report, stop):
    """Keep n sockets open, each sending one more header byte every second or so."""
    socks = []

    def opened():
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        s.setblocking(False)
        return s

    try:
        while not stop.is_set():
            while len(socks) < n and not stop.is_set():
                try:
                    socks.append(opened())
                except OSError as e:
                    report.problem(f"slowloris could not connect: {e!r}")
                    stop.wait(0.5)
                    break
            for s in list(socks):
                try:
                    s.send(b"a")
                    if s.recv(1024) == b"":
                        raise ConnectionError("closed")
                except BlockingIOError:
                    pass  # nothing to read: still open
                except OSError:
                    report.slow_dropped += 1
                    socks.remove(s)
                    s.close()
            stop.wait(1.0)
    finally:
        for s in socks:
            s.close()


def run(malformed=2000, valid=500, threads=8, slow=100, lying=5, seconds=120.0, fd_limit=None):
    """Run the whole load against a fresh server; return (ok, lines of the report)."""
    with tempfile.TemporaryFile() as err:
        return _run(err, malformed, valid, threads, slow, lying, seconds, fd_limit)


def _run(err, malformed, valid, threads, slow, lying, seconds, fd_limit):
    deadline = time.monotonic() + seconds
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TINYNET_DATA", None)

    def limit():
        # Ctrl-C as at a terminal: a job started in the background by a script passes "ignore
        # SIGINT" on to its children, and the server would then never see KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if fd_limit:
            import resource

            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    proc = subprocess.Popen(
        [sys.executable, "-m", "tinynet.draw", "--port", "0", "--host", "127.0.0.1"],
        cwd=tempfile.gettempdir(),
        stdout=subprocess.PIPE,
        stderr=err,
        env=env,
        preexec_fn=limit,
    )
    report = Report()
    stop = threading.Event()
    try:
        line = proc.stdout.readline().decode()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            err.seek(0)
            return False, ["the server did not start: " + line + err.read().decode()]
        port = int(m.group(1))
        kinds = malformed_kinds()
        t0 = time.monotonic()
        workers = [threading.Thread(target=slowloris, args=(port, slow, report, stop))]
        workers[0].start()
        time.sleep(min(1.0, 0.02 * slow))  # let the slow sockets take their places first
        jobs = [threading.Thread(target=lying_worker, args=(port, lying, report))]
        jobs += [
            threading.Thread(
                target=malformed_worker,
                args=(port, range(i, malformed, 4), kinds, report, deadline),
            )
            for i in range(4)
        ]
        per = [valid // threads + (1 if i < valid % threads else 0) for i in range(threads)]
        jobs += [
            threading.Thread(target=valid_worker, args=(port, n, report, deadline)) for n in per
        ]
        for t in jobs:
            t.start()
        for t in jobs:
            t.join(max(0.0, deadline - time.monotonic()) + 20)
        elapsed = time.monotonic() - t0
        stop.set()
        workers[0].join(10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                report.problem("the server did not stop on Ctrl-C")
        proc.stdout.close()
    err.seek(0)
    stderr = err.read().decode("utf-8", "replace")
    lines = stderr.splitlines()
    unclean = [ln for ln in lines if not LOG_LINE.match(ln)]
    clean = "Traceback" not in stderr and not unclean

    def ms(values, q):
        values = sorted(values)
        return 1000 * values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    out = [
        f"server: python -m tinynet.draw on 127.0.0.1:{port}"
        + (f", descriptor limit {fd_limit}" if fd_limit else ""),
        f"{elapsed:.1f} s: {malformed} malformed requests (4 threads), {valid} valid ones "
        f"({threads} threads), {slow} slowloris sockets held, {lying} lying Content-Lengths "
        "waited for",
        f"valid predictions answered 200: {report.valid_ok} of {valid} (latency median "
        f"{ms(report.valid_times, 0.5):.0f} ms, 95th percentile {ms(report.valid_times, 0.95):.0f} "
        "ms)",
        f"malformed requests told 503 (too many connections): {report.busy}",
        "lying Content-Length answered 408 after "
        + ", ".join(f"{t:.1f}" for t in report.lie_times)
        + " s",
        f"slowloris sockets dropped by the server (and reopened): {report.slow_dropped}",
        f"client-side problems: {len(report.problems)}",
    ]
    out += ["  " + p for p in report.problems[:10]]
    out.append(
        f"server stderr: {len(lines)} lines, "
        + ("clean (one-line logs of refused requests, no traceback)" if clean else "NOT clean")
    )
    out += ["  " + repr(ln) for ln in unclean[:10]]
    ok = clean and not report.problems and report.valid_ok == valid
    return ok, out


FLOOD_SERVERS = {
    "draw": "from tinynet import draw, network\n"
    "server = draw.make_server(network.new_network(seed=1), port=0)\n"
    "print(server.server_address[1], flush=True)\n"
    "server.serve_forever()\n",
    "live": "from tinynet import live\n"
    "view = live.start()\n"
    "print(view.server.server_address[1], flush=True)\n"
    "view.wait()\n",
}


def flood(server="draw", connections=60, root=ROOT, python=sys.executable):
    """The header flood against one server in a child process; returns the report's lines."""
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.Popen(
        [python, "-c", FLOOD_SERVERS[server]],
        cwd=tempfile.gettempdir(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        port = int(proc.stdout.readline())
        time.sleep(0.5)
        before = peak_rss_mb(proc.pid)
        t = time.monotonic()
        statuses = header_flood(port, connections)
        seconds = time.monotonic() - t
        time.sleep(0.5)
        peak = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    answered = {s: statuses.count(s) for s in set(statuses)}
    return [
        f"server: {server} ({root}), {python}",
        f"{connections} connections at once, each 98 headers of 65 KB, {seconds:.1f} s; "
        f"answers: {answered} (None: hung up)",
        f"resident memory: {before:.0f} MB before, peak {peak:.0f} MB",
        "server stderr: " + ("has a traceback" if b"Traceback" in err else "no traceback"),
    ]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flood", action="store_true", help="measure memory under a header flood")
    ap.add_argument("--server", choices=sorted(FLOOD_SERVERS), default="draw")
    ap.add_argument("--connections", type=int, default=60)
    ap.add_argument("--root", default=str(ROOT), help="the tinynet checkout to run")
    ap.add_argument("--python", default=sys.executable, help="the server's interpreter (--flood)")
    ap.add_argument("--malformed", type=int, default=2000)
    ap.add_argument("--valid", type=int, default=500)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--slow", type=int, default=100)
    ap.add_argument("--lying", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--fd-limit", type=int, help="the server's descriptor limit (e.g. 256)")
    a = ap.parse_args(argv)
    if a.flood:
        print("\n".join(flood(a.server, a.connections, a.root, a.python)))
        return 0
    ok, lines = run(a.malformed, a.valid, a.threads, a.slow, a.lying, a.seconds, a.fd_limit)
    print("\n".join(lines))
    print("OK" if ok else "PROBLEMS (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
