"""Draw a digit in your browser and watch the network read it:  python -m tinynet.draw

    python -m tinynet.draw [--host 127.0.0.1] [--port N] [--weights FILE] [--open]

starts a small web server on your own computer (Python's ``http.server``, one thread per
connection), prints its address, and serves one page, ``pages/draw.html`` beside this file.
You draw on the page with a mouse, a finger or a pen; while you draw, the page sends the
drawing to the server as a PNG, the server reads it exactly the way ``python -m
tinynet.predict`` reads an image file (tinynet's own PNG decoder, then
``preprocess.to_mnist``, then ``network.feedforward``), and the page shows what came back:
the 28×28 image the network sees, the activation of every neuron, the ten outputs and the
winning digit. Nothing is fetched from the internet: the page is one file with its script
and style inside.

Everything the server does is a plain function you can call from a REPL:

    >>> from tinynet import draw, network, png
    >>> net = network.new_network(seed=1)           # or weights.load("my-weights.json")
    >>> ink = [255] * (56 * 56)
    >>> for y in range(10, 46): ink[56 * y + 28] = 0   # a black vertical bar on white: a "1"
    >>> result = draw.analyse_png(net, png.encode(56, 56, ink))
    >>> sorted(result)
    ['blank', 'digit', 'hidden', 'input', 'outputs', 'probabilities']
    >>> server = draw.make_server(net, port=0)       # port 0: any free port
    >>> thread = draw.serve_in_thread(server)        # answer requests in the background
    >>> server.url                                   # doctest: +SKIP
    'http://127.0.0.1:40123/'
    >>> server.shutdown(); server.server_close()

The HTTP interface (all answers are JSON except the page itself):

    GET  /               the page
    GET  /api/network    the network's shape and the weights the page draws (network_summary)
    POST /api/predict    body: the drawing as PNG bytes (what canvas.toBlob gives), or JSON
                         {"image": "data:image/png;base64,..."} (what canvas.toDataURL gives);
                         answer: analyse_png's dict

Errors answer {"error": "one line saying why"}: 400 for a body that is not a PNG or not valid
JSON (or a garbled request), 403 for a Host header that is not this computer's (see
host_allowed), 404 for any other path, 405 for the wrong method, 411 without a Content-Length,
413 for a body over MAX_BODY_BYTES, 501 for a method HTTP does not know. A blank drawing is not
an error: it gets 200 with "blank": true and a message asking for a digit. The routes are a
fixed table and the only file the server reads is the page, so no path can reach any other
file.
"""

import argparse
import base64
import binascii
import errno
import http.server
import ipaddress
import json
import os
import socket
import struct
import sys
import threading
import traceback
import webbrowser

from .images import png
from .images.preprocess import NoDigitError, to_mnist
from .network import feedforward
from .predict import probabilities
from .weights import PRETRAINED, WeightsError, check_digit_reader, load_digit_reader

#: Request bodies larger than this are refused with 413 before being read.
MAX_BODY_BYTES = 2 * 1024 * 1024
#: Largest drawing accepted, in pixels per side. The page sends 280×280; the limit keeps a small
#: but hostile PNG (a "decompression bomb") from making the server decode a gigantic image.
MAX_IMAGE_SIDE = 2048
#: Seconds a connection may stay silent before the server gives up on it.
SOCKET_TIMEOUT = 10
DEFAULT_PORT = 8000
PAGE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pages", "draw.html")
BLANK_MESSAGE = "Draw a digit: no ink found (the drawing is blank or too faint)."


class RequestError(ValueError):
    """A request the server refuses: `status` is the HTTP status code, the message says why."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


# ----------------------------------------------------------------------------- the arithmetic


def png_size(data):
    """(width, height) from a PNG's header, read without decoding; None if there is no header.

    A PNG starts with its 8-byte signature, then the IHDR chunk: 4 bytes length, b"IHDR",
    then width and height as 4-byte big-endian numbers.
    """
    if len(data) >= 24 and data[:8] == png.SIGNATURE and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def decode_drawing(data, max_side=MAX_IMAGE_SIDE):
    """Decode PNG bytes to (width, height, rgba); RequestError(400) if they are not a usable PNG."""
    if not data:
        raise RequestError(400, "empty request: send the drawing as a PNG")
    if data[:4] != png.SIGNATURE[:4]:
        raise RequestError(
            400, "not a PNG image: send the drawing as a PNG (canvas.toBlob(callback, 'image/png'))"
        )
    size = png_size(data)
    if size is not None and (size[0] > max_side or size[1] > max_side):
        raise RequestError(
            400,
            f"image is {size[0]:d}×{size[1]:d} pixels; at most {max_side:d}×{max_side:d} is "
            "accepted",
        )
    try:
        return png.decode(data)
    except png.PNGError as e:
        raise RequestError(400, f"not a usable PNG: {e}")


def analyse_input(net, x):
    """Feed the 784 inputs x to the network; return what the page shows, as a dict.

        {"blank": False,
         "digit": the winning digit (the output with the highest activation),
         "input": x, the 784 values (0 = paper … 1 = ink) of the 28×28 image, row by row,
         "hidden": [a¹, a²], the activations of the hidden layers (16 values each),
         "outputs": a³, the ten output activations,
         "probabilities": the outputs scaled to sum to 1 (predict.probabilities)}

    Numbers are rounded to 4 decimals: plenty for drawing, and a quarter of the bytes.
    """
    z, a = feedforward(net, x)
    outputs = a[-1]
    return {
        "blank": False,
        "digit": outputs.index(max(outputs)),
        "input": _rounded(x),
        "hidden": [_rounded(layer) for layer in a[1:-1]],
        "outputs": _rounded(outputs),
        "probabilities": _rounded(probabilities(outputs)),
    }


def analyse_png(net, data):
    """Read a drawing given as PNG bytes and run it through the network.

    The same path as ``python -m tinynet.predict``: ``png.decode`` → ``preprocess.to_mnist``
    → ``network.feedforward``. Returns analyse_input's dict, or, for a drawing without ink,

        {"blank": True, "digit": None, "message": "Draw a digit: …", "input": None,
         "hidden": None, "outputs": None, "probabilities": None}

    Raises RequestError (status 400) when the bytes are not a usable PNG.
    """
    width, height, rgba = decode_drawing(bytes(data))
    try:
        x = to_mnist(width, height, rgba)
    except NoDigitError:
        return {
            "blank": True,
            "digit": None,
            "message": BLANK_MESSAGE,
            "input": None,
            "hidden": None,
            "outputs": None,
            "probabilities": None,
        }
    return analyse_input(net, x)


def network_summary(net, info=None):
    """The network as the page draws it, as a dict (the answer to GET /api/network).

        {"sizes": [784, 16, 16, 10],
         "weights": [w², w³, …]  the weight matrices after the first: weights[k][i][j] connects
                                 neuron j of hidden layer k+1 to neuron i of the next layer,
         "biases": [b¹, b², …],
         "first_layer": [[784 numbers] × 16]  each first-layer neuron's weights, as a 28×28
                                 picture of what that neuron looks for,
         "summary": {"parameters": how many weights and biases, "test_accuracy", "epochs",
                     "cost", "command": how it was trained (when the weights file says)}}

    `info` is the decoded weights file (weights.load_with_info), for the training record.
    """
    training = (info or {}).get("training") or {}
    summary = {"parameters": sum(len(row) + 1 for w_l in net.w for row in w_l)}
    for key in ("test_accuracy", "epochs", "cost", "command"):
        if key in training:
            summary[key] = training[key]
    return {
        "sizes": list(net.sizes),
        "weights": [[_rounded(row) for row in w_l] for w_l in net.w[1:]],
        "biases": [_rounded(b_l) for b_l in net.b],
        "first_layer": [_rounded(row, 3) for row in net.w[0]],
        "summary": summary,
    }


def _rounded(values, places=4):
    return [round(v, places) for v in values]


def parse_predict_body(body, content_type=None):
    """The PNG bytes in a POST /api/predict body: the body itself when it is a PNG, or the
    base64 "image" field of a JSON object (a data: URL as canvas.toDataURL gives, or bare
    base64). The body is JSON when its Content-Type says so or when it starts like JSON.
    RequestError(400) for anything else."""
    if body[:4] == png.SIGNATURE[:4]:
        return body
    is_json = "json" in (content_type or "").lower() or body.lstrip()[:1] in (b"{", b"[", b'"')
    if not is_json:
        return body  # decode_drawing explains that this is not a PNG
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise RequestError(400, "malformed JSON: {}".format(str(e).split("\n")[0]))
    except RecursionError:
        raise RequestError(400, "malformed JSON: nested too deeply")
    if not isinstance(obj, dict) or not isinstance(obj.get("image"), str):
        raise RequestError(400, 'JSON body must be an object {"image": "data:image/png;base64,…"}')
    text = obj["image"].strip()
    if text.startswith("data:"):
        head, comma, text = text.partition(",")
        if not comma or not head.endswith(";base64"):
            raise RequestError(400, '"image" must be a base64 data: URL (data:image/png;base64,…)')
        if not head[5:].startswith("image/png"):
            raise RequestError(
                400,
                '"image" must be a PNG (data:image/png;base64,…), not %s'
                % (head[5:].split(";")[0] or "text"),
            )
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise RequestError(400, '"image" is not valid base64')


# ----------------------------------------------------------------------------- the server


class DrawHandler(http.server.BaseHTTPRequestHandler):
    """Answers one connection. Routes are a fixed table: no file is looked up from the URL."""

    server_version = "tinynet-draw"
    # A request line without a version ("GET /") is answered as HTTP/1.0, with a status line and
    # headers, rather than as HTTP/0.9 (a bare body), so that even garbage gets a readable error.
    default_request_version = "HTTP/1.0"
    timeout = SOCKET_TIMEOUT
    error_content_type = "application/json"

    # GET routes: path -> method name. Anything else is 404.
    GET_ROUTES = {"/": "page", "/index.html": "page", "/api/network": "network"}
    POST_ROUTES = {"/api/predict": "predict"}

    def route(self):
        """The request's path without its query string; the routes are compared to it exactly."""
        return self.path.split("?", 1)[0].split("#", 1)[0]

    # --- answers

    def send_body(self, status, body, content_type, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj, extra_headers=()):
        body = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")
        self.send_body(status, body, "application/json", extra_headers)

    def send_error(self, code, message=None, explain=None):
        """Every error, including those http.server itself finds (a garbled request line,
        an unknown method), is answered as JSON: {"error": message}."""
        try:
            short, _ = self.responses.get(code, ("Error", ""))
        except Exception:
            short = "Error"
        self.close_connection = True
        extra = [("Connection", "close")]
        if code == 405:
            extra.append(("Allow", self.allowed_methods()))
        try:
            self.send_json(code, {"error": message or short}, extra)
        except (OSError, ValueError):
            pass  # the client has gone; nothing to tell it

    def allowed_methods(self):
        route = self.route()
        if route in self.GET_ROUTES:
            return "GET, HEAD"
        if route in self.POST_ROUTES:
            return "POST"
        return ""

    # --- methods

    def do_GET(self):
        route = self.route()
        if route in self.GET_ROUTES:
            getattr(self, "get_" + self.GET_ROUTES[route])()
        elif route in self.POST_ROUTES:
            self.send_error(405, f"use POST for {route}")
        else:
            self.send_error(404, f"no such page: {_printable(route)}")

    do_HEAD = do_GET

    def do_POST(self):
        route = self.route()
        if route in self.POST_ROUTES:
            getattr(self, "post_" + self.POST_ROUTES[route])()
        elif route in self.GET_ROUTES:
            self.send_error(405, f"use GET for {route}")
        else:
            self.send_error(404, f"no such page: {_printable(route)}")

    def do_PUT(self):
        self.send_error(405, "method PUT not allowed")

    do_DELETE = do_PATCH = do_PUT

    # --- the routes

    def get_page(self):
        self.send_body(
            200,
            self.server.page,
            "text/html; charset=utf-8",
            [
                # The page may load nothing from elsewhere: it works offline, and says so.
                (
                    "Content-Security-Policy",
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                    "img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; "
                    "form-action 'none'; "
                    "frame-ancestors 'none'",
                ),
            ],
        )

    def get_network(self):
        self.send_body(200, self.server.network_json, "application/json")

    def post_predict(self):
        try:
            body = self.read_body()
            result = analyse_png(
                self.server.net, parse_predict_body(body, self.headers.get("Content-Type"))
            )
        except RequestError as e:
            self.send_error(e.status, str(e))
            return
        except Exception:
            # A bug, not the client's fault: answer 500, report it, and keep serving.
            self.server.handle_error(self.request, self.client_address)
            self.send_error(500, "internal error while reading the drawing (see the server's log)")
            return
        self.send_json(200, result)

    def read_body(self):
        """The request body, at most MAX_BODY_BYTES; RequestError otherwise."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise RequestError(411, "chunked bodies are not accepted: send a Content-Length")
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError(411, "a Content-Length header is required")
        try:
            length = int(length.strip())
            if length < 0:
                raise ValueError
        except ValueError:
            raise RequestError(400, f"bad Content-Length {_printable(length)!r}")
        if length > self.server.max_body:
            self.drain_later = length
            raise RequestError(
                413,
                f"request body of {length:d} bytes is over the limit of {self.server.max_body:d} "
                "bytes",
            )
        body = self.rfile.read(length)
        if len(body) < length:
            raise RequestError(400, f"request body ended after {len(body):d} of {length:d} bytes")
        return body

    drain_later = 0

    def finish(self):
        # After refusing a large body, read (and drop) what the client is still sending, for a
        # short while: closing a socket with unread data makes the system reset the connection,
        # and the client could lose our 413 answer.
        try:
            super().finish()
            if self.drain_later:
                self.connection.settimeout(1.0)
                left = min(self.drain_later, 4 * self.server.max_body)
                while left > 0:
                    chunk = self.connection.recv(min(left, 65536))
                    if not chunk:
                        break
                    left -= len(chunk)
        except OSError:
            pass

    # --- the checks every request passes

    def parse_request(self):
        if not super().parse_request():
            return False
        if not self.host_allowed():
            self.send_error(
                403,
                "this server answers only to its own address (Host {!r} refused)".format(
                    _printable(self.headers.get("Host", ""))
                ),
            )
            return False
        return True

    def host_allowed(self):
        """When bound to a loopback address, accept only loopback Host names (localhost,
        127.x.x.x, [::1]): a web page elsewhere then cannot reach the server through a DNS
        name that it points at 127.0.0.1 ("DNS rebinding")."""
        if not self.server.loopback_only:
            return True
        host = (self.headers.get("Host") or "").strip()
        if not host:
            return True  # HTTP/1.0 clients need not send one
        if host.startswith("["):
            name = host[1:].split("]", 1)[0]
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if name.lower() in ("localhost", "localhost."):
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    # --- logging

    def log_message(self, format, *args):
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def log_request(self, code="-", size="-"):
        # Log refused requests only: the page asks for a prediction many times a second.
        try:
            refused = int(code) >= 400
        except (TypeError, ValueError):
            refused = False
        if refused:
            self.log_message('"%s" %d', _printable(self.requestline), int(code))


def _printable(text, limit=200):
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= limit else text[:limit] + "…"


class DrawServer(http.server.ThreadingHTTPServer):
    """A ThreadingHTTPServer that holds the network, the page and its settings."""

    daemon_threads = True  # a hanging connection never keeps Python from exiting
    request_queue_size = 64

    def __init__(self, address, net, info=None, max_body=MAX_BODY_BYTES, log=None):
        check_digit_reader(net, "the network")
        self.net = net
        self.max_body = max_body
        self.log = log
        with open(PAGE_FILE, "rb") as f:
            self.page = f.read()
        self.network_json = json.dumps(
            network_summary(net, info), separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
        super().__init__(address, DrawHandler)
        self.loopback_only = _is_loopback(self.server_address[0])

    @property
    def url(self):
        """The address to open in a browser, e.g. 'http://127.0.0.1:8000/'."""
        host, port = self.server_address[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port:d}/"

    def handle_error(self, request, client_address):
        # A bug while answering: say so on stderr and go on serving the next request.
        if self.log is not None:
            self.log(f"error while answering {client_address[0]}:\n{traceback.format_exc()}")


class DrawServer6(DrawServer):
    address_family = socket.AF_INET6


def _is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(
    net, host="127.0.0.1", port=DEFAULT_PORT, info=None, max_body=MAX_BODY_BYTES, log=None
):
    """Create (not start) the server for `net` on host:port; port 0 picks any free port.

    `info`: the decoded weights file, for the training record the page shows.
    `log`: None for silence, or a function given one line for each refused request and for
    each error (the command line passes a printer to stderr).
    Call ``server.serve_forever()`` (or ``serve_in_thread(server)``) to answer requests,
    ``server.shutdown()`` to stop, ``server.server_close()`` to free the port.
    """
    cls = DrawServer6 if ":" in host else DrawServer
    return cls((host, port), net, info=info, max_body=max_body, log=log)


def serve_in_thread(server, poll_interval=0.1):
    """Run ``server.serve_forever()`` in a background thread (started, daemon); returns it.

    `poll_interval`: how often, in seconds, the loop checks whether ``server.shutdown()`` was
    called (so shutdown takes at most about this long)."""
    thread = threading.Thread(
        target=server.serve_forever, args=(poll_interval,), name="tinynet-draw", daemon=True
    )
    thread.start()
    return thread


# ----------------------------------------------------------------------------- command line


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m tinynet.draw",
        description="Draw a digit in your web browser and watch the network read it: the 28×28 "
        "image it sees, every neuron's activation, the ten outputs. Starts a small "
        "web server on this computer and prints its address; works offline. Ctrl-C "
        "stops it.",
    )
    ap.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only; "
        "0.0.0.0 lets other devices on your network, such as a phone, connect)",
    )
    ap.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default {DEFAULT_PORT:d}, or any free port if that one is taken; "
        "0 = any free port)",
    )
    ap.add_argument(
        "--weights",
        metavar="FILE",
        help=f"weights file (default: the shipped pretrained/{PRETRAINED.name})",
    )
    ap.add_argument("--open", action="store_true", help="open the page in your web browser")
    a = ap.parse_args(argv)

    try:
        net, info = load_digit_reader(a.weights)
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        if a.weights is None:
            print(
                "Train a network with 'python -m tinynet.train' and pass it with --weights FILE.",
                file=sys.stderr,
            )
        return 2

    def log(line):
        print(line, file=sys.stderr)
        sys.stderr.flush()

    port = DEFAULT_PORT if a.port is None else a.port
    try:
        try:
            server = make_server(net, a.host, port, info=info, log=log)
        except OSError as e:
            if a.port is not None or e.errno != errno.EADDRINUSE:
                raise
            port = 0  # the default port is taken: let the system choose a free one
            server = make_server(net, a.host, port, info=info, log=log)
    except OSError as e:
        print(
            f"error: cannot listen on {a.host} port {port:d}: {e.strerror or e}",
            file=sys.stderr,
        )
        return 2
    print(f"tinynet draw: open {server.url} in your browser (Ctrl-C stops the server)")
    if not server.loopback_only:
        print(f"note: listening on {a.host}, so other computers on your network can use it too")
    sys.stdout.flush()
    if a.open:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
