"""tinynet: a neural network that reads handwritten digits, in plain Python.

How to read it. Start with network.py: the whole network (new_network, feedforward, the costs,
backprop with the four equations BP1–BP4, one line each, and sgd_step). Then train.py, the loop
over epochs that turns it into a digit reader. The commands sit on top and are short:
predict.py, explain.py (one prediction neuron by neuron), gradcheck.py (backprop against finite
differences), visualize.py, draw.py; weights.py and mnist.py read and write the files. engines/
(the same arithmetic made fast enough to train in minutes) and images/ (PNG and PNM decoders,
and turning any photo of a digit into MNIST's 28×28) are optional machinery: skip them until you
wonder how. support/ holds small shared pieces of the command lines, pages/ the drawing page.
The shipped weights and the example digit are in pretrained/ at the top of a clone, and in
tinynet/pretrained/ once installed (weights.shipped_file finds them).

    >>> from tinynet import network
    >>> net = network.new_network([784, 16, 16, 10], seed=1)
    >>> z, a = network.feedforward(net, [0.0] * 784)
    >>> len(a[-1])
    10
"""

__version__ = "0.1.0"
