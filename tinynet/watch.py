"""--watch: follow single weights and biases through training, one line per mini-batch.

    python -m tinynet.train --limit 1000 --epochs 1 --watch "w[0][10][262]" --watch "b[2][7]"

After every mini-batch, for each watched parameter θ (a weight w[l][i][j] or a bias b[l][i],
named as in network.py), one line with

    θ              its value after the batch,
    Σₓ ∂Cₓ/∂θ      the batch's gradient, summed over its m examples x,
    step           how much θ moved: w ← w − (η/m) Σₓ ∂Cₓ/∂w, then, on the batches where weight
                   decay acts, w ← f·w with f = (1 − ηλ/n)^k.

The gradient is worked back from the step, the same way for every engine (the fast ones never
hold ∂C/∂w as numbers): Σₓ ∂Cₓ/∂θ = (m/η)(θ_before − θ_after/f), with f = 1 for biases and on
the batches without decay. So it is exact up to rounding (and, on engine lanes, the first
layer's fixed point: steps of 2⁻⁴⁰).

A watcher is any object with on_batch(info), on_epoch(info) or on_end(info): see
train.watcher_info.
"""

import re
import sys

PARAMETER = re.compile(r"^\s*([wb])\s*\[\s*(\d+)\s*\]\s*\[\s*(\d+)\s*\]\s*(?:\[\s*(\d+)\s*\]\s*)?$")


def shapes(sizes):
    """The valid names for a network of these sizes, in words, for error messages."""
    L = len(sizes) - 1
    return (
        f"w[l][i][j] (the weight into neuron i of layer l+1 from neuron j of layer l) or b[l][i], "
        f"with l in 0..{L - 1:d}, i < sizes[l+1], j < sizes[l], where sizes = {list(sizes)}"
    )


def parse(name, sizes):
    """(l, i, j) for "w[l][i][j]", (l, i, None) for "b[l][i]"; ValueError saying the valid ones."""
    m = PARAMETER.match(name)
    ok = m is not None and (m.group(1) == "w") == (m.group(4) is not None)
    if ok:
        l, i = int(m.group(2)), int(m.group(3))
        j = int(m.group(4)) if m.group(4) is not None else None
        ok = l < len(sizes) - 1 and i < sizes[l + 1] and (j is None or j < sizes[l])
    if not ok:
        raise ValueError(f"--watch {name!r}: no such parameter; give {shapes(sizes)}")
    return l, i, j


class Watch:
    """A watcher printing, after every mini-batch, each parameter's value, gradient and step."""

    def __init__(self, names, sizes, stream=None):
        self.names = list(names)
        self.params = [parse(name, sizes) for name in self.names]
        self.stream = stream
        self.before = None  # each parameter's value before the batch

    def values(self, engine):
        return [
            engine.bias(l, i) if j is None else engine.weight(l, i, j) for l, i, j in self.params
        ]

    def start(self, engine):
        """Read the values before the first batch."""
        self.before = self.values(engine)

    def on_batch(self, info):
        engine, eta, m = info["engine"], info["eta"], info["m"]
        if self.before is None:
            self.start(engine)  # (the first line then shows no step)
        after = self.values(engine)
        stream = self.stream if self.stream is not None else sys.stdout
        where = f"epoch {info['epoch'] + 1:d} batch {info['batch'] + 1:d}/{info['n_batches']:d}"
        for name, (_l, _i, j), before, now in zip(self.names, self.params, self.before, after):
            f = 1.0 if j is None else info["decay"]
            gradient = (m / eta) * (before - now / f)
            d = "∂Cₓ/∂b" if j is None else "∂Cₓ/∂w"
            decay = "" if f == 1.0 else f" (then weight decay ×{f:.9f})"
            stream.write(
                f"{where}: {name} = {now:+.9f}  Σₓ {d} = {gradient:+.6e}  "
                f"step {now - before:+.3e}{decay}\n"
            )
        stream.flush()
        self.before = after
