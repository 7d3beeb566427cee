"""Fast training and evaluation: the arithmetic of network.py, rearranged for speed.

network.py computes z⁽ˡ⁾ᵢ = Σⱼ w⁽ˡ⁾ᵢⱼ a⁽ˡ⁻¹⁾ⱼ + b⁽ˡ⁾ᵢ one multiplication at a time. In CPython each
of those costs ~40 ns, and one MNIST example needs about 25,000 of them forwards and as many
backwards: ~800 examples a second. Two ideas make training a coffee break instead:

1. Skip the zero pixels (pixels.py). About 80% of MNIST's pixels are 0, and both the first
   layer's sum Σⱼ w⁽¹⁾ᵢⱼ xⱼ and its gradient ∂C/∂w⁽¹⁾ᵢⱼ = δ⁽¹⁾ᵢ xⱼ vanish for them.

2. Hand the remaining loops to C (CPython) or to a JIT (PyPy):
   - engine "lanes" (lanes.py, the CPython default) packs a whole column of the first layer's
     weights into one big integer, so that one multiplication in C does sixteen of network.py's,
     and does the later layers' dot products with math.dist, in C;
   - engine "loops" (loops.py, the PyPy default) keeps plain loops over flat lists of floats,
     which PyPy compiles to machine code;
   - engine "plain" is network.py itself.

Every engine is an object with the same methods, so that train.py and evaluate.py never ask
which one they have:

    engine.train(batches, η, cost, on_batch)  gradient descent, one step per mini-batch of
                                              (nz, p, digit) from sparse(); on_batch(m,
                                              cost_sum, correct) after each
    engine.output(image)                      the output activations a⁽ᴸ⁾ for 784 bytes
    engine.network()                          the weights as a plain network.Network (costly
                                              on lanes: it unpacks the first layer)
    engine.weight(l, i, j), engine.bias(l, i) one parameter, cheaply
    engine.scale(factor)                      w ← factor · w, the shrinking of weight decay
    engine.state()                            what a checkpoint needs beyond network() to go
                                              on bit for bit (lanes: its integers; else None)

make_engine() builds one; answers() and evaluate() read the test images with any of them.
Each engine's module says which networks it can run, in ACTIVATIONS (hidden layers) and OUTPUTS
(output layer); plain runs them all, and supported() tells the others' limits.
The engines are deterministic: the same weights, examples and settings give the same result,
bit for bit, every time. Their results differ from each other in the last digits.
"""

from ..network import argmax
from ..support import ON_PYPY
from . import lanes, loops, plain
from .lanes import Lanes
from .loops import Loops
from .pixels import PIXEL, sparse  # noqa: F401  (sparse() is part of this interface)
from .plain import Plain

ENGINES = ("lanes", "loops", "plain")
MODULES = {"lanes": lanes, "loops": loops, "plain": plain}


def unsupported(name, net):
    """Why engine `name` cannot run `net` (its activation or output is not one the engine's
    module lists), in a few words; None if it can."""
    module = MODULES[name]
    activations = getattr(module, "ACTIVATIONS", ("sigmoid",))
    outputs = getattr(module, "OUTPUTS", ("sigmoid",))
    if len(net.sizes) > 2 and net.activation not in activations:
        return f"engine {name} has no {net.activation} hidden layers"
    if net.output not in outputs:
        return f"engine {name} has no {net.output} output layer"
    return None


def default_engine():
    """'loops' on PyPy (its JIT loves plain loops), 'lanes' on CPython."""
    return "loops" if ON_PYPY else "lanes"


def engine_for(net, name=None):
    """(engine name, note): `name` (default: default_engine()), or plain if that one cannot
    run `net`, with a one-line note saying why; the note is None when nothing changed."""
    name = name or default_engine()
    why = unsupported(name, net)
    if why is None:
        return name, None
    return "plain", f"{why}: using engine plain (network.py itself, slower)"


def make_engine(net, name=None, exact=None):
    """The network `net` as the engine `name` trains it: a Lanes, a Loops or a Plain.

    Without `name`, the default engine, or plain if the default cannot run `net` (engine_for).
    `exact` is a state() from a checkpoint, to continue bit for bit (only lanes has one).
    """
    if name is None:
        name = engine_for(net)[0]
    elif name in MODULES and unsupported(name, net):
        raise ValueError(unsupported(name, net) + " (--engine plain runs every network)")
    if name == "lanes":
        return Lanes(net, exact=exact)
    if name == "loops":
        return Loops(net)
    if name == "plain":
        return Plain(net)
    raise ValueError("unknown engine {!r} (choose from {})".format(name, ", ".join(ENGINES)))


def answers(engine, images):
    """The digit the network reads in each image (bytes of 0–255), one image at a time: the
    one evaluation loop (evaluate below, visualize.find_mistakes and the draw page use it)."""
    for image in images:
        yield argmax(engine.output(image))


def evaluate(engine, images, labels):
    """(correct, confusion): confusion[true][predicted] counts over the given images."""
    confusion = [[0] * 10 for _ in range(10)]
    for guess, digit in zip(answers(engine, images), labels):
        confusion[digit][guess] += 1
    return sum(confusion[d][d] for d in range(10)), confusion
