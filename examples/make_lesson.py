"""Write examples/lesson.ipynb from the cells below, run it, and store its outputs.

    python examples/make_lesson.py          # needs MNIST ($TINYNET_DATA or the cache) and
                                            # pip install -e '.[notebook]' (nbclient, ipykernel)

The notebook is made here, not edited by hand, so that it stays current after a change to
tinynet: change a cell below (or the code), run this script, commit both files.
tests/test_notebook.py runs the notebook again and checks that its outputs equal the stored ones,
after `normalised` (below): execution counts and timing metadata are dropped, consecutive prints
to one stream are joined (the kernel cuts them where timing says), memory addresses (0x7f3a…)
become 0x…, and PNG images are compared by their decoded pixels, not their zlib bytes.

Cells tagged "mnist" print something else when MNIST is missing (how to get it); the rest
print the same with or without it.
"""

import base64
import hashlib
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOK = HERE / "lesson.ipynb"
REPOSITORY = "https://github.com/tinynet/tinynet"  # placeholder: the project's public URL

CELLS = [
    (
        "md",
        f"""# tinynet: the lesson, cell by cell

A network that reads handwritten digits, in plain Python, run top to bottom: load the trained
network and look at it, read a digit and follow it through the layers, the cost, one step of
backpropagation with the four equations and with the video's formula, a gradient check, a short
training run, the weights as pictures, and a mistake explained.

**In a hosted notebook** (Colab and the like), install tinynet first, in a cell of its own:

    !pip install git+{REPOSITORY}

then run the cells in order (Runtime → Run all). **Locally**, from a clone:
`pip install -e '.[notebook]'` and `jupyter notebook examples/lesson.ipynb` (or open it in any
editor that runs notebooks). Without MNIST everything still runs on the digits shipped with
tinynet; the cells that want MNIST say how to get it.""",
    ),
    (
        "code",
        """import sys
from importlib.util import find_spec
from pathlib import Path

if find_spec("tinynet") is None:  # run from a clone without installing: use its top folder
    top = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "tinynet").is_dir())
    sys.path.insert(0, str(top))

from tinynet import engines, explain, formulas, gradcheck, mnist, network, pictures, weights
from tinynet.images.imagefile import read_image
from tinynet.images.preprocess import deskew_input
from tinynet.reading import probabilities, read_digit""",
    ),
    (
        "md",
        """## 1. The network

The shipped network: 784 inputs (28 × 28 pixels) → 16 → 16 → 10 outputs, sigmoid neurons,
trained on MNIST. In a notebook it draws itself: every layer a column of neurons, every weight a
line, red for w > 0 and blue for w < 0, stronger for larger |w|. The 784 inputs are a box.""",
    ),
    (
        "code",
        """net, info = weights.load_with_info(weights.shipped_file("tinynet-784-16-16-10.json"))
net""",
    ),
    (
        "code",
        """print(repr(net))  # what a terminal shows
print("weights per layer:", [len(w_l) * len(w_l[0]) for w_l in net.w])
print("biases per layer: ", [len(b_l) for b_l in net.b])
print("trained on deskewed digits:", weights.weights_input(info)["deskew"])""",
    ),
    (
        "md",
        """**Notation.** The video writes the weight into neuron j of layer l from neuron k of
layer l−1 as w⁽ˡ⁾ⱼₖ. Python counts from 0 and the code names the indices i (the neuron fed) and
j (the neuron it comes from):

| maths (video) | code | |
|---|---|---|
| a⁽⁰⁾ = x, a⁽ˡ⁾ | `a[0]`, `a[l]` | activations; `a[3]` is the output |
| z⁽ˡ⁾ⱼ | `z[l-1][j]` | weighted input of layer l |
| w⁽ˡ⁾ⱼₖ | `net.w[l-1][j][k]` | so the code's `w[l][i][j]` is w⁽ˡ⁺¹⁾ᵢⱼ |
| b⁽ˡ⁾ⱼ | `net.b[l-1][j]` | |
| δ⁽ˡ⁾ⱼ = ∂C/∂z⁽ˡ⁾ⱼ | `delta[l-1][j]` | |

z⁽ˡ⁾ⱼ = Σₖ w⁽ˡ⁾ⱼₖ a⁽ˡ⁻¹⁾ₖ + b⁽ˡ⁾ⱼ and a⁽ˡ⁾ⱼ = σ(z⁽ˡ⁾ⱼ) = 1 / (1 + e^(−z)).""",
    ),
    (
        "md",
        """## 2. A digit, through the layers

An example image from `examples/` (a photo of a 7 in ink), as read, and as the network sees it:
28 × 28 numbers, 0 = paper and 1 = ink, cropped, centred and (as this network was trained)
deskewed. Installed without the examples folder, the same 7 comes from the copy shipped with
tinynet.""",
    ),
    (
        "code",
        """deskew = weights.weights_input(info)["deskew"]
if explain.EXAMPLE_IMAGE.exists():  # in a clone: examples/seven-ink-on-paper.png
    display(pictures.digit(read_image(explain.EXAMPLE_IMAGE)))
    x = read_digit(explain.EXAMPLE_IMAGE, deskew=deskew)
else:  # installed: the same 7 as the network's input, shipped in the package
    x = explain.example_digit()[0]
    x = deskew_input(x) if deskew else x
pictures.digit(x, label=7)""",
    ),
    (
        "md",
        """Now the forward pass, one layer at a time: z = w·a + b, then a = σ(z). Each line is one
layer's activations (two digits each, ×100); then the picture with the neurons filled by their
activation (dark = near 1) up to the first hidden layer, and the whole way.""",
    ),
    (
        "code",
        """z, a = network.feedforward(net, x)
for l in range(1, len(a)):
    print(f"a⁽{l}⁾:", " ".join(f"{round(100 * v):2d}" for v in a[l]))
pictures.layers(net, x, upto=1)""",
    ),
    (
        "code",
        """print("the answer: the most active output,", network.argmax(a[3]))
pictures.layers(net, x)""",
    ),
    (
        "md",
        """MNIST's own digits read the same way (its pixels are bytes 0–255; divide by 255).""",
    ),
    (
        "code",
        """try:
    test_images, test_labels = mnist.load("test", download=False)
except mnist.DataError:
    test_images = None
    print("MNIST was not found: this cell and the MNIST parts below are skipped.")
    print("To get it: set TINYNET_DATA to a folder holding the four MNIST .gz files, or run")
    print("`python -m tinynet.train --epochs 1` once online (it downloads into a cache folder).")
if test_images is not None:
    m = [p / 255 for p in test_images[0]]
    m = deskew_input(m) if deskew else m
    print(f"MNIST test image 0 is a {test_labels[0]}; the network says {network.classify(net, m)}")
    display(pictures.digit(test_images[0], label=test_labels[0]))""",
        "mnist",
    ),
    (
        "md",
        """## 3. The cost

For one example with wanted output y (1 for the true digit, 0 for the others), the video's cost
is C = Σₖ (a⁽³⁾ₖ − yₖ)². The shipped network was trained with the cross-entropy cost,
C = −Σₖ [yₖ ln aₖ + (1 − yₖ) ln(1 − aₖ)], which learns faster from a sigmoid output far from
its target (Nielsen, chapter 3).""",
    ),
    (
        "code",
        """y = network.one_hot(7)
for k in range(10):
    print(f"k = {k}: a = {a[3][k]:.4f}  y = {y[k]:.0f}  (a − y)² = {(a[3][k] - y[k]) ** 2:.6f}")
print(f"quadratic C = {network.cost(a[3], y, z[2], 'quadratic'):.6f}")
print(f"cross-entropy C = {network.cost(a[3], y, z[2], 'cross-entropy'):.6f}")""",
    ),
    (
        "md",
        """## 4. One step of backpropagation

A trained network is already right about this 7, so its gradients are tiny; an untrained one
(random weights, `new_network(seed=1)`, as training starts) shows them clearly. With the video's
quadratic cost, Nielsen's four equations:

    (BP1)  δ⁽ᴸ⁾ⱼ = ∂C/∂a⁽ᴸ⁾ⱼ · σ'(z⁽ᴸ⁾ⱼ) = 2(a⁽ᴸ⁾ⱼ − yⱼ) · σ'(z⁽ᴸ⁾ⱼ)
    (BP2)  δ⁽ˡ⁾ₖ = σ'(z⁽ˡ⁾ₖ) · Σⱼ w⁽ˡ⁺¹⁾ⱼₖ δ⁽ˡ⁺¹⁾ⱼ
    (BP3)  ∂C/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ
    (BP4)  ∂C/∂w⁽ˡ⁾ⱼₖ = δ⁽ˡ⁾ⱼ · a⁽ˡ⁻¹⁾ₖ

each filled in with numbers for one neuron, and checked against `network.backprop`:""",
    ),
    (
        "code",
        """fresh = network.new_network(seed=1)
cost = "quadratic"
z0, a0 = network.feedforward(fresh, x)
dC_db, dC_dw, delta, _, _ = network.backprop(fresh, x, y, cost)
sp = network.sigmoid_prime

j = 7  # BP1 for output neuron 7 (the true digit)
bp1 = 2 * (a0[3][j] - y[j]) * sp(z0[2][j])
print(
    f"BP1  δ⁽³⁾₇ = 2({a0[3][j]:.4f} − {y[j]:.0f}) · {sp(z0[2][j]):.4f} = {bp1:+.6f}"
    f"   backprop delta[2][7] = {delta[2][j]:+.6f}"
)
k = 3  # BP2 for neuron 3 of hidden layer 2
back = sum(fresh.w[2][j][k] * delta[2][j] for j in range(10))
bp2 = sp(z0[1][k]) * back
print(
    f"BP2  δ⁽²⁾₃ = {sp(z0[1][k]):.4f} · Σⱼ w⁽³⁾ⱼ₃ δ⁽³⁾ⱼ = {sp(z0[1][k]):.4f} · {back:+.6f}"
    f" = {bp2:+.6f}   backprop delta[1][3] = {delta[1][k]:+.6f}"
)
print(f"BP3  ∂C/∂b⁽³⁾₇ = δ⁽³⁾₇ = {bp1:+.6f}   backprop dC_db[2][7] = {dC_db[2][7]:+.6f}")
bp4 = bp1 * a0[2][3]
print(
    f"BP4  ∂C/∂w⁽³⁾₇₃ = δ⁽³⁾₇ · a⁽²⁾₃ = {bp1:+.6f} · {a0[2][3]:.4f} = {bp4:+.6f}"
    f"   backprop dC_dw[2][7][3] = {dC_dw[2][7][3]:+.6f}"
)
assert all(
    abs(u - v) <= 1e-12
    for u, v in [(bp1, delta[2][7]), (bp2, delta[1][3]), (bp1, dC_db[2][7]), (bp4, dC_dw[2][7][3])]
)""",
    ),
    (
        "md",
        """The video writes each ∂C/∂w without any δ, one chain of sums per weight; for the first
layer

    ∂C/∂w⁽¹⁾ⱼₖ = σ'(z⁽¹⁾ⱼ) · a⁽⁰⁾ₖ · Σₘ 2(a⁽³⁾ₘ − yₘ) σ'(z⁽³⁾ₘ) · Σₙ w⁽³⁾ₘₙ σ'(z⁽²⁾ₙ) w⁽²⁾ₙⱼ

`tinynet/formulas.py` types those formulas in literally (`layer` 1, 2, 3 as in the maths). One
weight of each layer, against backprop (they add the same products in another order, so they
agree to the last few bits):""",
    ),
    (
        "code",
        """for layer, j, k in [(3, 7, 3), (2, 3, 10), (1, 10, 262)]:
    by_formula = formulas.dC_dw(fresh, x, y, layer, j, k, cost)
    by_backprop = dC_dw[layer - 1][j][k]
    print(
        f"∂C/∂w⁽{layer}⁾ for j = {j:3d}, k = {k:3d}: formula {by_formula:+.9f}, "
        f"backprop {by_backprop:+.9f}"
    )
    assert abs(by_formula - by_backprop) <= 1e-12 * max(1.0, abs(by_backprop))
counts = formulas.multiplications(fresh.sizes)
print(
    f"the whole gradient: {counts['formulas']:,} multiplications by the formulas, "
    f"{counts['backprop']:,} by backprop"
)""",
    ),
    (
        "md",
        """And the step itself, w ← w − η ∂C/∂w and b ← b − η ∂C/∂b (`network.sgd_step` on a batch
of this one example): the cost goes down.""",
    ),
    (
        "code",
        """stepped = network.copy_network(fresh)
before = network.sgd_step(stepped, [(x, y)], 1.0, cost)
z1, a1 = network.feedforward(stepped, x)
after = network.cost(a1[3], y, z1[2], cost)
print(f"C before {before:.4f}, after one step with η = 1: {after:.4f}")
print(f"output 7: {a0[3][7]:.4f} → {a1[3][7]:.4f}")""",
    ),
    (
        "md",
        """## 5. Gradient checking

The definition of a derivative checks the formulas: change one weight by ±h and see how C moves,
∂C/∂w ≈ (C(w + h) − C(w − h)) / 2h (`tinynet/gradcheck.py`, with Richardson's extrapolation).
Every bias and a few weights of each layer:""",
    ),
    (
        "code",
        """params = gradcheck.sample_params(fresh, x, n=3, seed=0)
rows = gradcheck.compare(fresh, x, y, cost, params, h=gradcheck.STEP, floor=gradcheck.FLOOR)
for param, l, i, j, analytic, numeric, _ in rows:
    if param == "w":
        name = gradcheck.parameter_name(param, l, i, j)
        print(f"{name:15s} backprop {analytic:+.6e}   finite differences {numeric:+.6e}")
worst = max(r[6] for r in rows)
said = "below 1e-6" if worst < 1e-6 else f"{worst:.1e}"
print(f"{len(rows)} parameters; worst relative error {said} (tolerance {gradcheck.TOLERANCE:g})")
assert worst < gradcheck.TOLERANCE""",
    ),
    (
        "md",
        """## 6. Training, briefly

A short run of `tinynet.train.train`, the function behind `python -m tinynet.train`: 10,000
MNIST images, 5 epochs, with the video's plain inputs (no deskewing); the curve is redrawn after
every epoch. (The shipped network: 60,000 images, 30 epochs, 97.51%.) Without MNIST, a fresh
network learns the example digits in `examples/` instead, with `network.sgd_step` in a loop.""",
    ),
    (
        "code",
        """import tempfile
from types import SimpleNamespace

from tinynet.train import train

chart = display(pictures.curve([]), display_id=True)
if test_images is not None:
    history = []

    def redraw(info):
        history[:] = info["history"]
        chart.update(pictures.curve(history))

    with tempfile.TemporaryDirectory() as folder:
        trained = train(
            out=str(Path(folder) / "lesson.json"),
            epochs=5,
            limit=10000,
            lr=1.0,
            lr_final=0.25,
            deskew=False,
            download=False,
            quiet=True,
            watchers=[SimpleNamespace(on_epoch=redraw)],
            engine=engines.default_engine(),
        )  # the fast one, even under ipykernel
    print(f"test accuracy after {len(history)} epochs: {100 * history[-1]['test_accuracy']:.2f}%")
else:
    NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    folder = explain.EXAMPLE_IMAGE.parent
    files = sorted(folder.glob("*.p*")) if folder.is_dir() else []
    examples = [
        (read_digit(f), network.one_hot(NAMES.index(f.name.split("-")[0])))
        for f in files
        if f.name.split("-")[0] in NAMES
    ]
    examples = examples or [(explain.example_digit()[0], network.one_hot(7))]
    trained, costs = network.new_network(seed=1), []
    for _ in range(30):
        costs.append(network.sgd_step(trained, examples, 3.0, "cross-entropy"))
        chart.update(pictures.curve(costs))
    right = sum(network.argmax(network.output(trained, xe)) == ye.index(1.0) for xe, ye in examples)
    print(f"after 30 steps: {right} of the {len(examples)} example digits right")""",
        "mnist",
    ),
    (
        "md",
        """## 7. The weights as pictures

Each first-layer neuron has 784 incoming weights, one per pixel: drawn as a 28 × 28 tile, red
where ink pushes the neuron's z up, blue where it pulls it down (each tile on its own scale).
The shipped network's:""",
    ),
    ("code", "pictures.tiles(net)"),
    (
        "md",
        """and the later layers' matrices, w⁽²⁾ (16 × 16) and w⁽³⁾ (10 × 16), row j = the neuron
fed:""",
    ),
    ("code", "display(pictures.tiles(net, layer=1))\npictures.tiles(net, layer=2)"),
    ("md", "The network just trained, after its short run:"),
    ("code", "pictures.tiles(trained)", "mnist"),
    (
        "md",
        """## 8. A mistake, explained

The first MNIST test digit the shipped network gets wrong (without MNIST: the example 7 moved
four pixels to the left — a network of plain layers has no idea that a moved digit is the same
digit). `tinynet/explain.py` says why: which neurons of the last hidden layer pushed the wrong
answer up, and what one step of training on this image would change.""",
    ),
    (
        "code",
        """if test_images is not None:
    for k, image in enumerate(test_images):
        label = test_labels[k]
        xk = [p / 255 for p in image]
        xk = deskew_input(xk) if deskew else xk
        if network.classify(net, xk) != label:
            break
    true, where = label, f"MNIST test image {k}"
else:
    xk = [x[r * 28 + c + 4] if c + 4 < 28 else 0.0 for r in range(28) for c in range(28)]
    true, where = 7, "the example 7, moved 4 pixels left"
zk, ak = network.feedforward(net, xk)
wrong = network.argmax(ak[3])
p = probabilities(ak[3])
print(f"{where}: a {true}, read as {wrong}")
print("share of each output:", " ".join(f"{d}:{round(100 * v)}%" for d, v in enumerate(p)))
display(pictures.digit(xk, label=true))
pictures.layers(net, xk)""",
        "mnist",
    ),
    (
        "code",
        """for d in (wrong, true):
    n = explain.neuron(net, ak[2], 2, d)
    strongest = explain.strongest_inputs(net, ak[2], 2, d, k=3)
    pushes = ", ".join(f"hidden-2 #{j} {t:+.2f}" for j, t in strongest)
    print(
        f"output {d}: z = {n.z:+.2f} = b {n.b:+.2f} + up {n.excitation:+.2f} + down "
        f"{n.inhibition:+.2f}; strongest w·a: {pushes}"
    )
eta = explain.DEFAULT_ETA
before, after, a_after = explain.step_effect(net, xk, true, "cross-entropy", eta)
print(
    f"one step of training on this image (η = {eta}): C {before:.3f} → {after:.3f}, "
    f"output {true}: {ak[3][true]:.3f} → {a_after[true]:.3f}; "
    f"it would now say {network.argmax(a_after)}"
)""",
        "mnist",
    ),
    (
        "md",
        """## Where next

- `python -m tinynet.explain IMAGE --label DIGIT`: the whole forward and backward pass as text.
- `python examples/step_through.py --break`: the same step in a debugger.
- `python -m tinynet.train`: the full training run; `python -m tinynet.visualize all`: the pictures
  as files.""",
    ),
]


def build():
    """The notebook, without outputs."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for kind, source, *tags in CELLS:
        cell = (nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell)(
            source
        )
        cell.pop("id", None)
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    nb.nbformat_minor = 4  # no cell ids: they would change at every build
    return nb


def execute(nb, env=None, timeout=300):
    """Run every cell in a fresh kernel, in examples/, with `env` added to the environment."""
    from nbclient import NotebookClient

    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": str(HERE)}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    nb.metadata["language_info"] = {"name": "python"}  # not the version of the machine
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = merged_streams(cell.outputs)
    return nb


def merged_streams(outputs):
    """The outputs with consecutive prints to the same stream joined into one: where the kernel
    cuts a stream into messages depends on timing."""
    merged = []
    for out in outputs:
        last = merged[-1] if merged else {}
        if out.get("output_type") == last.get("output_type") == "stream" and (
            out.get("name") == last.get("name")
        ):
            last["text"] = "".join(last["text"]) + "".join(out["text"])
            continue
        merged.append(type(out)(out))  # a copy: the caller's notebook stays as it was
    return merged


ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def png_pixels(b64):
    """A PNG (base64) as a digest of its decoded size and pixels: the same picture compares
    equal whatever zlib compressed it."""
    sys.path.insert(0, str(ROOT))
    from tinynet.images import png

    width, height, rgba = png.decode(base64.b64decode(b64))
    return f"png {width}×{height} {hashlib.sha256(bytes(rgba)).hexdigest()[:16]}"


def normalised_output(out):
    """One output as plain data, without what changes from run to run."""
    out = {k: v for k, v in out.items() if k not in ("execution_count", "metadata", "transient")}
    data = dict(out.get("data", {}))
    for mime, value in data.items():
        value = "".join(value) if isinstance(value, list) else value
        if mime == "image/png":
            value = png_pixels(value)
        elif isinstance(value, str):
            value = DATA_URI.sub(lambda m: png_pixels(m.group(1)), ADDRESS.sub("0x…", value))
        data[mime] = value
    if "data" in out:
        out["data"] = data
    if "text" in out:
        text = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
        out["text"] = ADDRESS.sub("0x…", text)
    return out


def normalised(nb, skip_tag=None):
    """[(cell type, source, [outputs])] to compare two runs; cells tagged `skip_tag` keep only
    their source."""
    cells = []
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        if skip_tag and skip_tag in cell.metadata.get("tags", []):
            outputs = None
        else:
            outputs = [normalised_output(o) for o in merged_streams(outputs)]
        cells.append((cell.cell_type, cell.source, outputs))
    return cells


def main():
    import nbformat

    sys.path.insert(0, str(ROOT))
    from tinynet import mnist

    try:
        mnist.load("test", download=False)
    except mnist.DataError as e:
        sys.exit(f"error: the stored outputs are made with MNIST present: {e}")
    nb = execute(build(), {"PYTHONPATH": str(ROOT)})
    nbformat.write(nb, str(NOTEBOOK))
    print(f"wrote {NOTEBOOK.relative_to(ROOT)} ({NOTEBOOK.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
