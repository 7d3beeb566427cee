"""Reading images safely and preparing a digit the way MNIST's were.

png.py and pnm.py decode those formats in plain Python; imagefile.py picks the decoder (or
Pillow, when installed, for the rest); preprocess.py turns any digit image into the 28×28 input.
"""
