"""The live view in a real headless browser (Chromium driven by Playwright) while training runs.

A real training loop (tests/test_live.py's `drive`, playing train.py's part) runs in a thread and
feeds tinynet.live; the browser opens the page and checks that what it shows changes while the
network trains (the batch count and the pixels of the weight tiles), that it ends on the final
state, and that it keeps showing it once the program has gone. Launching and skipping work as in
tests/test_draw_browser.py (Debian's /usr/bin/chromium, never `playwright install`).

TINYNET_LIVE_SCREENSHOT=docs/live-screenshot.png (with TINYNET_DATA set) also trains on real
MNIST for the screenshot in the README.
"""

import os
import re
import threading
import time

import clients
import pytest
from test_live import drive, synthetic_digits

from tinynet import live, mnist

SCREENSHOT_ENV = "TINYNET_LIVE_SCREENSHOT"


def training_data():
    """Real MNIST for the screenshot, else synthetic digits (the test needs no data files)."""
    data = os.environ.get("TINYNET_DATA")
    if os.environ.get(SCREENSHOT_ENV) and data:
        images, labels = mnist.load("train", data, download=False)
        test_images, test_labels = mnist.load("test", data, download=False)
        return images[:20000], labels[:20000], test_images[:1000], test_labels[:1000], 0.0, "lanes"
    images, labels = synthetic_digits(300)
    test_images, test_labels = synthetic_digits(60, seed=3)
    return images, labels, test_images, test_labels, 0.04, "loops"


def watch(page, url):
    return clients.watch(page, url, local=("data:",))


def tile_pixels(page):
    """A fingerprint of every weight tile's pixels, read back from the canvases."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#tiles canvas')).map((c) => {
             const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
             let h = 0;
             for (let i = 0; i < d.length; i++) h = (h * 31 + d[i]) >>> 0;
             return h;
           })"""
    )


def test_the_page_changes_while_training_runs(browser):
    images, labels, test_images, test_labels, pause, engine = training_data()
    view = live.start(port=0)
    result = {}

    def train():
        try:
            result["engine"] = drive(
                view, engine, images, labels, test_images, test_labels, 3, eta=0.5, pause=pause
            )
        except Exception as e:  # reported by the test, not lost in the thread
            result["error"] = e

    thread = threading.Thread(target=train, daemon=True)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    problems = watch(page, view.url)
    try:
        thread.start()
        page.goto(view.url)
        page.wait_for_function("() => +(document.body.dataset.version || 0) >= 1", timeout=30000)
        progress_a, tiles_a = page.text_content("#progress"), tile_pixels(page)
        version_a = int(page.evaluate("document.body.dataset.version"))
        assert len(tiles_a) == 16
        # one more snapshot, at most about a second later, and the page shows it
        page.wait_for_function(
            f"() => +document.body.dataset.version >= {version_a + 2:d}", timeout=30000
        )
        progress_b, tiles_b = page.text_content("#progress"), tile_pixels(page)
        assert progress_b != progress_a  # the batch count moved on
        assert tiles_b != tiles_a  # the weights changed, and so did the tiles' pixels
        assert page.text_content("#rate") not in ("", "–")
        assert page.locator("#cost-chart path.line").count() == 1

        if os.environ.get(SCREENSHOT_ENV):  # in the last epoch, halfway through
            page.wait_for_function(
                "() => { const d = document.body.dataset; "
                "return +d.epoch === 2 && +d.batch > +d.nBatches / 2; }",
                timeout=120000,
            )
            page.screenshot(path=os.environ[SCREENSHOT_ENV], full_page=True)
        thread.join(300)
        assert not thread.is_alive() and "error" not in result, result.get("error")
        page.wait_for_function(
            "() => document.getElementById('status').textContent.includes('training finished')",
            timeout=30000,
        )
        assert page.text_content("#left") == "done"
        assert page.locator("#accuracy-chart circle").count() == 3  # one dot per epoch
        marked = page.locator(".digit.right").count() + page.locator(".digit.wrong").count()
        assert marked == 16
        assert page.locator(".digit.right").count() > 8  # it learnt something
        final_tiles = tile_pixels(page)

        time.sleep(0.3)
        assert problems == []

        # the program ends: the page says so and keeps the final state on screen
        view.close()
        page.wait_for_function(
            "() => document.getElementById('status').className === 'lost'", timeout=30000
        )
        assert "showing the last state" in page.text_content("#status")
        assert tile_pixels(page) == final_tiles
        # the only complaints: its requests to the server that is gone (refused, reset…)
        gone = "console error: Failed to load resource: net::ERR_"
        assert all(p.startswith(gone) for p in problems), problems
    finally:
        view.close()
        page.close()


NUMBER = r"[−-]?\d+(?:\.\d+)?(?:e[+−-]?\d+)?"


def numbers(text):
    """The numbers in a line of the page (its minus signs may be U+2212)."""
    return [float(n.replace("−", "-")) for n in re.findall(NUMBER, text)]


def paused_lab(browser, images, labels, test_images, test_labels, **drive_kw):
    """A live view started paused, one epoch of `drive` (plain engine, η 0.5, then `drive_kw`)
    in a thread held by it, and a page open on it: (view, thread, page, the page's problems)."""
    view = live.start(port=0, paused=True)
    thread = threading.Thread(
        target=drive,
        args=(view, "plain", images, labels, test_images, test_labels, 1),
        kwargs={"eta": 0.5, **drive_kw},
        daemon=True,
    )
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    problems = watch(page, view.url)
    thread.start()
    page.goto(view.url)
    return view, thread, page, problems


def test_pause_step_click_a_weight_and_read_its_bp4_line(browser):
    """--paused: the page shows the first batch's backpropagation; a step moves on one batch;
    clicking a pixel of a Δw tile explains that weight, and the BP4 line's numbers are
    network.backprop's for that weight and the chosen digit."""
    images, labels, test_images, test_labels, _, _ = training_data()
    view, thread, page, problems = paused_lab(browser, images[:100], labels[:100], test_images,
                                              test_labels)  # fmt: skip
    try:
        page.wait_for_function("() => document.body.dataset.lesson === '0.0'", timeout=30000)
        assert page.is_visible("#lab") and page.text_content("#pause") == "resume"
        assert page.locator("#lab-digits .example").count() == 10
        assert page.locator("#dw canvas").count() == 16
        page.click("#step")
        page.wait_for_function("() => document.body.dataset.lesson === '0.1'", timeout=30000)
        assert view.taken == 1 and page.evaluate("document.body.dataset.seen") == "10"
        # batch 2 holds digits 0-9; digit 0's bar covers columns 3-5: pixel (row 10, column 4)
        side = page.evaluate("document.querySelector('#dw canvas').clientWidth") / 28
        page.click("#dw canvas >> nth=2", position={"x": 4.5 * side, "y": 10.5 * side})
        page.wait_for_function(
            "() => document.body.dataset.explained === 'w[0][2][284]'", timeout=10000
        )
        bp4 = page.text_content("#bp4")
        assert bp4.startswith("BP4  ∂Cₓ/∂w[0][2][284] = δ[0][2] · a[0][284] = ")
        told = live.explain(view.lesson, "w[0][2][284]")["rows"][0]
        assert told["a_in"] > 0.5  # the pixel has ink
        got = numbers(bp4.split(" = ", 2)[2])
        assert got == pytest.approx([told["delta"], told["a_in"], told["grad"]], rel=1e-3)
        # the video's notation and factor order: a · σ′ · ∂C/∂a
        page.select_option("#notation", "video")
        bp4 = page.text_content("#bp4")
        assert bp4.startswith("BP4  ∂Cₓ/∂w⁽¹⁾₂,₂₈₄ = a⁽⁰⁾₂₈₄ · σ′(z⁽¹⁾₂) · ∂Cₓ/∂a⁽¹⁾₂ = ")
        got = numbers(bp4.split(" = ", 2)[2])
        assert got == pytest.approx(
            [told["a_in"], told["sp"], told["dC_da"], told["grad"]], rel=1e-3
        )
        assert "w⁽ˡ⁺¹⁾ⱼₖ with j = i" in page.text_content("#index-map")
        page.click("#pause")  # resume: the run ends
        thread.join(60)
        assert not thread.is_alive()
        page.wait_for_function(
            "() => document.getElementById('status').className === 'done'", timeout=30000
        )
        assert page.is_hidden("#lab") and page.evaluate("document.body.dataset.paused") == "false"
        assert "100 examples trained, 0:0" in page.text_content("#status")
        assert " in all" in page.text_content("#status")  # not "so far" once it has ended
        assert problems == []
    finally:
        view.close()
        page.close()


LAB_SCREENSHOT_ENV = "TINYNET_LAB_SCREENSHOT"


def test_the_lab_on_real_mnist_explains_the_weight_that_moves_most(browser, mnist_dir):
    """Real MNIST, paused: two steps, then a click on the pixel of the Δw tiles that this batch
    moves most. The page names that weight and fills in its BP4 line and its update with
    network.py's numbers. TINYNET_LAB_SCREENSHOT=docs/lab-screenshot.png saves the page."""
    images, labels = mnist.load("train", mnist_dir, download=False)
    test_images, test_labels = mnist.load("test", mnist_dir, download=False)
    view, thread, page, problems = paused_lab(browser, images[:200], labels[:200],
                                              test_images[:500], test_labels[:500])  # fmt: skip
    try:
        for k in range(3):
            if k:
                page.click("#step")
            page.wait_for_function(f"() => document.body.dataset.lesson === '0.{k:d}'")
        dw = live.first_layer_step(view.lesson)
        _, i, j = max((abs(v), i, j) for i, row in enumerate(dw) for j, v in enumerate(row))
        name = f"w[0][{i:d}][{j:d}]"
        side = page.evaluate("document.querySelector('#dw canvas').clientWidth") / 28
        where = {"x": (j % 28 + 0.5) * side, "y": (j // 28 + 0.5) * side}
        page.click(f"#dw canvas >> nth={i:d}", position=where)
        page.wait_for_function(f"() => document.body.dataset.explained === '{name}'")
        told = live.explain(view.lesson, name)
        first = told["rows"][0]
        assert page.text_content("#bp4").startswith(f"BP4  ∂Cₓ/∂{name} = δ[0][{i:d}] · a[0]")
        got = numbers(page.text_content("#bp4").split(" = ", 2)[2])
        assert got == pytest.approx([first["delta"], first["a_in"], first["grad"]], rel=1e-3)
        update = numbers(page.text_content("#update").split(" = ", 1)[1])
        after = told["value"] - told["eta"] / told["m"] * sum(r["grad"] for r in told["rows"])
        assert update[-1] == pytest.approx(after, rel=1e-3, abs=1e-6)
        # the table: a heading, one row per example, then Σₓ ∂Cₓ/∂w
        assert page.locator("#contrib tr").count() == 1 + told["m"] + 1
        total = numbers(page.text_content("#contrib tr >> nth=-1"))
        assert total == pytest.approx([sum(r["grad"] for r in told["rows"])], rel=1e-3)
        if os.environ.get(LAB_SCREENSHOT_ENV):
            page.mouse.move(1190, 990)
            page.screenshot(path=os.environ[LAB_SCREENSHOT_ENV], full_page=True)
        page.click("#pause")  # resume: the run ends
        thread.join(60)
        assert not thread.is_alive() and problems == []
    finally:
        view.close()
        page.close()
