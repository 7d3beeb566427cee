"""What both local web servers need: the draw page (tinynet/draw.py) and the live view of
training (tinynet/live.py). Each keeps only its routes; everything else is here, once.

Both are Python's ``http.server`` (one thread per connection, one request per connection) with
these limits, which each server may change (see Server and Handler):

    SOCKET_TIMEOUT    10 s      of silence, and a connection is dropped
    HEADER_TIMEOUT     5 s      for the request line and all the headers, however often a byte
                                arrives (a "slowloris" client cannot hold a thread longer)
    BODY_TIMEOUT       5 s      for the whole body (408 beyond)
    MAX_CONNECTIONS  128        connections answered at once; beyond, the one that has been
                                sending its headers longest (over 1 s) is dropped to make room,
                                or the newcomer gets a short 503
    MAX_REQUEST_LINE   8 KiB    for "GET /path HTTP/1.1" (414 beyond)
    MAX_HEADER_BYTES  32 KiB    for all the header lines together (431 beyond)
    MAX_HEADERS       64        header lines (431 beyond)
    max_body           per route: Handler.BODY_LIMITS, else the server's max_body (413 beyond,
                                refused from the Content-Length before a byte is read)
    MAX_BODIES_BYTES  32 MiB    of bodies being received at once, all connections together
                                (503 beyond): with the caps above, what clients send cannot take
                                more than about 50 MB of the server's memory

and these checks, on every request:

  - Host must be a loopback name (localhost, 127.x.x.x, [::1]) when the server listens on a
    loopback address (loopback_host): a web page elsewhere cannot reach it through a DNS name
    that points at 127.0.0.1 ("DNS rebinding");
  - listening on another address (--host 0.0.0.0, for a phone on the same network), Host must
    be one of this computer's own addresses or names, or the name the server was given
    (own_host), and every POST must carry the server's per-run secret, Server.token, in the
    header X-Tinynet-Token: the printed URL ends in ?token=SECRET, and the page sends it, as
    Jupyter does. A web page elsewhere knows neither. On loopback there is no token;
  - a POST that carries an Origin header must come from the server's own origin (a page on
    another web site cannot make the server compute or change anything), and must have one of
    its route's Content-Types, none of which a browser sends cross-site without a CORS
    preflight, which these servers never grant;
  - the page may only run its own inline script and style: content_security_policy hashes them.

Every answer, errors included, is a body with a Content-Length; errors are JSON
{"error": "one line saying why"}. A client that hangs up or stalls is never a traceback.
"""

import base64
import contextlib
import errno
import gc
import hashlib
import hmac
import http.client
import http.server
import io
import ipaddress
import json
import re
import secrets
import socket
import sys
import threading
import time
import traceback

from . import ON_PYPY

SOCKET_TIMEOUT = 10
HEADER_TIMEOUT = 5.0
BODY_TIMEOUT = 5.0
MAX_CONNECTIONS = 128
MAX_REQUEST_LINE = 8 * 1024
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 64
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_BODIES_BYTES = 32 * 1024 * 1024
#: Under PyPy, a full collection after every this many bytes of bodies received: its collector
#: lets garbage grow with the heap, and bodies are big (CPython frees each one at once).
COLLECT_EVERY_BYTES = 16 * 1024 * 1024
#: After refusing a request it has not read to the end, the server reads (and drops) at most this
#: much more for at most DRAIN_SECONDS: closing a socket with unread data resets the connection,
#: and the client could lose the answer.
DRAIN_BYTES = 8 * 1024 * 1024
DRAIN_SECONDS = 2.0
JSON_ONLY = ("application/json",)
TOKEN_HEADER = "X-Tinynet-Token"  # the per-run secret a POST carries off loopback


class RequestError(ValueError):
    """A request the server refuses: `status` is the HTTP status code, the message says why."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


#: What a client that hangs up or stalls raises: never worth a traceback.
CLIENT_GONE = (ConnectionError, socket.timeout, TimeoutError)


def client_gone(e):
    """True for the errors of a client that hung up or stalled."""
    return isinstance(e, CLIENT_GONE) or (
        isinstance(e, OSError)
        and e.errno in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.EBADF)
    )


def printable(text, limit=200):
    """text with anything unprintable as "?", cut to `limit` characters: safe in one log line."""
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= limit else text[:limit] + "…"


# ----------------------------------------------------------------------------- the checks


def loopback_host(host_header):
    """True for a Host header that is a loopback name: localhost, 127.x.x.x or [::1], with or
    without a port, or none at all (HTTP/1.0 clients need not send one). A web page elsewhere
    cannot then reach a server on 127.0.0.1 through a DNS name that points there."""
    if not (host_header or "").strip():
        return True
    name = host_name(host_header)
    return name in ("localhost", "localhost.") or is_loopback_address(name)


def host_name(host_header):
    """The name or address of a Host header, lower-case, without port or brackets."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def own_names(bound_to):
    """The names and addresses by which this computer may be asked for, lower-case: its host
    names (also as NAME.local), its addresses (as far as its own name resolves), the address
    it reaches the network from, and `bound_to`, what the server was told to listen on."""
    names = {bound_to.lower().strip("[]")}
    with contextlib.suppress(OSError):
        hostname = socket.gethostname().lower()
        names |= {hostname, hostname + ".local", socket.getfqdn().lower()}
        names |= {info[4][0] for info in socket.getaddrinfo(hostname, None)}
    names.add(outgoing_address())
    return {name for name in names if name}


def outgoing_address():
    """The address this computer reaches the network from ("" if none): a UDP socket is
    "connected" to an outside address, which only picks a route; nothing is sent."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: never a real host
        return s.getsockname()[0]
    return ""


def own_host(host_header, names, local_address):
    """True for a Host header naming this computer: a loopback name, one of `names`
    (own_names), or the address the request came in on (`local_address`)."""
    if loopback_host(host_header):
        return True
    name = host_name(host_header)
    if name.startswith("::ffff:"):
        name = name[len("::ffff:") :]
    local = local_address.lower()
    return name in names or name == (local[7:] if local.startswith("::ffff:") else local)


def is_loopback_address(address):
    """True for an IP address of this computer's loopback (127.x.x.x, ::1)."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def content_security_policy(page, img_src="data:"):
    """A Content-Security-Policy that lets the page (bytes) run exactly its own inline <script>
    and <style> blocks (by their SHA-256) and talk to this server: no other script, style, font,
    frame or server. Style attributes (style="…") are not allowed: use classes."""

    def hashes(tag):
        blocks = re.findall(rb"<%s>(.*?)</%s>" % (tag, tag), page, re.S)
        return " ".join(
            "'sha256-{}'".format(base64.b64encode(hashlib.sha256(b).digest()).decode("ascii"))
            for b in blocks
        )

    return (
        f"default-src 'none'; script-src {hashes(b'script')}; style-src {hashes(b'style')}; "
        f"img-src {img_src}; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


# ----------------------------------------------------------------------------- reading


class DeadlineReader(io.RawIOBase):
    """A connection's socket as a file whose reads give up at a deadline (time.monotonic()),
    not only after SOCKET_TIMEOUT of silence: a client sending a byte a second ("slowloris")
    cannot keep a thread busy for longer than the header or body timeout."""

    def __init__(self, sock):
        super().__init__()
        self.sock = sock
        self.deadline = None

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("the request took too long to arrive")
            self.sock.settimeout(min(left, SOCKET_TIMEOUT))
        return self.sock.recv_into(buffer)


class RequestLineTooLong(Exception):
    """The request line is over MAX_REQUEST_LINE bytes (answered 414)."""


class HeaderReader:
    """The connection's file while the request line and headers arrive: http.server reads them
    with readline, and this refuses a request line over MAX_REQUEST_LINE bytes, header lines
    over MAX_HEADER_BYTES in all, or more than MAX_HEADERS of them, before reading further.
    (http.server answers the errors http.client.parse_headers raises with 431.)"""

    def __init__(self, rfile):
        self.rfile = rfile
        self.lines = 0
        self.left = MAX_HEADER_BYTES

    def readline(self, limit=-1):
        if self.lines == 0:
            self.lines = 1
            line = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if len(line) > MAX_REQUEST_LINE:
                raise RequestLineTooLong
            return line
        line = self.rfile.readline(self.left + 1)
        self.left -= len(line)
        self.lines += 1
        if self.left < 0:
            raise http.client.LineTooLong(f"the headers are over {MAX_HEADER_BYTES:d} bytes")
        if self.lines > MAX_HEADERS + 1 and line not in (b"\r\n", b"\n", b""):
            raise http.client.HTTPException(f"more than {MAX_HEADERS:d} headers")
        return line


# ----------------------------------------------------------------------------- one request


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers one connection: a server's handler says only its routes, as fixed tables (no
    file is ever looked up from the URL):

        GET_ROUTES   {path: name}: GET (and HEAD) path calls self.get_NAME() (get_page, the
                     server's page and its policy, is here)
        POST_ROUTES  {path: name}: POST path calls self.post_NAME(body) → (status, JSON object)
        POST_TYPES   {name: content types}: what each POST takes (default: JSON only)
        BODY_LIMITS  {name: bytes}: the largest body each POST takes (default: server.max_body)
    """

    server_version = "tinynet"
    # A request line without a version ("GET /") is answered as HTTP/1.0, with a status line and
    # headers, rather than as HTTP/0.9 (a bare body), so that even garbage gets a readable error.
    default_request_version = "HTTP/1.0"
    timeout = SOCKET_TIMEOUT
    error_content_type = "application/json"
    GET_ROUTES = {}
    POST_ROUTES = {}
    POST_TYPES = {}
    BODY_LIMITS = {}
    GET_METHODS = "GET, HEAD"  # the Allow header of a 405 for a GET route
    PAGE_NAME = "the page"  # who may POST: "only the page itself may send it"
    drain_later = 0  # bytes the client may still be sending when the answer goes
    body_read = False

    def route(self):
        """The request's path without its query string; the routes are compared to it exactly."""
        return self.path.split("?", 1)[0].split("#", 1)[0]

    def setup(self):
        super().setup()
        self.rfile.close()  # the plain socket file: replaced by one whose reads have deadlines
        self.reader = DeadlineReader(self.connection)
        self.body_file = io.BufferedReader(self.reader)
        self.rfile = self.body_file

    def handle_one_request(self):
        # The request line and headers must arrive within the header timeout, and within the
        # caps of HeaderReader (parse_request lifts both; read_body sets the body's deadline).
        self.reader.deadline = time.monotonic() + self.server.header_timeout
        self.rfile = HeaderReader(self.body_file)
        self.server.waiting_for_headers(self, True)
        try:
            super().handle_one_request()
        except RequestLineTooLong:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414, f"the request line is over {MAX_REQUEST_LINE:d} bytes")
        finally:
            self.rfile = self.body_file
            self.server.waiting_for_headers(self, False)

    def handle(self):
        try:
            super().handle()
        except Exception as e:
            if not client_gone(e):
                raise
            self.close_connection = True  # the client hung up or stalled: nothing to answer

    def parse_request(self):
        if not super().parse_request():
            return False
        self.reader.deadline = None  # the headers are in
        self.rfile = self.body_file
        self.server.waiting_for_headers(self, False)
        host = self.headers.get("Host")
        if not (
            loopback_host(host)
            if self.server.loopback_only
            else own_host(host, self.server.own_names, self.connection.getsockname()[0])
        ):
            self.send_error(
                403,
                "this server answers only to its own address (Host {!r} refused)".format(
                    printable(self.headers.get("Host", ""))
                ),
            )
            return False
        return True

    # --- answers

    def get_page(self):
        """The server's page (server.page, bytes) under its policy (server.csp): it may load
        nothing from elsewhere and run only its own script, so it works offline."""
        self.send_body(
            200,
            self.server.page,
            "text/html; charset=utf-8",
            [("Content-Security-Policy", self.server.csp)],
        )

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
        self.send_body(status, json_bytes(obj), "application/json", extra_headers)

    def send_error(self, code, message=None, explain=None):
        """Every error, including those http.server itself finds (a garbled request line,
        an unknown method, headers over the caps), is answered as JSON: {"error": message}."""
        short = self.responses.get(code, ("Error", ""))[0]
        if code == 431:
            message = f"request header fields too large: {explain or message}"
        if code in (414, 431):
            self.drain_later = DRAIN_BYTES  # refused mid-request: the rest is still coming
        elif not self.body_read:
            self.drain_later = max(self.drain_later, self.claimed_length())
        self.close_connection = True
        extra = [("Connection", "close")]
        if code == 405:
            extra.append(("Allow", self.allowed_methods()))
        with contextlib.suppress(OSError, ValueError):  # the client has gone: nothing to tell
            self.send_json(code, {"error": message or short}, extra)

    def allowed_methods(self):
        route = self.route()
        if route in self.GET_ROUTES:
            return self.GET_METHODS
        if route in self.POST_ROUTES:
            return "POST"
        return ""

    # --- methods

    def do_GET(self):
        route = self.route()
        if route in self.GET_ROUTES:
            try:
                getattr(self, "get_" + self.GET_ROUTES[route])()
            except RequestError as e:  # (raised before anything was sent)
                self.send_error(e.status, str(e))
        elif route in self.POST_ROUTES:
            self.send_error(405, f"use POST for {route}")
        else:
            self.send_error(404, f"no such page: {printable(route)}")

    do_HEAD = do_GET

    def do_POST(self):
        route = self.route()
        if route not in self.POST_ROUTES:
            if route in self.GET_ROUTES:
                self.send_error(405, f"use GET for {route}")
            else:
                self.send_error(404, f"no such page: {printable(route)}")
            return
        try:
            status, answer = self.answer_post(self.POST_ROUTES[route])
            body = json_bytes(answer)
        except RequestError as e:
            self.send_error(e.status, str(e))
            return
        except Exception as e:
            if client_gone(e):
                self.close_connection = True
                return
            # A bug, not the client's fault: answer 500, report it, and keep serving.
            self.server.handle_error(self.request, self.client_address)
            self.send_error(500, f"internal error while answering {route} (see the server's log)")
            return
        self.send_body(status, body, "application/json")

    def answer_post(self, name):
        """(status, answer) of POST route `name`, after its checks; RequestError if refused."""
        self.check_same_origin()
        self.check_token()
        length = self.body_length()
        self.check_content_type(self.POST_TYPES.get(name, JSON_ONLY))
        self.check_body_size(length, self.BODY_LIMITS.get(name, self.server.max_body))
        with self.server.receiving(length, self):
            body = self.read_body(length)
            return getattr(self, "post_" + name)(body)

    def refuse_method(self):
        self.send_error(405, f"method {printable(self.command, 20)} not allowed")

    do_PUT = do_DELETE = do_PATCH = refuse_method

    # --- the checks of a POST

    def check_same_origin(self):
        """RequestError(403) unless a POST comes from the page itself.

        A browser adds an Origin header to a POST; when there is one, it must be this server's
        own origin (the scheme and the Host the request was sent to)."""
        origin = self.headers.get("Origin")
        if origin is not None:
            host = (self.headers.get("Host") or "").strip().lower()
            if not host or origin.strip().lower() != "http://" + host:
                raise RequestError(
                    403,
                    f"refused: this request came from another web page ({printable(origin, 80)}); "
                    f"only {self.PAGE_NAME} itself may send it",
                )

    def check_token(self):
        """RequestError(403) unless a POST carries the server's token (only off loopback)."""
        token = self.server.token
        given = (self.headers.get(TOKEN_HEADER) or "").strip()
        if token is not None and not hmac.compare_digest(given.encode(), token.encode()):
            raise RequestError(
                403,
                f"refused: this server listens on the network, and changes need the token of "
                f"the address it printed (?token=…); {'a wrong' if given else 'no'} "
                f"{TOKEN_HEADER} header was sent",
            )

    def check_content_type(self, content_types):
        """RequestError(415) unless the body's Content-Type is one of `content_types`."""
        kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if kind not in content_types:
            raise RequestError(
                415,
                "Content-Type must be {}, not {}".format(
                    " or ".join(content_types), printable(kind, 60) or "missing"
                ),
            )

    def body_length(self):
        """The Content-Length; RequestError without one or for a malformed one."""
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
            raise RequestError(400, f"bad Content-Length {printable(length)!r}") from None
        return length

    def claimed_length(self):
        """The Content-Length the request claims, 0 if none (or no headers yet)."""
        headers = getattr(self, "headers", None)
        try:
            return max(0, int(headers.get("Content-Length", 0))) if headers is not None else 0
        except ValueError:
            return 0

    def check_body_size(self, length, limit):
        """RequestError(413) for a body over `limit` bytes, before a byte of it is read."""
        if length > limit:
            self.drain_later = length
            raise RequestError(
                413, f"request body of {length:d} bytes is over the limit of {limit:d} bytes"
            )

    def read_body(self, length):
        """The request body of `length` bytes, arriving within the body timeout; RequestError
        otherwise."""
        self.reader.deadline = time.monotonic() + self.server.body_timeout
        try:
            body = self.rfile.read(length)
        except socket.timeout:
            raise RequestError(
                408,
                f"the request body did not arrive within {self.server.body_timeout:g} s "
                f"(Content-Length said {length:d} bytes)",
            ) from None
        finally:
            self.reader.deadline = None
            self.body_read = True
        if len(body) < length:
            raise RequestError(400, f"request body ended after {len(body):d} of {length:d} bytes")
        return body

    def finish(self):
        # After refusing a request not read to its end, read (and drop) what the client is still
        # sending, for a short while: closing a socket with unread data makes the system reset
        # the connection, and the client could lose the answer.
        try:
            super().finish()
            deadline = time.monotonic() + DRAIN_SECONDS
            left = min(self.drain_later, DRAIN_BYTES)
            # into one buffer, over and over: no garbage for PyPy to collect (a flood of 60
            # refused requests took its server from 164 MB to 314 MB with a new bytes a chunk)
            sink = bytearray(65536) if left > 0 else None
            while left > 0 and time.monotonic() < deadline:
                self.connection.settimeout(max(0.01, min(1.0, deadline - time.monotonic())))
                got = self.connection.recv_into(sink, min(left, len(sink)))
                if not got:
                    break
                left -= got
        except OSError:
            pass

    # --- logging: refused requests only, through server.log (None: silence)

    def log_message(self, format, *args):
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def log_error(self, format, *args):
        # http.server reports a request that timed out this way: a client that connected and
        # said nothing (or too little, too slowly) is not news; it is dropped quietly.
        if not format.startswith("Request timed out"):
            self.log_message(format, *args)

    def log_request(self, code="-", size="-"):
        if (
            isinstance(code, int) and code >= 400
        ):  # the page asks many times a second: only refusals
            self.log_message('"%s" %d', printable(self.requestline), code)


def json_bytes(obj):
    """obj as compact JSON bytes (ValueError for NaN or infinity, which JSON has not)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")


# ----------------------------------------------------------------------------- the server

BUSY_ANSWER = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Content-Length: 61\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    b'{"error":"too many open connections: try again in a moment"}\n'
)


class Server(http.server.ThreadingHTTPServer):
    """A ThreadingHTTPServer that answers at most max_connections connections at once, keeps
    what clients send within the module's caps, and never prints a traceback for a client's
    doing. `log`: None, or a function given one line per refused request and per bug."""

    daemon_threads = True  # a hanging connection never keeps Python from exiting
    block_on_close = False
    request_queue_size = 64

    def __init__(
        self,
        address,
        handler,
        log=None,
        max_body=MAX_BODY_BYTES,
        max_connections=MAX_CONNECTIONS,
        header_timeout=HEADER_TIMEOUT,
        body_timeout=BODY_TIMEOUT,
        slow_after=1.0,
    ):
        self.log = log
        self.max_body = max_body
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.slow_after = slow_after
        self.max_connections = fit_descriptor_limit(max_connections)
        self.slots = threading.BoundedSemaphore(self.max_connections)
        self.waiting = {}  # connections still sending their headers: id → (since, socket)
        self.waiting_lock = threading.Lock()
        self.bodies = 0  # bytes of the bodies being received now
        self.received = 0  # bytes of bodies received since the last gc.collect() (PyPy)
        self.bodies_lock = threading.Lock()
        super().__init__(address, handler)
        self.loopback_only = is_loopback_address(self.server_address[0])
        # Off loopback: who may be named in Host, and the per-run secret every POST needs.
        self.own_names = set() if self.loopback_only else own_names(str(address[0]))
        self.token = None if self.loopback_only else secrets.token_urlsafe(16)

    @property
    def url(self):
        """The address to open in a browser, e.g. 'http://127.0.0.1:8000/'; off loopback with
        ?token=SECRET, and for 0.0.0.0 (every address) the one this computer is reached at."""
        host, port = self.server_address[:2]
        if host in ("0.0.0.0", "::"):
            host = outgoing_address() or host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port:d}/" + (f"?token={self.token}" if self.token else "")

    @contextlib.contextmanager
    def receiving(self, length, handler):
        """Room for a body of `length` bytes among all being received (MAX_BODIES_BYTES);
        RequestError(503) when there is none now."""
        with self.bodies_lock:
            if self.bodies + length > MAX_BODIES_BYTES:
                handler.drain_later = length
                raise RequestError(503, "the server is receiving too much: try again in a moment")
            self.bodies += length
        try:
            yield
        finally:
            with self.bodies_lock:
                self.bodies -= length
                self.received += length
                collect = ON_PYPY and self.received >= COLLECT_EVERY_BYTES
                if collect:
                    self.received = 0
            if collect:
                gc.collect()  # PyPy frees big bodies only when it collects: now and then, do

    def waiting_for_headers(self, handler, waiting):
        """Note (or forget) a connection that is still sending its request line and headers."""
        with self.waiting_lock:
            if waiting:
                self.waiting[id(handler)] = (time.monotonic(), handler.connection)
            else:
                self.waiting.pop(id(handler), None)

    def drop_slowest(self):
        """Hang up on the connection that has been sending its headers longest, if for more than
        `slow_after` seconds (a browser sends them at once): when all the places are taken by
        slow clients, a new one takes the place of the slowest. True if one was dropped."""
        with self.waiting_lock:
            if not self.waiting:
                return False
            key = min(self.waiting, key=lambda k: self.waiting[k][0])
            since, sock = self.waiting[key]
            if time.monotonic() - since < self.slow_after:
                return False
            del self.waiting[key]
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # its thread's read returns at once, and it ends
        return True

    def process_request(self, request, client_address):
        # Beyond max_connections, the slowest client sending headers makes way; if there is
        # none, a short 503 and the door shut, instead of one more thread.
        if not self.slots.acquire(blocking=False) and not (
            self.drop_slowest() and self.slots.acquire(timeout=1.0)
        ):
            refuse_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address):
        # A client that hung up is not an error. A bug while answering: say so and go on.
        e = sys.exc_info()[1]
        if e is None or client_gone(e):
            return
        if self.log is not None:
            self.log(f"error while answering {client_address[0]}:\n{traceback.format_exc()}")
        else:
            print(
                f"{self.RequestHandlerClass.server_version}: {type(e).__name__}: {e}",
                file=sys.stderr,
            )


class Server6(Server):
    address_family = socket.AF_INET6


def refuse_busy(request):
    """Answer 503 on a connection the server has no place for, then let it be closed."""
    try:
        request.settimeout(0.5)
        request.sendall(BUSY_ANSWER)
        request.shutdown(socket.SHUT_WR)
        # Read what the client sent: closing a socket with unread data resets the connection,
        # and the client may then lose the answer before reading it.
        request.settimeout(0.05)
        request.recv(65536)
    except OSError:
        pass


def fit_descriptor_limit(max_connections, spare=32):
    """max_connections, lowered if this process may not open that many files (sockets) and
    `spare` more: past the limit, the server could not even accept a connection to refuse it."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return max_connections  # no such limit here (Windows)
    if soft == resource.RLIM_INFINITY:
        return max_connections
    return min(max_connections, max(4, soft - spare))


def serve_in_thread(server, poll_interval=0.1, name="tinynet-server"):
    """Run ``server.serve_forever()`` in a background thread (started, daemon); returns it.

    `poll_interval`: how often, in seconds, the loop checks whether ``server.shutdown()`` was
    called (so shutdown takes at most about this long)."""
    thread = threading.Thread(
        target=server.serve_forever, args=(poll_interval,), name=name, daemon=True
    )
    thread.start()
    return thread
