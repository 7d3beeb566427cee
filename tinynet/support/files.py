"""Writing files so that nothing is ever half-written."""

import os
import tempfile
from pathlib import Path


def write_atomic(path, data):
    """Write `data` (bytes) to a temporary file beside `path`, then rename it into place.

    A crash or Ctrl-C while writing leaves the old file (if any) untouched, and no temporary
    file behind. The new file gets the usual permissions (0666 less the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private (0600)
        os.replace(tmp, str(path))
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
