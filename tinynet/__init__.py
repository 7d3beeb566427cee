"""tinynet: a neural network that reads handwritten digits, in plain Python."""

__version__ = "0.1.0"
