"""What the training tests share: a quiet short run from Python, and `python -m tinynet.train`
in a subprocess that imports this checkout's tinynet."""

import os
import subprocess
import sys
from pathlib import Path

from tinynet import train
from tinynet.settings import Interrupted

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "tinynet.train"]


def quiet_run(mnist_dir, out, defaults, **kw):
    """train.train() on the MNIST folder, quietly, never downloading: `defaults` updated with
    `kw`; returns the network."""
    settings = dict(defaults, data=str(mnist_dir), out=str(out), quiet=True, download=False)
    settings.update(kw)
    return train.train(**settings)


def resume_run(mnist_dir, checkpoint):
    """train.train(resume=checkpoint) on the MNIST folder, quietly, never downloading."""
    return train.train(resume=str(checkpoint), quiet=True, data=str(mnist_dir), download=False)


class StopAt:
    """A watcher that interrupts training after the batch (epoch, batch), like Ctrl-C."""

    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch(self, info):
        if (info["epoch"], info["batch"]) == self.at:
            raise Interrupted()


def train_env(base=None, **extra):
    """The environment for a subprocess: `base` (default: this one's) with PYTHONPATH set to this
    checkout, and `extra`."""
    return dict(os.environ if base is None else base, PYTHONPATH=str(ROOT), **extra)


def run_train(args, cwd, env=None, **run):
    """`python -m tinynet.train ARGS` run in `cwd` to the end: its CompletedProcess, output as
    text."""
    return subprocess.run(
        COMMAND + list(args),
        capture_output=True,
        text=True,
        env=train_env() if env is None else env,
        cwd=str(cwd),
        **run,
    )
