"""Tests for python -m tinynet.draw: the plain functions, and the HTTP API against a real server
on a free port (port 0) answering in a background thread."""

import base64
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from clients import call, raw, raw_json, raw_status
from drawing import blank_png, png_header, scribble, side_by_side, stroke_png
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet import draw, network, reading, teach, weights
from tinynet.images import png
from tinynet.images.preprocess import to_mnist
from tinynet.support import http as support_http
from tinynet.weights import PRETRAINED

ROOT = Path(__file__).resolve().parent.parent
SEVEN = ROOT / "examples" / "seven-ink-on-paper.png"
NO_WEIGHTS_REASON = (
    f"no trained weights: {PRETRAINED.relative_to(ROOT)} does not exist and TINYNET_TEST_WEIGHTS "
    "is not set "
    "(set it to a weights file from 'python -m tinynet.train')"
)


def trained_weights_path():
    """The shipped pretrained weights if present, else $TINYNET_TEST_WEIGHTS, else None."""
    if PRETRAINED.exists():
        return PRETRAINED
    env = os.environ.get("TINYNET_TEST_WEIGHTS")
    return Path(env) if env else None


# ----------------------------------------------------------------------------- helpers


SEVEN_STROKES = [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]
ONE_STROKES = [[(0.5, 0.15), (0.5, 0.85)]]


def start(net, host="127.0.0.1", **kw):
    server = draw.make_server(net, host, 0, **kw)
    draw.serve_in_thread(server)
    return server


def stop(server):
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def random_net():
    return network.new_network(seed=1)


@pytest.fixture(scope="module")
def server(random_net):
    """A server with a random (untrained) network: the API works the same."""
    s = start(random_net)
    yield s
    stop(s)


@pytest.fixture(scope="module")
def trained_server(tmp_path_factory):
    path = trained_weights_path()
    if path is None:
        pytest.skip(NO_WEIGHTS_REASON)
    copy = tmp_path_factory.mktemp("weights") / "trained.json"
    shutil.copyfile(str(path), str(copy))
    net, info = weights.load_with_info(copy)
    s = start(net, info=info)
    yield s
    stop(s)


# ----------------------------------------------------------------------------- plain functions


def test_analyse_png_uses_the_predict_path(random_net):
    data = SEVEN.read_bytes()
    result = teach.analyse_png(random_net, data)
    x = reading.read_digit(str(SEVEN))  # what python -m tinynet.predict sees
    assert result["blank"] is False
    assert result["input"] == [round(v, 4) for v in x]
    z, a = network.feedforward(random_net, x)
    assert result["hidden"] == [[round(v, 4) for v in a[1]], [round(v, 4) for v in a[2]]]
    assert result["outputs"] == [round(v, 4) for v in a[3]]
    assert result["digit"] == a[3].index(max(a[3]))
    assert abs(sum(result["probabilities"]) - 1) < 1e-3
    json.dumps(result, allow_nan=False)


def test_analyse_png_blank(random_net):
    for data in (blank_png(), blank_png(transparent=True), blank_png(size=1)):
        result = teach.analyse_png(random_net, data)
        assert result["blank"] is True and result["digit"] is None
        assert "draw a digit" in result["message"].lower()


def test_analyse_png_refuses_non_png(random_net):
    for data in (
        b"",
        b"hello",
        b"GIF89a\x01\x00",
        SEVEN.read_bytes()[:100],
        png_header(3000, 10),
    ):
        with pytest.raises(teach.DrawingError) as e:
            teach.analyse_png(random_net, data)
        assert e.value.status == 400


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300), st.booleans())
def test_analyse_png_any_bytes_is_a_result_or_a_request_error(data, with_signature):
    if with_signature:
        data = png.SIGNATURE + data
    try:
        result = teach.analyse_png(NET_FOR_FUZZ, data)
    except teach.DrawingError as e:
        assert e.status == 400 and str(e)
    else:
        assert set(result) >= {"blank", "digit"}


NET_FOR_FUZZ = network.new_network(seed=2)


def test_png_size():
    assert teach.png_size(png.encode(7, 5, bytes(35))) == (7, 5)
    assert teach.png_size(b"hello") is None
    assert teach.png_size(png_header(100000, 3)) == (100000, 3)


def test_parse_predict_body():
    data = SEVEN.read_bytes()
    b64 = base64.b64encode(data).decode("ascii")
    assert draw.parse_predict_body(data) == data
    assert (
        draw.parse_predict_body(json.dumps({"image": "data:image/png;base64," + b64}).encode())
        == data
    )
    assert draw.parse_predict_body(json.dumps({"image": b64}).encode(), "application/json") == data
    for bad in (
        b"{",
        b'{"image": 3}',
        b"[1, 2]",
        b'{"image": "data:image/jpeg;base64,AAAA"}',
        b'{"image": "data:image/png,notbase64"}',
        b'{"image": "!!!"}',
        b"[" * 100000,
        b'{"image": "\\u00e9"}',
        b"\xff{",
    ):
        with pytest.raises(draw.RequestError) as e:
            draw.parse_predict_body(bad, "application/json")
        assert e.value.status == 400


def test_network_summary(random_net):
    s = teach.network_summary(
        random_net, {"training": {"test_accuracy": 0.95, "epochs": 3, "seed": 1}}
    )
    assert s["sizes"] == [784, 16, 16, 10]
    assert [len(w) for w in s["weights"]] == [16, 10]
    assert all(len(row) == 16 for w in s["weights"] for row in w)
    assert len(s["first_layer"]) == 16 and all(len(row) == 784 for row in s["first_layer"])
    assert [len(b) for b in s["biases"]] == [16, 16, 10]
    assert s["summary"] == {
        "parameters": 784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10,
        "test_accuracy": 0.95,
        "epochs": 3,
        "deskew": False,
        "unsure_rule": {  # what the page needs to say why it is unsure
            "min_output": reading.UNSURE_MIN_OUTPUT,
            "min_margin": reading.UNSURE_MIN_MARGIN,
        },
    }
    deskewed = {"training": {}, "input": {"deskew": True}}
    assert teach.network_summary(random_net, deskewed)["summary"]["deskew"] is True
    # a softmax network is judged by its own limits (reading.unsure_limits), and so explained
    softmax_net = network.new_network([784, 16, 10], seed=1, activation="relu", output="softmax")
    rule = teach.network_summary(softmax_net)["summary"]["unsure_rule"]
    assert (rule["min_output"], rule["min_margin"]) == reading.unsure_limits("softmax")
    assert rule["min_output"] != reading.UNSURE_MIN_OUTPUT


def test_make_server_refuses_a_network_that_does_not_read_digits():
    with pytest.raises(weights.WeightsError):
        draw.make_server(network.new_network((10, 3, 2)), port=0)


# ----------------------------------------------------------------------------- the HTTP API


def test_page(server):
    status, resp, body = call(server, "GET", "/")
    assert status == 200
    assert resp.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b"<canvas" in body and b"api/predict" in body
    assert "default-src 'none'" in resp.getheader("Content-Security-Policy")
    # Offline: the page names no other server (the SVG namespace is a name, never fetched).
    urls = set(re.findall(rb"(?:https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}[^\s\"'<>)]*", body))
    assert urls <= {b"http://www.w3.org/2000/svg"}, urls
    assert b"@import" not in body and b"@font-face" not in body
    status, resp, body = call(server, "HEAD", "/")
    assert status == 200 and body == b"" and int(resp.getheader("Content-Length")) > 1000


def test_network_endpoint(server):
    status, resp, j = call(server, "GET", "/api/network")
    assert status == 200
    assert j["sizes"] == [784, 16, 16, 10]
    assert j["summary"]["parameters"] == 13002
    assert len(j["first_layer"]) == 16


def test_predict_png(server, random_net):
    status, resp, j = call(
        server, "POST", "/api/predict", SEVEN.read_bytes(), {"Content-Type": "image/png"}
    )
    assert status == 200
    assert j == json.loads(json.dumps(teach.analyse_png(random_net, SEVEN.read_bytes())))
    assert len(j["input"]) == 784 and all(0 <= v <= 1 for v in j["input"])
    assert [len(layer) for layer in j["hidden"]] == [16, 16]
    assert len(j["outputs"]) == 10 and j["digit"] in range(10)
    assert resp.getheader("Cache-Control") == "no-store"


def test_predict_data_url(server):
    data = SEVEN.read_bytes()
    as_png = call(server, "POST", "/api/predict", data, {"Content-Type": "image/png"})[2]
    body = json.dumps({"image": "data:image/png;base64," + base64.b64encode(data).decode()})
    status, resp, j = call(
        server, "POST", "/api/predict", body, {"Content-Type": "application/json"}
    )
    assert status == 200 and j == as_png


def test_predict_blank(server):
    for data in (blank_png(), blank_png(transparent=True)):
        status, resp, j = call(server, "POST", "/api/predict", data, {"Content-Type": "image/png"})
        assert status == 200
        assert j["blank"] is True and j["digit"] is None and "Draw a digit" in j["message"]


def test_right_predictions(trained_server):
    cases = [(SEVEN.read_bytes(), 7), (stroke_png(SEVEN_STROKES), 7), (stroke_png(ONE_STROKES), 1)]
    for data, digit in cases:
        status, resp, j = call(
            trained_server, "POST", "/api/predict", data, {"Content-Type": "image/png"}
        )
        assert status == 200
        assert j["digit"] == digit, j["probabilities"]
    status, resp, j = call(trained_server, "GET", "/api/network")
    assert 0.5 < j["summary"]["test_accuracy"] <= 1


# ----------------------------------------------------------------------------- whole numbers


DIGIT_FIELDS = ("digit", "input", "hidden", "outputs", "probabilities", "unsure")


def test_one_digit_reads_as_before(random_net):
    """A single digit: the fields of before (to_mnist's input, the first digit's activations),
    and "number", "digits", "unsure" agreeing with them."""
    for data in (SEVEN.read_bytes(), stroke_png(ONE_STROKES), stroke_png(SEVEN_STROKES, wide=2)):
        result = teach.analyse_png(random_net, data)
        x = to_mnist(*png.decode(data))
        assert {k: v for k, v in result.items() if k not in ("number", "digits", "unsure")} == {
            k: v for k, v in teach.analyse_input(random_net, x).items() if k != "unsure"
        }
        assert result["number"] == str(result["digit"]) and len(result["digits"]) == 1
        one = result["digits"][0]
        assert {k: one[k] for k in DIGIT_FIELDS} == {k: result[k] for k in DIGIT_FIELDS}
        assert (
            result["unsure"]
            is one["unsure"]
            is reading.unsure(network.feedforward(random_net, x)[1][-1], x)
        )
        width, height = png.decode(data)[:2]
        x0, y0, x1, y1 = one["box"]
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


def test_two_digits_side_by_side(server, random_net):
    data = stroke_png(side_by_side(ONE_STROKES, SEVEN_STROKES), wide=2)
    status, resp, j = call(server, "POST", "/api/predict", data, {"Content-Type": "image/png"})
    assert status == 200 and j["blank"] is False
    assert len(j["digits"]) == 2 and j["number"] == "".join(str(d["digit"]) for d in j["digits"])
    answer = reading.read_number(random_net, *png.decode(data))  # what predict reads
    for d, expected in zip(j["digits"], answer["digits"]):
        assert d["input"] == [round(v, 4) for v in expected["input"]]
        assert d["digit"] == expected["digit"] and d["box"] == expected["box"]
        assert d["unsure"] is expected["unsure"]
        assert [len(layer) for layer in d["hidden"]] == [16, 16] and len(d["outputs"]) == 10
    assert j["digits"][0]["box"][2] <= 280 <= j["digits"][1]["box"][0]  # left, then right
    assert j["digits"][0]["input"] != j["digits"][1]["input"]
    # the top-level fields are the first digit's; "unsure" is any digit's
    assert {k: j[k] for k in DIGIT_FIELDS if k != "unsure"} == {
        k: j["digits"][0][k] for k in DIGIT_FIELDS if k != "unsure"
    }
    assert j["unsure"] is any(d["unsure"] for d in j["digits"])


def test_two_digits_read_right(trained_server):
    for strokes, number in [
        (side_by_side(ONE_STROKES, SEVEN_STROKES), "17"),
        (side_by_side(SEVEN_STROKES, ONE_STROKES), "71"),
        (side_by_side(SEVEN_STROKES, SEVEN_STROKES, ONE_STROKES), "771"),
    ]:
        data = stroke_png(strokes, wide=len(number))
        j = call(trained_server, "POST", "/api/predict", data, {"Content-Type": "image/png"})[2]
        assert j["number"] == number, [d["probabilities"] for d in j["digits"]]


def test_unsure_for_scribbles_and_not_for_a_clear_digit(trained_server):
    clear = call(
        trained_server,
        "POST",
        "/api/predict",
        stroke_png(SEVEN_STROKES),
        {"Content-Type": "image/png"},
    )[2]
    assert (
        clear["digit"] == 7 and clear["unsure"] is False and clear["digits"][0]["unsure"] is False
    )
    for seed in range(4):
        data = stroke_png(scribble(seed), width=8)
        j = call(trained_server, "POST", "/api/predict", data, {"Content-Type": "image/png"})[2]
        assert j["unsure"] is True, (seed, j["number"])
        assert any(d["unsure"] for d in j["digits"])


@settings(max_examples=15, deadline=None)
@given(
    digits=st.lists(st.sampled_from([ONE_STROKES, SEVEN_STROKES]), min_size=1, max_size=3),
    seed=st.integers(0, 10),
)
def test_number_is_its_digits(random_net, digits, seed):
    """For any row of digits: the number is the digits' answers left to right, boxes in order,
    and every digit's fields are analyse_input's for its input."""
    result = teach.analyse_png(
        random_net, stroke_png(side_by_side(*digits), size=84, width=7, wide=len(digits))
    )
    assert result["number"] == "".join(str(d["digit"]) for d in result["digits"])
    assert [d["box"][0] for d in result["digits"]] == sorted(d["box"][0] for d in result["digits"])
    for d in result["digits"]:
        expected = teach.analyse_input(random_net, d["input"])
        assert {k: d[k] for k in DIGIT_FIELDS if k != "input"} == {
            k: expected[k] for k in DIGIT_FIELDS if k != "input"
        }


def test_deskewing_weights_deskew_every_digit(random_net):
    """Weights that say {"input": {"deskew": true}}: what the page shows ("input" of each digit,
    "what it sees") is the deskewed input, for one digit and for each of several; teaching
    learns that input too."""
    slanted = [[(0.35, 0.15), (0.65, 0.85)]]  # a 1 leaning right
    server = start(network.new_network(seed=1), info={"input": {"deskew": True}})
    try:
        for data in (stroke_png(slanted), stroke_png(side_by_side(slanted, slanted), wide=2)):
            j = call(server, "POST", "/api/predict", data, {"Content-Type": "image/png"})[2]
            straight = reading.read_number(random_net, *png.decode(data), deskew=True)
            leaning = reading.read_number(random_net, *png.decode(data), deskew=False)
            assert len(j["digits"]) == len(straight["digits"])
            for d, s, lean in zip(j["digits"], straight["digits"], leaning["digits"]):
                assert d["input"] == [round(v, 4) for v in s["input"]]
                assert d["input"] != [round(v, 4) for v in lean["input"]]
            assert j["input"] == j["digits"][0]["input"]
            image = "data:image/png;base64," + base64.b64encode(data).decode()
            body = json.dumps({"image": image, "digit": 1, "pick": len(j["digits"]) - 1})
            status, resp, t = call(
                server, "POST", "/api/teach", body, {"Content-Type": "application/json"}
            )
            assert status == 200 and t["before"]["input"] == j["digits"][-1]["input"]
        assert call(server, "GET", "/api/network")[2]["summary"]["deskew"] is True
    finally:
        stop(server)


def test_teach_picks_one_digit_of_several(random_net):
    """Teaching is one digit: with several on the pad, "pick" says which; without it, a 400
    that says so; a single digit needs no "pick"."""
    server = start(network.new_network(seed=1))
    try:
        data = stroke_png(side_by_side(ONE_STROKES, SEVEN_STROKES), wide=2)
        image = "data:image/png;base64," + base64.b64encode(data).decode()
        read = call(server, "POST", "/api/predict", data, {"Content-Type": "image/png"})[2]

        def teach_step(**fields):
            body = json.dumps(dict({"image": image, "digit": 7, "lr": 0.5}, **fields))
            return call(server, "POST", "/api/teach", body, {"Content-Type": "application/json"})

        status, resp, j = teach_step()
        assert status == 400 and "2 digits" in j["error"] and '"pick"' in j["error"]
        status, resp, j = teach_step(pick=2)
        assert status == 400 and "2 digits" in j["error"]
        for bad in (-1, True, 1.5, "1"):
            status, resp, j = teach_step(pick=bad)
            assert status == 400 and '"pick"' in j["error"], bad
        status, resp, j = teach_step(pick=1)
        assert status == 200 and j["steps"] == 1
        assert j["before"]["input"] == read["digits"][1]["input"]
        assert j["before"]["outputs"] == read["digits"][1]["outputs"]
        one = "data:image/png;base64," + base64.b64encode(stroke_png(ONE_STROKES)).decode()
        status, resp, j = teach_step(image=one)
        assert status == 200 and j["steps"] == 2
        assert (
            j["before"]["input"] == teach.analyse_png(random_net, stroke_png(ONE_STROKES))["input"]
        )
    finally:
        stop(server)


BAD_BODIES = [
    ("malformed JSON", b'{"image": ', "application/json", "malformed JSON"),
    ("JSON without image", b'{"picture": "x"}', "application/json", "image"),
    ("JSON not an object", b"[1, 2, 3]", "application/json", "image"),
    ("nested JSON", b"[" * 50000, "application/json", "JSON"),
    ("not base64", b'{"image": "data:image/png;base64,%%%"}', "application/json", "base64"),
    ("a JPEG data URL", b'{"image": "data:image/jpeg;base64,/9j/4AAQ"}', "application/json", "PNG"),
    ("text", b"hello, server", "image/png", "not a PNG"),
    ("a GIF", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/png", "not a PNG"),
    ("empty", b"", "image/png", "empty"),
    ("truncated PNG", SEVEN.read_bytes()[:500], "image/png", "PNG"),
    (
        "PNG with a bad CRC",
        SEVEN.read_bytes()[:30] + b"\0" + SEVEN.read_bytes()[31:],
        "image/png",
        "PNG",
    ),
    ("huge PNG header", png_header(60000, 60000), "image/png", "at most"),
    ("non-UTF-8 JSON", b'{"image": "\xff\xfe"}', "application/json", "JSON"),
]


@pytest.mark.parametrize("name,body,ctype,words", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_get_400(server, name, body, ctype, words):
    status, resp, j = call(server, "POST", "/api/predict", body, {"Content-Type": ctype})
    assert status == 400, j
    assert resp.getheader("Content-Type") == "application/json"
    assert words.lower() in j["error"].lower()


def test_body_over_the_cap_gets_413(server):
    big = b"\x89PNG" + b"\0" * (draw.MAX_BODY_BYTES + 1000)
    status, resp, j = call(server, "POST", "/api/predict", big, {"Content-Type": "image/png"})
    assert status == 413 and "limit" in j["error"]
    # Claimed, not sent: refused from the header alone.
    answer = raw(
        server,
        b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
        b"Content-Length: 999999999\r\n\r\n",
    )
    assert raw_status(answer) == 413 and "error" in raw_json(answer)


def test_a_small_cap_can_be_chosen(random_net):
    s = start(random_net, max_body=100)
    try:
        png_type = {"Content-Type": "image/png"}
        assert call(s, "POST", "/api/predict", SEVEN.read_bytes(), png_type)[0] == 413
        assert call(s, "POST", "/api/predict", b"x" * 100, png_type)[0] == 400
    finally:
        stop(s)


RAW_REQUESTS = [
    (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 411),
    (
        b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n",
        411,
    ),
    (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n", 400),
    (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n", 400),
    (
        b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
        b"Content-Length: 50\r\n\r\nshort",
        400,
    ),
    (b"GET /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405),
    (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 405),
    (b"PUT /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 405),
    (b"DELETE /api/teach HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405),
    (b"PATCH /api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405),
    (b"OPTIONS /api/teach HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n\r\n", 501),
    (
        b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 5\r\n\r\nhello",
        415,
    ),
    (
        b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1:80\r\nOrigin: http://evil.example\r\n"
        b"Content-Type: image/png\r\nContent-Length: 5\r\n\r\nhello",
        403,
    ),
    (b"BREW /pot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 501),
    (b"complete nonsense\r\n\r\n", 400),
    (b"GET / HTTP/9.9\r\n\r\n", 505),
    (b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET /draw_page.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET /tinynet/draw.py HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", 403),
    (b"GET / HTTP/1.1\r\nHost: evil.example:80\r\n\r\n", 403),
]


@pytest.mark.parametrize(
    "request_bytes,status",
    RAW_REQUESTS,
    ids=[r[0].split(b"\r\n")[0].decode() + " " + str(r[1]) for r in RAW_REQUESTS],
)
def test_bad_requests_get_their_status_and_a_json_error(server, request_bytes, status):
    answer = raw(server, request_bytes)
    assert raw_status(answer) == status
    error = raw_json(answer)["error"]
    assert isinstance(error, str) and error
    if status == 405:
        assert b"\r\nAllow: " in answer


def test_loopback_host_names_are_accepted(server):
    port = server.server_address[1]
    for host in (
        b"localhost",
        b"localhost:%d" % port,
        b"127.0.0.1:%d" % port,
        b"127.0.0.2",
        b"[::1]:%d" % port,
    ):
        answer = raw(server, b"GET /api/network HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        assert raw_status(answer) == 200, host


TRAVERSALS = [
    "/../../etc/passwd",
    "/%2e%2e/",
    "/%2e%2e/%2e%2e/etc/passwd",
    "//etc/passwd",
    "/..%2f..%2fetc%2fpasswd",
    "/api/../../../etc/passwd",
    "/./draw_page.html",
    "/%2fetc%2fpasswd",
    "/..\\..\\etc\\passwd",
    "/tinynet/../tinynet/draw.py",
    "/api/network/../../weights.py",
    "/.git/config",
    "/%00",
    "/api/",
    "/?/../../etc/passwd#x",
    "/pretrained/",
    "/examples/seven-ink-on-paper.png",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_reaches_a_file(server, path):
    answer = raw(server, (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").encode())
    status = raw_status(answer)
    body = answer.partition(b"\r\n\r\n")[2]
    assert b"root:" not in body and b"[core]" not in body and b"import " not in body
    if path.startswith("/?"):
        assert status == 200 and body.startswith(b"<!DOCTYPE html>")  # just the page
    else:
        assert status in (400, 404), (path, answer[:300])
        assert "error" in raw_json(answer)


def test_survives_a_thousand_malformed_requests(server):
    seven = SEVEN.read_bytes()
    kinds = [
        b"",  # connect, then hang up
        b"GARBAGE\x00\xff\r\n\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",  # request line too long
        b"POST /api/predict HTTP/1.1\r\nContent-Length: 5\r\n\r\n{bad",
        b"POST /api/predict HTTP/1.1\r\nContent-Length: 10\r\n\r\nnot a png!",
        b"POST /api/predict HTTP/1.1\r\nContent-Length: 300\r\n\r\n" + seven[:300],
        b"POST /api/predict HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
        b"GET /../../etc/passwd HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 150 + b"\r\n",  # too many headers
        b"POST /api/predict HTTP/1.1\r\nContent-Length: 7\r\nContent-Type: application/json\r\n"
        b"\r\n[[[[[[[",
        b"GET / HTTP/1.1\r\nHost",  # cut off mid-header
    ]
    errors = []

    def worker(start_index):
        for n in range(start_index, 1000, 4):
            data = kinds[n % len(kinds)]
            try:
                answer = raw(server, data, read=bool(data) and not data.endswith(b"Host"))
                if answer:
                    assert raw_status(answer) >= 400
            except ConnectionError:
                pass  # the server may hang up on a request it refuses before reading it all
            except (OSError, AssertionError) as e:
                errors.append((n, repr(e)))

    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    assert time.time() - t0 < 20
    status, resp, j = call(server, "POST", "/api/predict", seven, {"Content-Type": "image/png"})
    assert status == 200 and len(j["input"]) == 784
    assert call(server, "GET", "/")[0] == 200


def test_ipv6_loopback(random_net):
    try:
        s = start(random_net, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert s.url.startswith("http://[::1]:")
        assert call(s, "GET", "/api/network")[0] == 200
    finally:
        stop(s)


# ----------------------------------------------------------------------------- command line


def test_command_line_without_weights_says_why(tmp_path, capsys):
    assert draw.main(["--weights", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_command_line_serves(tmp_path):
    path = tmp_path / "w.json"
    weights.save(network.new_network(seed=3), path)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinynet.draw", "--port", "0", "--weights", str(path)],
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        line = proc.stdout.readline().decode()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line + proc.stderr.read().decode() if proc.poll() is not None else line
        conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=10)
        conn.request("GET", "/nope")
        assert conn.getresponse().status == 404
        conn.close()
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.stderr.close()
    assert "/nope" in err and "404" in err  # refused requests are logged on stderr


# ----------------------------------------------------------------------------- bad clients (#13)


def test_a_lying_content_length_gets_408_quickly(random_net):
    s = start(random_net, body_timeout=0.5)
    try:
        host, port = s.server_address[:2]
        with socket.create_connection((host, port), timeout=10) as c:
            t = time.monotonic()
            c.sendall(
                b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                b"Content-Length: 5000\r\n\r\n" + SEVEN.read_bytes()[:100]
            )
            chunks = [c.recv(65536)]
            while chunks[-1]:  # the server closes the connection after an error
                chunks.append(c.recv(65536))
            answer = b"".join(chunks)
            assert time.monotonic() - t < 5
        assert raw_status(answer) == 408 and "5000" in raw_json(answer)["error"]
    finally:
        stop(s)


def test_slow_headers_are_cut_off(random_net):
    """A client sending its headers a byte at a time is dropped after header_timeout in all,
    however often it sends something."""
    s = start(random_net, header_timeout=0.6)
    try:
        host, port = s.server_address[:2]
        with socket.create_connection((host, port), timeout=10) as c:
            c.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            t = time.monotonic()
            closed = False
            while time.monotonic() - t < 5:
                try:
                    c.sendall(b"a")
                    c.settimeout(0.1)
                    if c.recv(1024) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
                except OSError:
                    closed = True
                    break
            assert closed and time.monotonic() - t < 3
        assert call(s, "GET", "/api/network")[0] == 200
    finally:
        stop(s)


def test_connections_beyond_the_cap_get_503(random_net):
    s = start(random_net, max_connections=3, header_timeout=30, slow_after=60)
    idle = []
    try:
        host, port = s.server_address[:2]
        for _ in range(3):
            idle.append(socket.create_connection((host, port), timeout=10))
        time.sleep(0.3)  # let the server take them
        answer = raw(s, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert raw_status(answer) == 503 and "connections" in raw_json(answer)["error"]
        for c in idle:
            c.close()
        deadline = time.monotonic() + 5
        while call(s, "GET", "/api/network")[0] != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        for c in idle:
            c.close()
        stop(s)


def test_drawings_bigger_than_a_canvas_are_refused_from_the_header(random_net):
    def header(width, height, depth, colour_type):
        ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
        return png.SIGNATURE + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0" * 4

    for data, words in (
        (header(2048, 2048, 16, 6), "at most"),
        (header(1025, 10, 8, 6), "at most"),
        (header(300, 300, 16, 6), "8-bit"),
        (header(300, 300, 16, 0), "8-bit"),
    ):
        with pytest.raises(teach.DrawingError) as e:
            teach.decode_drawing(data)
        assert words in str(e.value)
    width, height, rgba = teach.decode_drawing(png.encode(1024, 2, bytes(2048)))
    assert (width, height) == (1024, 2)


def test_the_load_benchmark_leaves_stderr_clean():
    """A small run of benchmarks/draw_load.py: malformed requests, hang-ups, lying
    Content-Lengths, slowloris sockets and valid requests at once, against the command-line
    server; every valid request answered, its stderr free of tracebacks."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import draw_load
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    # seconds: a bound for a very busy machine; it takes about 6 s
    ok, lines = draw_load.run(malformed=150, valid=40, threads=4, slow=10, lying=1, seconds=40)
    assert ok, "\n".join(lines)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_405_names_the_method_used(server, method):
    status, resp, j = call(server, method, "/api/predict", b"", {"Content-Type": "image/png"})
    assert status == 405 and j["error"] == f"method {method} not allowed"
    assert resp.getheader("Allow") == "POST"


def test_a_new_client_takes_the_place_of_the_slowest(random_net):
    """All places taken by clients that have been sending headers for over slow_after seconds:
    the slowest is dropped, and the new client is answered."""
    s = start(random_net, max_connections=3, header_timeout=30, slow_after=0.3)
    idle = []
    try:
        host, port = s.server_address[:2]
        for _ in range(3):
            c = socket.create_connection((host, port), timeout=10)
            c.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
            idle.append(c)
        time.sleep(0.6)
        assert call(s, "GET", "/api/network")[0] == 200
        assert idle[0].recv(100) == b""  # the first (slowest) was hung up on
    finally:
        for c in idle:
            c.close()
        stop(s)


# ----------------------------------------------------------------------- several networks (#17)


@pytest.fixture(scope="module")
def two_networks():
    """A server with the video's sigmoid network (the default) and a ReLU + softmax one."""
    sigmoid = network.new_network(seed=1)
    relu = network.new_network((784, 40, 10), seed=2, activation="relu", output="softmax")
    s = start(sigmoid, name="sigmoid", more=[(relu, {"cost": "cross-entropy"}, None, "relu")])
    yield s, sigmoid, relu
    stop(s)


def png_request(server, path, data):
    return call(server, "POST", path, data, {"Content-Type": "image/png"})


def json_request(server, path, obj):
    return call(server, "POST", path, json.dumps(obj), {"Content-Type": "application/json"})


def test_networks_are_listed_in_order(two_networks):
    server, sigmoid, relu = two_networks
    status, resp, j = call(server, "GET", "/api/networks")
    assert status == 200 and j["default"] == 0
    assert [(n["name"], n["index"], n["sizes"]) for n in j["networks"]] == [
        ("sigmoid", 0, [784, 16, 16, 10]),
        ("relu", 1, [784, 40, 10]),
    ]
    assert [(n["activation"], n["output"]) for n in j["networks"]] == [
        ("sigmoid", "sigmoid"),
        ("relu", "softmax"),
    ]


@pytest.mark.parametrize("query", ["", "?network=sigmoid", "?network=0"])
def test_a_request_without_a_network_is_for_the_first(two_networks, query):
    server, sigmoid, relu = two_networks
    j = png_request(server, "/api/predict" + query, SEVEN.read_bytes())[2]
    expected = json.loads(json.dumps(teach.analyse_png(sigmoid, SEVEN.read_bytes())))
    assert {k: j[k] for k in expected} == expected
    assert call(server, "GET", "/api/network" + query)[2]["sizes"] == [784, 16, 16, 10]


@pytest.mark.parametrize("query", ["?network=relu", "?network=1"])
def test_a_network_is_chosen_by_name_or_index(two_networks, query):
    server, sigmoid, relu = two_networks
    j = png_request(server, "/api/predict" + query, SEVEN.read_bytes())[2]
    expected = json.loads(json.dumps(teach.analyse_png(relu, SEVEN.read_bytes())))
    assert {k: j[k] for k in expected} == expected
    assert abs(sum(j["outputs"]) - 1) < 1e-3  # softmax: the outputs sum to 1
    assert call(server, "GET", "/api/network" + query)[2]["sizes"] == [784, 40, 10]


def test_every_network_reads_the_drawing(two_networks):
    """One drawing, read by both networks side by side: each reading is that network's."""
    server, sigmoid, relu = two_networks
    data = stroke_png(side_by_side(ONE_STROKES, SEVEN_STROKES), wide=2)
    for query in ("", "?network=relu"):
        readings = png_request(server, "/api/predict" + query, data)[2]["readings"]
        assert [r["network"] for r in readings] == ["sigmoid", "relu"]
        for r, net in zip(readings, (sigmoid, relu)):
            alone = teach.analyse_reading(net, teach.read_drawing(net, data))
            assert r["number"] == alone["number"] and len(r["digits"]) == 2
            assert r["digits"] == [d["digit"] for d in alone["digits"]]
            assert r["shares"] == [d["probabilities"][d["digit"]] for d in alone["digits"]]


def test_one_network_answers_as_before(server):
    """A server of one network answers without "readings", exactly as it did."""
    assert "readings" not in png_request(server, "/api/predict", SEVEN.read_bytes())[2]
    names = [n["name"] for n in call(server, "GET", "/api/networks")[2]["networks"]]
    assert names == ["network"]


@pytest.mark.parametrize(
    "query",
    ["?network=2", "?network=-1", "?network=../pretrained/digit.json", "?network=" + "x" * 200],
)
def test_only_the_servers_own_networks_can_be_chosen(two_networks, query):
    server, sigmoid, relu = two_networks
    for method, path, body in (
        ("GET", "/api/network", None),
        ("GET", "/api/state", None),
        ("POST", "/api/predict", SEVEN.read_bytes()),
        ("POST", "/api/reset", b"{}"),
    ):
        headers = {"Content-Type": "image/png" if body and body[:1] != b"{" else "application/json"}
        status, resp, j = call(server, method, path + query, body, headers)
        assert status == 400, (method, path)
        assert "sigmoid, relu" in j["error"] and len(j["error"]) < 200


def test_teach_reset_and_save_act_on_the_chosen_network(two_networks, tmp_path):
    server, sigmoid, relu = two_networks
    image = "data:image/png;base64," + base64.b64encode(SEVEN.read_bytes()).decode()
    sigmoid_before, relu_before = network.copy_network(sigmoid), network.copy_network(relu)
    status, resp, j = json_request(
        server, "/api/teach?network=relu", {"image": image, "digit": 7, "lr": 0.5}
    )
    assert status == 200 and j["steps"] == 1
    assert sigmoid.w == sigmoid_before.w and relu.w != relu_before.w
    assert call(server, "GET", "/api/state?network=relu")[2]["steps"] == 1
    assert call(server, "GET", "/api/state")[2]["steps"] == 0
    server.teachers[1].save_dir = tmp_path
    status, resp, saved = json_request(server, "/api/save?network=1", {})
    assert status == 200 and saved["steps"] == 1
    assert weights.load(tmp_path / saved["file"]).activation == "relu"
    assert json_request(server, "/api/reset?network=relu", {})[2]["steps"] == 0
    assert relu.w == relu_before.w


def test_the_command_line_loads_the_shipped_networks_and_every_weights_file(tmp_path):
    relu = network.new_network((784, 20, 10), seed=4, activation="relu", output="softmax")
    weights.save(relu, tmp_path / "mine.json", "cross-entropy")
    weights.save(network.new_network(seed=5), tmp_path / "other.json")
    files = [tmp_path / "mine.json", tmp_path / "other.json", tmp_path / "mine.json"]
    loaded = draw.load_networks(files, shipped=False)
    assert [(source.name, net.sizes[1]) for net, info, source in loaded] == [
        ("mine.json", 20),
        ("other.json", 16),
    ]
    shipped = draw.shipped_networks()
    assert all(p.suffix == ".json" and p.name != "digit.json" for p in shipped)
    if PRETRAINED.exists():
        assert shipped[0] == PRETRAINED
        with_shipped = draw.load_networks(files)
        assert [source for _, _, source in with_shipped][2:] == shipped
        assert [source for _, _, source in draw.load_networks([])] == shipped


def test_a_broken_file_in_pretrained_is_left_out_with_a_note(tmp_path, monkeypatch):
    folder = tmp_path / "pretrained"
    folder.mkdir()
    weights.save(network.new_network(seed=1), folder / "tinynet-784-16-16-10.json")
    (folder / "digit.json").write_text("{}")
    (folder / "broken.json").write_text("[1, 2")
    weights.save(network.new_network((784, 8, 10), seed=2), folder / "small.json")
    monkeypatch.setattr(draw, "PRETRAINED", folder / "tinynet-784-16-16-10.json")
    notes = []
    loaded = draw.load_networks([], note=notes.append)
    assert [source.name for _, _, source in loaded] == ["tinynet-784-16-16-10.json", "small.json"]
    assert len(notes) == 1 and "broken.json" in notes[0]
    for k in range(draw.MAX_NETWORKS):
        weights.save(network.new_network((784, 4, 10), seed=k), folder / f"n{k:d}.json")
    notes.clear()
    assert len(draw.load_networks([], note=notes.append)) == draw.MAX_NETWORKS
    assert any(f"first {draw.MAX_NETWORKS:d}" in n for n in notes)


def test_names_are_unique_and_networks_are_bounded():
    net = network.new_network(seed=1)
    server = draw.make_server(net, port=0, name="a", more=[(net, None, None, "a")] * 2)
    try:
        assert [t.name for t in server.teachers] == ["a", "a (2)", "a (3)"]
    finally:
        server.server_close()
    with pytest.raises(ValueError, match="at most"):
        draw.make_server(net, port=0, more=[(net, None, None)] * draw.MAX_NETWORKS)


def test_mnist_is_loaded_once_for_every_network():
    calls = []

    def load(data_dir):
        calls.append(data_dir)
        return "sets"

    once = draw.shared_loader(load)
    threads = [threading.Thread(target=once, args=("dir",)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert once("dir") == "sets" and calls == ["dir"]


# ----------------------------------------------------------------------------- on the network


@pytest.fixture
def lan_server(random_net, tmp_path):
    """The draw server as `--host 0.0.0.0` starts it, reached here through 127.0.0.1."""
    s = start(random_net, host="0.0.0.0", save_dir=tmp_path)
    yield s
    stop(s)


def lan_post(s, path, host, token=None, origin=None, body=b"{}"):
    headers = {"Host": host, "Content-Type": "application/json"}
    if token is not None:
        headers["X-Tinynet-Token"] = token
    if origin is not None:
        headers["Origin"] = origin
    return call(("127.0.0.1", s.server_address[1]), "POST", path, body, headers)


def token_of(s):
    url = s.url
    assert re.fullmatch(r"http://[^/]+:\d+/\?token=[A-Za-z0-9_-]{20,}", url), url
    return url.split("?token=", 1)[1]


def test_a_loopback_server_needs_no_token(server):
    assert server.token is None and "token" not in server.url
    status, _, _ = call(server, "POST", "/api/reset", b"{}", {"Content-Type": "application/json"})
    assert status == 200


@pytest.mark.parametrize("path", ["/api/teach", "/api/save", "/api/reset", "/api/predict"])
def test_dns_rebinding_is_refused_on_the_network(lan_server, tmp_path, path):
    """A page at evil.example whose name now points at this computer: Host and Origin are
    evil.example:PORT, and even with the token (which it cannot know) it is refused."""
    evil = f"evil.example:{lan_server.server_address[1]:d}"
    for token in (None, token_of(lan_server)):
        status, _, answer = lan_post(lan_server, path, evil, token, "http://" + evil)
        assert status == 403 and "Host 'evil.example" in answer["error"], answer
    status, _, _ = call(("127.0.0.1", lan_server.server_address[1]), "GET", "/api/network",
                        None, {"Host": evil})  # fmt: skip
    assert status == 403
    assert list(tmp_path.iterdir()) == []  # nothing saved


def test_on_the_network_a_post_needs_the_printed_token(lan_server, tmp_path):
    port = lan_server.server_address[1]
    token = token_of(lan_server)
    for host in (
        f"127.0.0.1:{port:d}",
        f"{support_http.outgoing_address() or '127.0.0.1'}:{port:d}",
    ):
        before = sorted(tmp_path.iterdir())
        for wrong in (None, "", token[:-1], token + "x", "x" * len(token)):
            status, _, answer = lan_post(lan_server, "/api/save", host, wrong)
            assert status == 403 and "token" in answer["error"], (host, wrong, answer)
        assert sorted(tmp_path.iterdir()) == before
        status, _, answer = lan_post(lan_server, "/api/save", host, token, f"http://{host}")
        assert status == 200, answer
        assert (tmp_path / answer["file"]).exists()
    status, _, _ = call(("127.0.0.1", port), "GET", "/api/network")  # reading needs none
    assert status == 200


def test_each_run_has_its_own_token(random_net):
    one, two = start(random_net, host="0.0.0.0"), start(random_net, host="0.0.0.0")
    try:
        assert token_of(one) != token_of(two)
        status, _, _ = lan_post(one, "/api/reset", "localhost", token_of(two))
        assert status == 403
    finally:
        stop(one)
        stop(two)


@pytest.mark.parametrize(
    "host, ok",
    [
        ("192.168.1.5:8000", True),  # the address the request came in on
        ("[::ffff:192.168.1.5]:8000", True),
        ("mybox.local:8000", True),  # a name of this computer
        ("MyBox:8000", True),
        ("localhost:8000", True),
        ("127.0.0.1", True),
        ("evil.example:8000", False),
        ("192.168.1.6:8000", False),
        ("mybox.local.evil.example", False),
        ("", True),  # HTTP/1.0 without a Host: no browser sends that
    ],
)
def test_own_host_accepts_only_this_computers_names(host, ok):
    assert support_http.own_host(host, {"mybox", "mybox.local"}, "192.168.1.5") is ok


def test_the_command_line_prints_the_token_on_the_network(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinynet.draw", "--host", "0.0.0.0", "--port", "0"],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert re.search(r"open http://\S+:\d+/\?token=[A-Za-z0-9_-]{20,} in your browser", line)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


# ----------------------------------------------------------------------------- saving


def test_saves_stop_at_the_stated_number_per_run(random_net, tmp_path, monkeypatch):
    monkeypatch.setattr(draw, "MAX_SAVES", 3)
    s = start(random_net, save_dir=tmp_path)
    try:
        answers = [
            call(s, "POST", "/api/save", b"{}", {"Content-Type": "application/json"})
            for _ in range(5)
        ]
    finally:
        stop(s)
    assert [status for status, _, _ in answers] == [200, 200, 200, 429, 429]
    assert [a["saves_left"] for _, _, a in answers[:3]] == [2, 1, 0]
    assert answers[0][2]["folder"] == str(tmp_path.resolve())
    assert "saved 3 files" in answers[3][2]["error"] and str(tmp_path) in answers[3][2]["error"]
    assert len(list(tmp_path.iterdir())) == 3


def test_saves_are_counted_for_every_network_together(two_networks, tmp_path, monkeypatch):
    server, sigmoid, relu = two_networks
    monkeypatch.setattr(draw, "MAX_SAVES", 3)
    for t in server.teachers:
        monkeypatch.setattr(t, "save_dir", tmp_path)
        monkeypatch.setattr(t, "saves", 0)
    answers = [json_request(server, f"/api/save?network={k % 2:d}", {}) for k in range(5)]
    assert [status for status, _, _ in answers] == [200, 200, 200, 429, 429]
    assert [a["saves_left"] for _, _, a in answers[:3]] == [2, 1, 0]
    assert len(list(tmp_path.iterdir())) == 3
