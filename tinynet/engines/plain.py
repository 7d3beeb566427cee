"""Engine "plain": network.py itself, the slow reference, for stepping through in a debugger.

Every engine has the same few methods (see engines/__init__.py); here each is a line or two over
network.py, so that stepping into `engine.train(...)` lands in network.sgd_step and backprop,
where ∂C/∂w are plain numbers in lists.
"""

from .. import network
from ..network import argmax, copy_network, feedforward, one_hot, sgd_step
from .pixels import PIXEL

ACTIVATIONS = tuple(network.ACTIVATIONS)  # every network: network.py is the reference
OUTPUTS = network.OUTPUTS


class Plain:
    """A Network of floats, trained by network.sgd_step: w[l][i][j] and b[l][i] as in network.py."""

    def __init__(self, net):
        self.net = copy_network(net)
        self.sizes = list(net.sizes)

    def train(self, batches, eta, cost, on_batch=None):
        """network.sgd_step on each batch of (nz, p, digit) from sparse().

        sgd_step returns only the batch's cost, so counting the correct answers takes one more
        forward pass per example (about a quarter more time: 362 examples a second against 447
        without it, CPU time on CPython 3.11); this engine is for reading, not speed.
        """
        n_in, n_out = self.sizes[0], self.sizes[-1]
        for batch in batches:
            examples, correct = [], 0
            for nz, p, digit in batch:
                x = [0.0] * n_in
                for j, p_j in zip(nz, p):
                    x[j] = PIXEL[p_j]
                examples.append((x, one_hot(digit, n_out)))
                correct += argmax(feedforward(self.net, x)[1][-1]) == digit
            mean_cost = sgd_step(self.net, examples, eta, cost)  # w ← w − (η/m) Σₓ ∂Cₓ/∂w
            if on_batch is not None:
                on_batch(len(batch), mean_cost * len(batch), correct)

    def output(self, image):
        """The output activations a⁽ᴸ⁾ for an image (bytes of 0–255)."""
        return feedforward(self.net, [PIXEL[p] for p in image])[1][-1]

    def network(self):
        """A copy of the Network."""
        return copy_network(self.net)

    def scale(self, factor):
        """w ← factor · w for every weight, biases untouched (the shrinking of weight decay)."""
        for w_l in self.net.w:
            for row in w_l:
                row[:] = [w * factor for w in row]

    def state(self):
        """Nothing beyond network(): its floats are the whole state."""
        return None

    def weight(self, l, i, j):
        """w[l][i][j]."""
        return self.net.w[l][i][j]

    def bias(self, l, i):
        """b[l][i]."""
        return self.net.b[l][i]
