"""tinynet.pictures: what Jupyter shows (PNG and SVG made with the standard library) and what a
terminal shows (a one-line repr)."""

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet import network, pictures, visualize
from tinynet.images import png

SVG = "{http://www.w3.org/2000/svg}"


def circles(svg):
    return ET.fromstring(svg).iter(SVG + "circle")


def test_a_network_shows_one_circle_per_neuron_and_a_box_for_784_inputs():
    net = network.new_network((784, 16, 16, 10), seed=1)
    root = ET.fromstring(net._repr_svg_())
    assert len(list(root.iter(SVG + "circle"))) == 16 + 16 + 10
    assert len(list(root.iter(SVG + "rect"))) == 2  # the background and the input's box
    assert not list(root.iter(SVG + "image"))  # no input given: an empty box
    assert repr(net) == "Network(sizes=[784, 16, 16, 10])"


@given(st.lists(st.integers(1, 12), min_size=2, max_size=5), st.integers(0, 3))
@settings(max_examples=25)
def test_small_networks_show_every_neuron_and_every_weight(sizes, seed):
    net = network.new_network(sizes, seed=seed)
    root = ET.fromstring(pictures.network_svg(net))
    assert len(list(root.iter(SVG + "circle"))) == sum(sizes)
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    assert len(list(root.iter(SVG + "line"))) == weights


def test_layers_fill_neurons_by_activation_up_to_the_layer_asked_for():
    net = network.new_network((784, 16, 16, 10), seed=1)
    x = [((k // 28) % 7 == 3) * 1.0 for k in range(784)]
    a = network.feedforward(net, x)[1]
    for upto in (0, 1, 3):
        view = pictures.layers(net, x, upto)
        fills = [c.get("fill") for c in circles(view._repr_svg_())]
        expected = [
            f"rgb({g},{g},{g})"
            for l in (1, 2, 3)
            for g in (255 - round(255 * v) if l <= upto else 255 for v in a[l])
        ]
        assert fills == expected
    root = ET.fromstring(pictures.layers(net, x)._repr_svg_())
    assert len(list(root.iter(SVG + "image"))) == 1  # the input's picture in its box
    answer = network.argmax(a[-1])
    assert repr(pictures.layers(net, x)) == f"layers(sizes=[784, 16, 16, 10], answer={answer})"
    assert repr(pictures.layers(net, x, 1)) == "layers(sizes=[784, 16, 16, 10], up to layer 1)"


@given(st.binary(min_size=784, max_size=784), st.integers(1, 4))
@settings(max_examples=30)
def test_a_digits_png_decodes_back_to_its_pixels(pixels, scale):
    width, height, rgba = png.decode(pictures.digit(pixels, scale=scale)._repr_png_())
    assert (width, height) == (28 * scale, 28 * scale)
    for y in range(height):
        for x in range(width):
            grey = 255 - pixels[28 * (y // scale) + x // scale]
            assert rgba[4 * (y * width + x) : 4 * (y * width + x) + 4] == [grey] * 3 + [255]


@given(st.binary(min_size=784, max_size=784), st.floats(0.0, 1.0))
@settings(max_examples=20)
def test_inputs_in_0_to_1_show_as_ink_dark_on_paper(levels, fraction):
    x = [(v + fraction) / 256 for v in levels]  # any float in [0, 1], not only k/255
    width, height, rgba = png.decode(pictures.digit(x, scale=1)._repr_png_())
    assert (width, height) == (28, 28)
    assert rgba[0::4] == [255 - round(255 * v) for v in x]


@given(st.integers(1, 40), st.integers(1, 40), st.data())
@settings(max_examples=20)
def test_an_image_tinynet_read_shows_as_itself_scaled_up(width, height, data):
    rgba = data.draw(st.binary(min_size=4 * width * height, max_size=4 * width * height))
    w, h, out = png.decode(pictures.digit((width, height, list(rgba)))._repr_png_())
    k = max(1, 224 // max(width, height))
    assert (w, h) == (width * k, height * k)
    shrunk = [out[4 * (y * k * w + x * k) + c] for y in range(height) for x in range(width)
              for c in range(4)]  # fmt: skip
    assert shrunk == list(rgba)
    assert repr(pictures.digit((width, height, rgba), 3)) == f"digit({width}×{height}, label 3)"


def test_first_layer_tiles_are_visualizes_weights_image():
    net = network.new_network((784, 16, 16, 10), seed=2)
    data = pictures.tiles(net, scale=2)._repr_png_()
    canvas = visualize.weights_image(net, scale=2)
    assert png.decode(data) == (canvas.width, canvas.height, list(png.decode(canvas.png())[2]))
    assert repr(pictures.tiles(net)) == "tiles(w[0]: 16×784)"


def test_later_layers_show_their_matrix_in_diverging_colours():
    net = network.new_network((784, 16, 16, 10), seed=2)
    width, height, rgba = png.decode(pictures.tiles(net, layer=2, scale=1)._repr_png_())
    assert (width, height) == (16 * 3, 10 * 3)
    w = net.w[2]
    top = max(abs(v) for row in w for v in row)
    for i in range(10):
        for j in range(16):
            k = 4 * (3 * i * width + 3 * j)
            assert tuple(rgba[k : k + 3]) == visualize.diverging(w[i][j] / top)


def test_a_curve_from_costs_records_or_a_log_file(tmp_path):
    root = ET.fromstring(pictures.curve([3.0, 2.0, 1.5])._repr_svg_())
    assert len(list(root.iter(SVG + "circle"))) == 3  # a dot per epoch
    assert repr(pictures.curve([3.0, 2.0, 1.5])) == "curve(3 epochs, last cost 1.5000)"
    assert repr(pictures.curve([])) == "curve(no epochs)"
    ET.fromstring(pictures.curve([])._repr_svg_())
    records = [
        {"epoch": e, "cost": 1 / e, "train_accuracy": 0.8 + e / 100, "test_accuracy": 0.85}
        for e in (1, 2)
    ]
    log = tmp_path / "run.log.jsonl"
    log.write_text("".join(__import__("json").dumps(r) + "\n" for r in records))
    svg = pictures.curve(log)._repr_svg_()
    assert svg == visualize.curves_svg(records) == pictures.curve(records)._repr_svg_()
    root = ET.fromstring(svg)
    assert len(list(root.iter(SVG + "circle"))) == 3 * 2  # cost, train and test, per epoch


def test_text_reprs_are_one_short_line():
    net = network.new_network((784, 16, 16, 10), seed=1)
    for obj in (
        net,
        pictures.digit([0.0] * 784),
        pictures.layers(net, [0.0] * 784),
        pictures.tiles(net),
        pictures.curve([1.0] * 30),
    ):
        text = repr(obj)
        assert "\n" not in text and len(text) <= 60, text
