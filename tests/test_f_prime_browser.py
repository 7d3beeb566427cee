"""Issue 17 on the two teaching panels, in a real headless browser: for a ReLU or tanh network,
or one with a softmax output, the draw page's teach panel and the live page's lab write that
network's own f′ (ReLU′, tanh′, σ′) and, at a softmax output, BP1 as δ = a − y, in the code's
notation and the video's. Launching and skipping work as in tests/test_draw_browser.py."""

import clients
import pytest
from test_draw_browser import FOUR_CLOSED, draw_with_mouse, wait_for_answer
from test_live import synthetic_digits
from test_live_browser import paused_lab

from tinynet import draw, network

NETWORKS = [("relu", "softmax"), ("tanh", "sigmoid")]


@pytest.mark.parametrize(("activation", "output"), NETWORKS)
def test_the_teach_panel_writes_the_networks_own_f_prime(browser, activation, output):
    net = network.new_network(seed=3, activation=activation, output=output)
    server = draw.make_server(net, "127.0.0.1", 0)
    draw.serve_in_thread(server)
    page = browser.new_page(viewport={"width": 1280, "height": 820})
    problems = clients.watch(page, server.url)
    try:
        page.goto(server.url)
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        draw_with_mouse(page, FOUR_CLOSED)
        target = 4 if wait_for_answer(page) != "4" else 9
        page.locator(".bar .name").nth(target).click()
        page.wait_for_function(
            "() => document.body.dataset.steps === '1' && document.body.dataset.teaching === '0'",
            timeout=15000,
        )
        code = page.locator("#formula").inner_text()
        prime = {"relu": "ReLU′", "tanh": "tanh′"}[activation]
        assert f"BP2  δj = {prime}(zj) · Σi wij δi = " in code, code
        if output == "softmax":
            assert "BP1  δi = ai − yi = " in code and "σ′(" not in code, code
        else:
            assert "BP1  δi = ∂C/∂ai · σ′(zi) = " in code, code
        page.locator("#notation").check()
        video = page.locator("#formula").inner_text()
        assert f"then {prime}(z(2)k) = " in video, video
        if output == "softmax":
            assert "· ∂C/∂z(3)j = " in video and "σ′(" not in video, video
        else:
            assert "· σ′(z(3)j) · ∂C/∂a(3)j = " in video, video
        assert not problems, problems
    finally:
        page.close()
        server.shutdown()
        server.server_close()


def explained(page, name, notation):
    """The lab's BP lines for parameter `name` in `notation` ("code" or "video")."""
    page.select_option("#notation", notation)
    page.fill("#param", name)
    page.click("#show-param")
    page.wait_for_function(f"() => document.body.dataset.explained === '{name}'", timeout=10000)
    return "\n".join(page.text_content(f"#{k}") for k in ("bp1", "bp2", "bp4"))


@pytest.mark.parametrize(("activation", "output"), NETWORKS)
def test_the_lab_writes_the_networks_own_f_prime(browser, activation, output):
    images, labels = synthetic_digits(40)
    net = network.new_network(seed=3, activation=activation, output=output)
    view, thread, page, problems = paused_lab(
        browser, images, labels, images[:10], labels[:10], net=net
    )
    try:
        page.wait_for_function("() => document.body.dataset.lesson === '0.0'", timeout=30000)
        prime = {"relu": "ReLU′", "tanh": "tanh′"}[activation]
        hidden = explained(page, "w[1][2][4]", "code")
        assert f"BP2  δ[1][2] = {prime}(z[1][2]) · Σₖ w[2][k][2] δ[2][k] = " in hidden, hidden
        hidden = explained(page, "w[0][2][3]", "video")
        assert f"BP4  ∂Cₓ/∂w⁽¹⁾₂,₃ = a⁽⁰⁾₃ · {prime}(z⁽¹⁾₂) · ∂Cₓ/∂a⁽¹⁾₂ = " in hidden, hidden
        assert f"Σⱼ w⁽²⁾ⱼ₂ {prime}(z⁽²⁾ⱼ) ∂Cₓ/∂a⁽²⁾ⱼ" in hidden, hidden
        out = explained(page, "w[2][3][5]", "code")
        video = explained(page, "w[2][3][5]", "video")
        if output == "softmax":
            assert "BP1  δ[2][3] = a[3][3] − y[3] = " in out and "σ′(" not in out, out
            assert "BP4  ∂Cₓ/∂w⁽³⁾₃,₅ = a⁽²⁾₅ · ∂Cₓ/∂z⁽³⁾₃ = " in video, video
            assert "σ′(" not in video, video
        else:
            assert "BP4  ∂Cₓ/∂w⁽³⁾₃,₅ = a⁽²⁾₅ · σ′(z⁽³⁾₃) · ∂Cₓ/∂a⁽³⁾₃ = " in video, video
        page.click("#pause")  # resume: the run ends
        thread.join(60)
        assert not thread.is_alive() and not problems, problems
    finally:
        view.close()
        page.close()
