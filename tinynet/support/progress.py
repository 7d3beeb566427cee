"""A one-line progress bar: examples done, rate, time left, running cost.

On a terminal the line is redrawn in place (at most ten times a second); when the output is a
file or a pipe it prints a plain line every 10% instead, so logs stay readable.
"""

import sys
import time


def format_seconds(s):
    s = int(round(s))
    return (
        f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"
        if s >= 3600
        else f"{s // 60:d}:{s % 60:02d}"
    )


class Progress:
    def __init__(self, total, label="", stream=None, quiet=False, width=24):
        self.total, self.label, self.width = total, label, width
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.time()
        self.first_done = None
        self.last_draw = 0.0
        self.next_step = 0.1
        self.done, self.cost = 0, 0.0

    def line(self):
        elapsed = time.time() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        filled = int(self.width * self.done / max(1, self.total))
        bar = "#" * filled + "." * (self.width - filled)
        cost = "" if self.cost is None else f"  cost {self.cost:.4f}"
        return (
            f"{self.label} [{bar}] {self.done:d}/{self.total:d}  {rate:.0f} ex/s"
            f"  ETA {format_seconds(left)}{cost}"
        )

    def update(self, done, cost=None):
        """Show `done` of the total (and the running cost, when there is one)."""
        self.done, self.cost = done, cost
        if self.quiet:
            return
        now = time.time()
        if self.tty:
            if now - self.last_draw >= 0.1 or done >= self.total:
                self.stream.write("\r" + self.line() + "\033[K")
                self.stream.flush()
                self.last_draw = now
        elif done >= self.next_step * self.total and done < self.total:
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            while self.next_step * self.total <= done:
                self.next_step += 0.1

    def close(self):
        if self.quiet:
            return
        if self.tty:
            self.stream.write("\r" + self.line() + "\033[K\n")
        self.stream.flush()
