import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example time limit: a loaded machine (CI, PyPy warming up) must not turn a slow
# example into a failure. Tests that need fewer examples say so themselves.
settings.register_profile("tinynet", deadline=None)
settings.load_profile("tinynet")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

NO_DATA_REASON = (
    "MNIST not found: set TINYNET_DATA to a folder holding the four MNIST .gz files "
    "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz), or run 'python -m tinynet.train' once online to download them"
)


@pytest.fixture(scope="session")
def mnist_dir():
    """The folder named by $TINYNET_DATA, or skip the test saying how to get the data."""
    d = os.environ.get("TINYNET_DATA")
    if not d or not all((Path(d) / f).exists() for f in MNIST_FILES):
        pytest.skip(NO_DATA_REASON)
    return Path(d)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for the browser tests of one file (clients.chromium: the system's;
    the test skips, saying why, where it cannot run)."""
    import clients

    with clients.chromium() as b:
        yield b
