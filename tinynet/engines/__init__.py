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

This module is the one interface over the engines that train.py and evaluate.py use.
Both engines are deterministic: the same weights, examples and settings give the same result,
bit for bit, every time. Their results differ from each other in the last digits.
"""

from ..network import Network
from ..support import ON_PYPY
from .lanes import Lanes, train_lanes
from .loops import Loops, train_loops
from .pixels import PIXEL, sparse  # noqa: F401  (sparse() is part of this interface)

ENGINES = ("lanes", "loops", "plain")


def default_engine():
    """'loops' on PyPy (its JIT loves plain loops), 'lanes' on CPython."""
    return "loops" if ON_PYPY else "lanes"


def make_engine(net, name=None, exact=None):
    """The network in the form the engine `name` trains: Lanes, Loops, or the Network itself.

    `exact` is an engine_state() from a checkpoint, to continue bit for bit.
    """
    name = name or default_engine()
    if name == "lanes":
        return Lanes(net, exact=exact)
    if name == "loops":
        return Loops(net)
    if name == "plain":
        return Network(
            net.sizes, [[list(r) for r in w_l] for w_l in net.w], [list(b) for b in net.b]
        )
    raise ValueError("unknown engine {!r} (choose from {})".format(name, ", ".join(ENGINES)))


def to_network(engine):
    """The engine's current weights as a plain Network of floats."""
    return engine if isinstance(engine, Network) else engine.network()


def engine_state(engine):
    """What a checkpoint must hold to continue exactly: lanes' whole-number first layer, else
    None."""
    return engine.integer_weights() if isinstance(engine, Lanes) else None


def scale_weights(engine, factor):
    """w ← factor · w for every weight, biases untouched: the shrinking step of weight decay."""
    if isinstance(engine, Lanes):
        engine.scale(factor)
    elif isinstance(engine, Loops):
        engine.w0[:] = [w * factor for w in engine.w0]
        for w_l in engine.w[1:]:
            w_l[:] = [w * factor for w in w_l]
    else:
        for w_l in engine.w:
            for row in w_l:
                row[:] = [w * factor for w in row]


def train_batches(engine, batches, eta, cost, on_batch=None):
    """Run gradient descent on `batches` (lists of (nz, p, digit)) with whichever engine."""
    if isinstance(engine, Lanes):
        return train_lanes(engine, batches, eta, cost, on_batch)
    if isinstance(engine, Loops):
        return train_loops(engine, batches, eta, cost, on_batch)
    return _train_plain(engine, batches, eta, cost, on_batch)


def _train_plain(net, batches, eta, cost, on_batch):
    from ..network import feedforward, one_hot, sgd_step

    n_in = net.sizes[0]
    for batch in batches:
        examples = []
        correct = 0
        for nz, p, digit in batch:
            x = [0.0] * n_in
            for j, p_j in zip(nz, p):
                x[j] = PIXEL[p_j]
            examples.append((x, one_hot(digit, net.sizes[-1])))
            out = feedforward(net, x)[1][-1]
            correct += out.index(max(out)) == digit
        mean_cost = sgd_step(net, examples, eta, cost)
        if on_batch is not None:
            on_batch(len(batch), mean_cost * len(batch), correct)


def output(engine, image):
    """The output activations for an image (bytes of 0–255), with any engine."""
    if isinstance(engine, Network):
        from ..network import output as plain_output

        return plain_output(engine, [PIXEL[p] for p in image])
    return engine.output(image)
