"""Writing files so that nothing is ever half-written."""

import contextlib
import os
import re
import sys
import time
from pathlib import Path

TMP_SUFFIX = ".tinynet-tmp"
# A temporary file of ours is left over from a killed writer when that writer's process is gone,
# or (where we cannot ask, or its number was reused) when nobody has written to it for this long.
STALE_SECONDS = 60


def write_atomic(path, data):
    """Write `data` to a temporary file beside `path`, then rename it into place.

    `data` is bytes, or an iterable of bytes objects written one after the other (to stream
    something big without holding it all). The temporary file is named
    `.NAME.<pid>-<random>.tinynet-tmp`. Ctrl-C or an exception while writing (even one raised
    by the iterable) removes it and leaves the old file (if any) untouched. A process killed
    outright (kill -9, power cut) cannot clean up: its temporary file stays until the next
    write to the same path, which removes it (see remove_stale_temporaries). The new file gets
    the usual permissions (0666 less the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    chunks = [data] if isinstance(data, (bytes, bytearray, memoryview)) else data
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid():d}-{os.urandom(4).hex()}{TMP_SUFFIX}")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(str(tmp), flags, 0o666)  # the umask applies, as for any new file
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(str(tmp), str(path))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(str(tmp))
        raise


def temporary_names(path):
    """A pattern matching the temporary files write_atomic makes for `path`: the group `pid`
    is the number of the process that made one. Older tinynets downloaded MNIST files to
    `.NAME.<pid>.<random>.part`; those match too."""
    name = re.escape(Path(path).name)
    suffix = re.escape(TMP_SUFFIX)
    return re.compile(rf"\.{name}\.(?P<pid>[0-9]+)(-[0-9a-f]+{suffix}|\.[0-9a-f]+\.part)\Z")


def remove_stale_temporaries(path, now=None):
    """Delete the temporary files beside `path` left by writers that were killed outright.

    Only files named as write_atomic names them for this very path are considered, and of those
    only the ones whose writer process is gone, or that nobody has written to for STALE_SECONDS:
    another process writing the same path at the same time is not disturbed. Returns the paths
    removed. Failures (a folder we cannot list, a file already gone) are ignored.
    """
    path = Path(path)
    pattern = temporary_names(path)
    now = time.time() if now is None else now
    removed = []
    try:
        names = os.listdir(str(path.parent))
    except OSError:
        return removed
    for name in names:
        match = pattern.match(name)
        if not match:
            continue
        candidate = path.parent / name
        try:
            idle = now - os.lstat(str(candidate)).st_mtime
            if _process_gone(int(match.group("pid"))) or idle > STALE_SECONDS:
                os.unlink(str(candidate))
                removed.append(candidate)
        except OSError:
            pass
    return removed


def _process_gone(pid):
    """True if no process numbered `pid` runs on this machine (False if we cannot tell)."""
    if pid == os.getpid():
        return False  # ours: perhaps another thread is writing it
    if sys.platform.startswith("win") or pid <= 0:
        return False  # os.kill(pid, 0) would end the process on Windows
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it exists, under another user
        return False
    return False
