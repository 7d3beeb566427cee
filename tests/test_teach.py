"""Teaching the draw page's network: teach.teach (one step of gradient descent on one drawing),
and the API that runs it (POST /api/teach, /api/reset, /api/save) against a real server."""

import base64
import hashlib
import http.client
import json
import math
import os
import random
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet import draw, network, predict, teach, weights
from tinynet.images import png

ROOT = Path(__file__).resolve().parent.parent
SEVEN = ROOT / "examples" / "seven-ink-on-paper.png"
DATA = os.environ.get("TINYNET_DATA")


def data_url(data):
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def call(server, method, path, obj=None, headers=None, raw_body=None):
    """(status, decoded JSON) for one request; JSON body and Content-Type unless told otherwise."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=20)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    h = {k: v for k, v in h.items() if v is not None}
    body = raw_body if raw_body is not None else (json.dumps(obj) if obj is not None else None)
    try:
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read().decode("utf-8"))
    finally:
        conn.close()


def teach_body(digit, lr=None, image=None, **extra):
    obj = {"image": data_url(image if image is not None else SEVEN.read_bytes()), "digit": digit}
    if lr is not None:
        obj["lr"] = lr
    obj.update(extra)
    return obj


@pytest.fixture
def weights_file(tmp_path):
    path = tmp_path / "start.json"
    weights.save(network.new_network(seed=4), path, training={"epochs": 1})
    return path


@pytest.fixture
def server(weights_file, tmp_path):
    net, info = weights.load_with_info(weights_file)
    save_dir = tmp_path / "saved"
    save_dir.mkdir()
    s = draw.make_server(net, port=0, info=info, source=weights_file, save_dir=save_dir)
    draw.serve_in_thread(s)
    yield s
    s.shutdown()
    s.server_close()


# ----------------------------------------------------------------------------- teach.teach


def flat(net):
    return [w for w_l in net.w for row in w_l for w in row] + [b for b_l in net.b for b in b_l]


@settings(max_examples=12, deadline=None)
@given(
    digit=st.integers(0, 9),
    eta=st.floats(0.01, 3.0),
    seed=st.integers(0, 1000),
    rehearse=st.integers(0, 3),
)
def test_teach_is_one_sgd_step_and_reports_it(digit, eta, seed, rehearse):
    net = network.new_network(seed=seed)
    x = teach.drawing_input(SEVEN.read_bytes())
    rehearsal = [
        (teach.drawing_input(SEVEN.read_bytes()), (digit + k + 1) % 10) for k in range(rehearse)
    ]
    reference = network.copy_network(net)
    y = network.one_hot(digit)
    network.sgd_step(reference, [(x, y)] + [(x_k, network.one_hot(d)) for x_k, d in rehearsal], eta)
    old = network.copy_network(net)

    step = teach.teach(net, x, digit, eta, rehearsal=rehearsal)

    assert flat(net) == flat(reference)  # the same step as network.sgd_step, bit for bit
    assert step["m"] == 1 + rehearse and step["eta"] == eta
    z, a = network.feedforward(old, x)
    assert step["cost_before"] == network.cost(a[-1], y, z[-1])
    z2, a2 = network.feedforward(net, x)
    assert step["cost_after"] == network.cost(a2[-1], y, z2[-1])
    assert step["before"] == teach.analyse_input(old, x)
    assert step["after"] == teach.analyse_input(net, x)
    delta = network.backprop(old, x, y)[2]
    assert step["delta"] == [[round(d, 6) for d in delta_l] for delta_l in delta]
    assert len(step["changes"]) == 3 * teach.CHANGES_PER_LAYER
    for layer in range(3):
        moved = [c for c in step["changes"] if c["layer"] == layer]
        sizes = [abs(c["new"] - c["old"]) for c in moved]
        assert sizes == sorted(sizes, reverse=True)
        # the biggest change of the layer is reported
        biggest = max(
            abs(n - o)
            for row_n, row_o in zip(net.w[layer], old.w[layer])
            for n, o in zip(row_n, row_o)
        )
        assert sizes[0] == biggest
    for c in step["changes"]:
        l, i, j = c["layer"], c["i"], c["j"]
        assert c["old"] == old.w[l][i][j] and c["new"] == net.w[l][i][j]
        assert c["delta_i"] == delta[l][i] and c["a_j"] == a[l][j]
        assert c["grad"] == delta[l][i] * a[l][j]  # (BP4)
        assert math.isclose(
            c["new"], c["old"] - eta / step["m"] * c["batch_grad"], rel_tol=1e-9, abs_tol=1e-12
        )
        if not rehearsal:
            assert math.isclose(c["batch_grad"], c["grad"], rel_tol=1e-6, abs_tol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), rehearse=st.integers(0, 3), eta=st.floats(0.001, 10.0))
def test_a_teach_step_is_network_sgd_step(seed, rehearse, eta):
    """The weights after teach are sgd_step's on the same mini-batch, bit for bit."""
    rng = random.Random(seed)
    net = network.new_network(seed=seed)
    x = [rng.random() if rng.random() < 0.2 else 0.0 for _ in range(784)]
    rehearsal = [([rng.random() for _ in range(784)], rng.randrange(10)) for _ in range(rehearse)]
    reference = network.copy_network(net)
    batch = [(x, network.one_hot(4))] + [(x_k, network.one_hot(d)) for x_k, d in rehearsal]
    network.sgd_step(reference, batch, eta)
    step = teach.teach(net, x, 4, eta, rehearsal=rehearsal)
    assert flat(net) == flat(reference) and step["m"] == 1 + rehearse


def test_teaching_lowers_the_cost_of_the_drawing():
    net = network.new_network(seed=5)
    x = teach.drawing_input(SEVEN.read_bytes())
    step = teach.teach(net, x, 3, teach.DEFAULT_LR)
    assert step["cost_after"] < step["cost_before"]
    assert step["after"]["outputs"][3] > step["before"]["outputs"][3]


@settings(max_examples=15, deadline=None)
@given(
    digit=st.integers(0, 9),
    eta=st.floats(0.01, 10.0),
    seed=st.integers(0, 1000),
    rehearse=st.integers(0, 3),
    cost=st.sampled_from(sorted(network.COSTS)),
)
def test_the_step_example_is_bp1_bp2_bp4_on_the_taught_output(digit, eta, seed, rehearse, cost):
    """Issue 20: the BP4 example is a weight into the taught digit's output, its numbers are
    BP1, BP2 and BP4 of the drawing, and the drawing's part and the rehearsal's part of the
    batch gradient add up to the step taken."""
    net = network.new_network(seed=seed)
    x = teach.drawing_input(SEVEN.read_bytes())
    rehearsal = [(x, (digit + k + 1) % 10) for k in range(rehearse)]
    old = network.copy_network(net)
    step = teach.teach(net, x, digit, eta, cost, rehearsal=rehearsal)
    e, h = step["example"], step["example"]["hidden"]
    y = network.one_hot(digit)
    _, dC_dw, delta, z, a = network.backprop(old, x, y, cost)
    L = len(net.w) - 1
    assert (e["layer"], e["i"]) == (L, digit)
    assert abs(e["grad"]) == max(abs(g) for g in dC_dw[L][digit])  # the drawing's hardest push
    assert e["grad"] == dC_dw[L][digit][e["j"]] == e["delta"] * e["a_j"]  # (BP4)
    assert e["delta"] == delta[L][digit]
    assert math.isclose(e["dC_da"] * e["sigma_prime"], e["delta"], rel_tol=1e-9)  # (BP1)
    assert e["sigma_prime"] == network.sigmoid_prime(z[L][digit]) and e["a"] == a[-1][digit]
    assert h["f"] == "sigmoid" and h["f_prime"] == network.sigmoid_prime(z[L - 1][e["j"]])
    assert math.isclose(h["f_prime"] * h["sum"], h["delta"], rel_tol=1e-9, abs_tol=1e-15)
    assert h["delta"] == delta[L - 1][e["j"]]  # (BP2)
    assert (e["old"], e["new"]) == (old.w[L][digit][e["j"]], net.w[L][digit][e["j"]])
    assert math.isclose(e["grad"] + e["rehearsal_grad"], e["batch_grad"], rel_tol=1e-9)
    assert math.isclose(
        e["new"], e["old"] - eta / step["m"] * e["batch_grad"], rel_tol=1e-9, abs_tol=1e-12
    )
    for c in step["changes"]:
        assert math.isclose(c["grad"] + c["rehearsal_grad"], c["batch_grad"], rel_tol=1e-9)
    if not rehearsal:  # the drawing's part of the step is the whole step
        assert math.isclose(step["cost_drawing_part"], step["cost_after"], rel_tol=1e-9)
    rose = step["cost_after"] > step["cost_before"]
    assert (step["cost_rose"] is not None) == rose
    if rose:
        alone_lowers = step["cost_drawing_part"] < step["cost_before"]
        assert step["cost_rose"] == ("rehearsal" if alone_lowers else "eta")


# Every (output, cost) a network may be trained with: softmax goes with cross-entropy only.
OUTPUT_COSTS = [
    (output, cost)
    for output in network.OUTPUTS
    for cost in sorted(network.COSTS)
    if output == "sigmoid" or cost in network.SOFTMAX_COSTS
]


@settings(max_examples=40, deadline=None)
@given(
    activation=st.sampled_from(sorted(network.ACTIVATIONS)),
    output_cost=st.sampled_from(OUTPUT_COSTS),
    hidden=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    digit=st.integers(0, 9),
    seed=st.integers(0, 1000),
    eta=st.floats(0.01, 3.0),
    rehearse=st.integers(0, 2),
)
def test_the_step_example_uses_the_networks_own_f_prime(
    activation, output_cost, hidden, digit, seed, eta, rehearse
):
    """Issue 17: on a ReLU, tanh or sigmoid network with a sigmoid or softmax output, the teach
    panel's numbers are that network's: BP1 δ = ∂C/∂a · σ′(z) at a sigmoid output and δ = a − y
    at a softmax one (no σ′), BP2 δⱼ = f′(zⱼ) · Σᵢ wᵢⱼ δᵢ with the hidden layers' own f′, BP4
    ∂C/∂w = δ · aⱼ, each equal to network.backprop's."""
    output, cost = output_cost
    sizes = (784, *hidden, 10)
    net = network.new_network(sizes, seed=seed, activation=activation, output=output)
    x = teach.drawing_input(SEVEN.read_bytes())
    old = network.copy_network(net)
    rehearsal = [(x, (digit + k + 1) % 10) for k in range(rehearse)]
    step = teach.teach(net, x, digit, eta, cost, rehearsal=rehearsal)
    e, h = step["example"], step["example"]["hidden"]
    y = network.one_hot(digit)
    _, dC_dw, delta, z, a = network.backprop(old, x, y, cost)
    L, j = len(sizes) - 2, e["j"]
    assert (e["f"], e["cost"], h["f"]) == (output, cost, activation)
    assert e["delta"] == delta[L][digit] and e["a"] == a[-1][digit] and e["y"] == y[digit]
    if output == "softmax":  # (BP1) no σ′ per neuron: δ = a − y
        assert e["sigma_prime"] is None and e["dC_da"] is None
        assert e["delta"] == e["a"] - e["y"]
    else:  # (BP1) δ = ∂C/∂a · σ′(z), ∂C/∂a the cost's own
        assert e["sigma_prime"] == network.sigmoid_prime(z[L][digit])
        assert math.isclose(e["dC_da"] * e["sigma_prime"], e["delta"], rel_tol=1e-9, abs_tol=1e-15)
        want = (
            2 * (e["a"] - e["y"])
            if cost == "quadratic"
            else (e["a"] - e["y"]) / (e["a"] * (1 - e["a"]))
        )
        assert math.isclose(e["dC_da"], want, rel_tol=1e-6, abs_tol=1e-12)
    f_prime = network.activation_pair(activation)[1]
    assert h["f_prime"] == f_prime(z[L - 1][j])  # (BP2) the hidden layer's own f′
    back = sum(old.w[L][i][j] * delta[L][i] for i in range(10))
    assert math.isclose(h["sum"], back, rel_tol=1e-12, abs_tol=1e-15)
    assert h["term"] == old.w[L][digit][j] * e["delta"]
    assert math.isclose(h["f_prime"] * h["sum"], h["delta"], rel_tol=1e-9, abs_tol=1e-15)
    assert h["delta"] == delta[L - 1][j]
    assert e["grad"] == dC_dw[L][digit][j] == e["delta"] * e["a_j"]  # (BP4)
    assert math.isclose(
        e["new"], e["old"] - eta / step["m"] * e["batch_grad"], rel_tol=1e-9, abs_tol=1e-12
    )
    C = network.cost_pair(cost, output)[0]
    assert step["cost_before"] == C(a[-1], y, z[-1])
    if not rehearsal:  # the drawing's part, with this network's own cost, is the whole step
        assert math.isclose(step["cost_drawing_part"], step["cost_after"], rel_tol=1e-9)


@pytest.mark.skipif(not weights.PRETRAINED.exists(), reason="no pretrained weights")
def test_when_the_drawings_cost_rises_the_step_says_why():
    """Measured, not guessed: nine copies of the drawing labelled 5 pull a taught 3 the other
    way ("rehearsal"); a far too long step overshoots even alone ("eta")."""
    net = weights.load_digit_reader()[0]
    x = teach.drawing_input(SEVEN.read_bytes())
    step = teach.teach(network.copy_network(net), x, 7, 0.1, rehearsal=[(x, 5)] * 9)
    assert step["cost_after"] > step["cost_before"] > step["cost_drawing_part"]
    assert step["cost_rose"] == "rehearsal"
    long_steps = [teach.teach(network.copy_network(net), x, 7, eta) for eta in (100, 300, 1000)]
    assert any(s["cost_rose"] == "eta" for s in long_steps), [s["cost_after"] for s in long_steps]
    for s in long_steps:
        assert s["cost_rose"] in (None, "eta")


# ----------------------------------------------------------------------------- the API


def test_teaching_a_seven_as_a_one_makes_it_read_one(server):
    status, first = call(server, "POST", "/api/predict", {"image": data_url(SEVEN.read_bytes())})
    assert status == 200
    steps = 0
    answer = None
    while steps < 60:
        status, answer = call(server, "POST", "/api/teach", teach_body(1, lr=1.0))
        assert status == 200, answer
        steps += 1
        assert answer["steps"] == steps
        assert answer["before"]["outputs"] != answer["after"]["outputs"]
        if answer["after"]["digit"] == 1:
            break
    assert answer["after"]["digit"] == 1, f"still reads {answer['after']['digit']}"
    assert set(answer) >= {"before", "after", "cost_before", "cost_after", "delta", "changes"}
    assert [len(d) for d in answer["delta"]] == [16, 16, 10]
    assert all(set(c) >= {"layer", "i", "j", "old", "new"} for c in answer["changes"])
    # the page's predictions now come from the taught network
    status, now = call(server, "POST", "/api/predict", {"image": data_url(SEVEN.read_bytes())})
    assert now["digit"] == 1 and now["outputs"] == answer["after"]["outputs"]
    assert call(server, "GET", "/api/state")[1]["steps"] == steps


def test_reset_brings_back_the_starting_weights(server, weights_file):
    status, network_before = call(server, "GET", "/api/network")
    _, predicted_before = call(
        server, "POST", "/api/predict", {"image": data_url(SEVEN.read_bytes())}
    )
    for _ in range(3):
        assert call(server, "POST", "/api/teach", teach_body(2, lr=2.0))[0] == 200
    assert call(server, "GET", "/api/network")[1] != network_before
    status, state = call(server, "POST", "/api/reset", {})
    assert status == 200 and state["steps"] == 0
    assert call(server, "GET", "/api/network")[1] == network_before
    _, predicted = call(server, "POST", "/api/predict", {"image": data_url(SEVEN.read_bytes())})
    assert predicted == predicted_before
    assert flat(server.net) == flat(weights.load(weights_file))


def test_save_writes_a_new_loadable_file_and_leaves_the_loaded_one_alone(
    server, weights_file, tmp_path, capsys
):
    digest = hashlib.sha256(weights_file.read_bytes()).hexdigest()
    for _ in range(2):
        assert call(server, "POST", "/api/teach", teach_body(4, lr=1.0))[0] == 200
    status, answer = call(server, "POST", "/api/save", {})
    assert status == 200, answer
    name = answer["file"]
    assert name.endswith(".json") and "/" not in name and answer["steps"] == 2
    path = tmp_path / "saved" / name
    net, info = weights.load_with_info(path)
    assert flat(net) == flat(server.net)
    assert info["training"]["taught"] is True and info["training"]["taught_steps"] == 2
    assert info["training"]["taught_from"] == "start.json"
    assert info["training"]["before_teaching"] == {"epochs": 1}
    # python -m tinynet.predict reads it
    capsys.readouterr()
    assert predict.main(["--weights", str(path), str(SEVEN)]) == 0
    assert "4" in capsys.readouterr().out
    # a second save is a second file; the loaded file is untouched
    status, again = call(server, "POST", "/api/save", {})
    assert status == 200 and again["file"] != name
    assert hashlib.sha256(weights_file.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == sorted([name, again["file"]])
    # the request cannot choose where the file goes
    status, third = call(server, "POST", "/api/save", {"file": str(weights_file), "dir": "/tmp"})
    assert status == 200 and (tmp_path / "saved" / third["file"]).exists()
    assert hashlib.sha256(weights_file.read_bytes()).hexdigest() == digest


def test_never_saves_into_pretrained(weights_file):
    net, info = weights.load_with_info(weights_file)
    s = draw.make_server(net, port=0, info=info, save_dir=weights.PRETRAINED.parent)
    draw.serve_in_thread(s)
    try:
        before = sorted(os.listdir(weights.PRETRAINED.parent))
        status, answer = call(s, "POST", "/api/save", {})
        assert status == 403 and "pretrained" in answer["error"], answer
        assert sorted(os.listdir(weights.PRETRAINED.parent)) == before
    finally:
        s.shutdown()
        s.server_close()


EVIL = "http://evil.example"


@pytest.mark.parametrize("path", ["/api/teach", "/api/reset", "/api/save", "/api/predict"])
def test_other_web_sites_are_refused(server, path, tmp_path):
    body = teach_body(1) if path == "/api/teach" else {"image": data_url(SEVEN.read_bytes())}
    port = server.server_address[1]
    for origin in (EVIL, "null", f"http://127.0.0.1:{port + 1}", f"https://127.0.0.1:{port}"):
        status, answer = call(server, "POST", path, body, {"Origin": origin})
        assert status == 403 and "another web page" in answer["error"], origin
    # a form or a no-cors fetch can only send these without a preflight
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None):
        status, answer = call(server, "POST", path, body, {"Content-Type": ctype})
        assert status == 415 and "Content-Type" in answer["error"], ctype
    assert call(server, "GET", "/api/state")[1]["steps"] == 0
    assert list((tmp_path / "saved").iterdir()) == []
    # the page itself: its own origin (or none, as from curl) is fine
    for origin in (f"http://127.0.0.1:{port}", None):
        status, answer = call(server, "POST", path, body, {"Origin": origin})
        assert status == 200, answer


BAD_TEACHING = [
    ({"digit": 10}, "digit"),
    ({"digit": -1}, "digit"),
    ({"digit": "7"}, "digit"),
    ({"digit": True}, "digit"),
    ({"digit": 7.0}, "digit"),
    ({"digit": None}, "digit"),
    ({"lr": 0}, "lr"),
    ({"lr": -0.5}, "lr"),
    ({"lr": 10.5}, "lr"),
    ({"lr": "fast"}, "lr"),
    ({"lr": True}, "lr"),
    ({"lr": 1e400}, "lr"),
    ({"rehearse": "yes"}, "rehearse"),
    ({"image": "hello"}, "base64"),
    ({"image": data_url(b"GIF89a")}, "not a PNG"),
    ({"image": 5}, "image"),
]


@pytest.mark.parametrize("change,words", BAD_TEACHING, ids=[str(c) for c, _ in BAD_TEACHING])
def test_bad_teaching_requests_get_400_naming_the_problem(server, change, words):
    body = teach_body(3, lr=0.5)
    body.update(change)
    status, answer = call(server, "POST", "/api/teach", raw_body=json.dumps(body))
    assert status == 400 and words.lower() in answer["error"].lower(), answer
    assert call(server, "GET", "/api/state")[1]["steps"] == 0


def test_teaching_needs_ink_and_json(server):
    blank = png.encode(28, 28, bytes([255]) * 784)
    status, answer = call(server, "POST", "/api/teach", teach_body(3, image=blank))
    assert status == 400 and "no ink" in answer["error"]
    for bad in (b"{", b"[]", b"NaN", b'"x"'):
        status, answer = call(server, "POST", "/api/teach", raw_body=bad)
        assert status == 400 and answer["error"], bad
    body = json.dumps(teach_body(3)).replace('"digit": 3', '"digit": 3, "lr": NaN')
    status, answer = call(server, "POST", "/api/teach", raw_body=body)
    assert status == 400 and "lr" in answer["error"]
    status, answer = call(server, "POST", "/api/teach", teach_body(3, rehearse=True))
    assert status == 400 and "rehearse" in answer["error"] and "MNIST" in answer["error"]


def test_concurrent_teaching_is_serialised(server):
    errors, n = [], 12

    def worker(digit):
        for _ in range(n // 4):
            status, answer = call(server, "POST", "/api/teach", teach_body(digit, lr=0.2))
            if status != 200:
                errors.append(answer)

    threads = [threading.Thread(target=worker, args=(d,)) for d in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert call(server, "GET", "/api/state")[1]["steps"] == n
    # each step saw the weights the previous one left: steps are numbered 1..n without gaps
    status, answer = call(server, "POST", "/api/teach", teach_body(0))
    assert answer["steps"] == n + 1


@pytest.mark.skipif(not DATA, reason="needs MNIST: set TINYNET_DATA to the MNIST folder")
def test_with_mnist_accuracy_is_measured_and_rehearsal_mixes_in_nine_digits(weights_file):
    net, info = weights.load_with_info(weights_file)
    s = draw.make_server(net, port=0, info=info, data_dir=DATA)
    draw.serve_in_thread(s)
    try:
        state = s.teacher.wait_for_accuracy()
        assert state["mnist"] and state["rehearse_available"] and state["accuracy"]["steps"] == 0
        start = state["accuracy"]["value"]
        assert state["start_accuracy"] == start and 0 <= start <= 1
        status, answer = call(s, "POST", "/api/teach", teach_body(5, lr=3.0))
        assert status == 200 and answer["m"] == 1 + teach.REHEARSE_WITH
        assert answer["rehearsed"] == teach.REHEARSE_WITH
        status, answer = call(s, "POST", "/api/teach", teach_body(5, lr=3.0, rehearse=False))
        assert answer["m"] == 1 and answer["steps"] == 2
        state = s.teacher.wait_for_accuracy()
        assert state["accuracy"]["steps"] == 2
        expected = teach.accuracy(s.net, *s.teacher.test)
        assert state["accuracy"]["value"] == expected
    finally:
        s.shutdown()
        s.server_close()


def test_command_line_save_dir_must_exist(tmp_path, capsys):
    assert draw.main(["--save-dir", str(tmp_path / "nope"), "--port", "0"]) == 2
    assert "no such folder" in capsys.readouterr().err


# ----------------------------------------------------------------------------- non-finite steps


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), log_eta=st.floats(-3, 300), digit=st.integers(0, 9))
def test_a_step_is_taken_in_range_or_refused_changing_nothing(seed, log_eta, digit):
    """Whatever η: the weights after a step are ones a weights file may hold (finite, within
    MAX_WEIGHTED_INPUT), or the step is refused and the network is as it was, bit for bit."""
    net = network.new_network(seed=seed)
    x = teach.drawing_input(SEVEN.read_bytes())
    before = flat(net)
    eta = 10.0**log_eta
    try:
        step = teach.teach(net, x, digit, eta)
    except teach.StepRefused as e:
        assert e.status == 422 and "nothing changed" in str(e) and "\n" not in str(e)
        assert flat(net) == before
    else:
        assert weights.out_of_range(net.w, net.b) is None
        assert math.isfinite(step["cost_after"])


def test_a_step_that_would_make_weights_infinite_is_refused():
    net = network.new_network(seed=3)
    before = flat(net)
    with pytest.raises(teach.StepRefused, match=r"with η = 1e\+300 it would leave weights\["):
        teach.teach(net, teach.drawing_input(SEVEN.read_bytes()), 1, 1e300)
    assert flat(net) == before


def network_at_the_edge(x):
    """A network a weights file may hold, whose first hidden neuron is 0.001 short of
    MAX_WEIGHTED_INPUT, all of it on pixels x leaves blank: a step on x moves the weights of
    the inked pixels away from 0, and takes it over."""
    net = network.new_network(seed=4)
    blank = [j for j, x_j in enumerate(x) if x_j == 0.0]
    each = (weights.MAX_WEIGHTED_INPUT - 0.001) / len(blank)
    net.w[0][0] = [each if x_j == 0.0 else 0.0 for x_j in x]
    net.b[0][0] = 0.0
    return net


def test_the_draw_server_refuses_such_a_step_and_goes_on(tmp_path):
    x = teach.drawing_input(SEVEN.read_bytes())
    path = tmp_path / "edge.json"
    weights.save(network_at_the_edge(x), path)
    net, info = weights.load_with_info(path)  # accepted: within the limit
    save_dir = tmp_path / "saved"
    save_dir.mkdir()
    s = draw.make_server(net, port=0, info=info, source=path, save_dir=save_dir)
    draw.serve_in_thread(s)
    try:
        before = flat(s.net)
        status, answer = call(s, "POST", "/api/teach", teach_body(3, lr=10.0, rehearse=False))
        assert status == 422 and "nothing changed" in answer["error"], answer
        assert flat(s.net) == before
        assert call(s, "GET", "/api/state")[1]["steps"] == 0
        assert call(s, "GET", "/api/network")[0] == 200
        assert call(s, "POST", "/api/predict", {"image": data_url(SEVEN.read_bytes())})[0] == 200
        status, saved = call(s, "POST", "/api/save", {})
        assert status == 200 and flat(weights.load(save_dir / saved["file"])) == before
    finally:
        s.shutdown()
        s.server_close()


def test_the_page_judges_a_softmax_network_by_its_own_unsure_threshold():
    # outputs a = softmax(b): ln 9 for digit 7 gives a₇ = 9/18 = 0.5, the others 1/18 each:
    # sure by the sigmoid threshold (0.4), unsure by the softmax one (0.6)
    from tinynet import reading

    b_out = [0.0] * 10
    b_out[7] = math.log(9.0)
    net = network.Network(
        [784, 1, 10], [[[0.0] * 784], [[0.0] for _ in range(10)]], [[0.0], b_out],
        activation="relu", output="softmax",
    )  # fmt: skip
    x = reading.read_digit(str(SEVEN))
    a = network.output(net, x)
    assert abs(a[7] - 0.5) < 1e-12
    assert not reading.unsure(a, x, "sigmoid") and reading.unsure(a, x, "softmax")
    assert teach.analyse_input(net, x)["unsure"] is True
