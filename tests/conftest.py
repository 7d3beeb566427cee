import os
import sys
from pathlib import Path

import pytest

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
    "(for example TINYNET_DATA=../shared/mnist), or run 'python -m tinynet.train' once online "
    "to download them"
)


@pytest.fixture(scope="session")
def mnist_dir():
    """The folder named by $TINYNET_DATA, or skip the test saying how to get the data."""
    d = os.environ.get("TINYNET_DATA")
    if not d or not all((Path(d) / f).exists() for f in MNIST_FILES):
        pytest.skip(NO_DATA_REASON)
    return Path(d)
