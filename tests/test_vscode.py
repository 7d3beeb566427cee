"""The VS Code recipe in docs/learning.md works as written: its launch.json configurations, run
through debugpy's adapter as VS Code runs them, stop at a breakpoint clicked in the gutter of
tinynet/network.py (BP1), and the Watch expression the docs name shows backprop's number.

This test plays VS Code's part of the Debug Adapter Protocol: JSON messages with a
Content-Length header over the adapter's stdin and stdout; it starts the program itself when the
adapter asks it to (runInTerminal, for "console": "integratedTerminal").
"""

import importlib.util
import json
import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tinynet import explain, network

ROOT = Path(__file__).resolve().parent.parent
LEARNING = ROOT / "docs" / "learning.md"

# (found, not imported: with debugpy loaded, train.debugger() would say VS Code is debugging us)
if importlib.util.find_spec("debugpy") is None:
    pytest.skip("debugpy runs VS Code's recipe: pip install -e '.[test]'", allow_module_level=True)


def launch_configurations():
    """The configurations of the launch.json in docs/learning.md, as VS Code reads them."""
    block = re.search(r"```json\n(.*?)```", LEARNING.read_text("utf-8"), re.S)[1]
    return json.loads(block.replace("${workspaceFolder}", str(ROOT)))["configurations"]


def line_of(path, mark):
    """The number of the line of `path` that holds `mark`."""
    lines = path.read_text("utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if mark in text)


class Adapter:
    """debugpy's adapter (python -m debugpy.adapter), spoken to as VS Code speaks to it."""

    def __init__(self, output):
        self.output = output  # an open file: what the program prints, as the terminal shows it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "debugpy.adapter"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.seq, self.programs, self.messages = 0, [], queue.Queue()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        out = self.process.stdout
        while True:
            headers = {}
            line = out.readline()
            while line.strip():
                name, value = line.decode("ascii").split(":", 1)
                headers[name.strip().lower()] = value.strip()
                line = out.readline()
            if not line:
                self.messages.put(None)
                return
            self.messages.put(json.loads(out.read(int(headers["content-length"]))))

    def send(self, message):
        self.seq += 1
        data = json.dumps(dict(message, seq=self.seq)).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        self.process.stdin.flush()

    def request(self, command, **arguments):
        self.send({"type": "request", "command": command, "arguments": arguments})
        return self.until(lambda m: m.get("type") == "response" and m["command"] == command)

    def until(self, wanted, timeout=120):
        """The next message that is `wanted`, answering the adapter's runInTerminal on the way."""
        while True:
            m = self.messages.get(timeout=timeout)
            assert m is not None, "the adapter ended"
            if m.get("type") == "request" and m["command"] == "runInTerminal":
                a = m["arguments"]
                env = dict(os.environ, **{k: v for k, v in a.get("env", {}).items() if v})
                program = subprocess.Popen(
                    a["args"], cwd=a["cwd"], env=env, stdout=self.output, stderr=subprocess.STDOUT
                )
                self.programs.append(program)
                self.send({"type": "response", "request_seq": m["seq"], "success": True,
                           "command": "runInTerminal",
                           "body": {"processId": program.pid}})  # fmt: skip
            elif wanted(m):
                return m

    def top_frame(self, stopped):
        trace = self.request("stackTrace", threadId=stopped["body"]["threadId"])
        return trace["body"]["stackFrames"][0]

    def close(self):
        for p in [*self.programs, self.process]:
            p.kill()
            p.wait(30)

    def terminal(self):
        """What the program has printed so far."""
        self.output.flush()
        return Path(self.output.name).read_text("utf-8")


@pytest.fixture
def adapter(tmp_path):
    with open(tmp_path / "terminal.txt", "w+", encoding="utf-8") as terminal:
        a = Adapter(terminal)
        try:
            yield a
        finally:
            a.close()


def start(adapter, config, breakpoints):
    """Launch `config` with breakpoints {file: [line, ...]}, as F5 does; the first stop."""
    adapter.request("initialize", clientID="vscode", adapterID="debugpy", pathFormat="path",
                    linesStartAt1=True, columnsStartAt1=True,
                    supportsRunInTerminalRequest=True)  # fmt: skip
    adapter.send({"type": "request", "command": "launch", "arguments": config})
    adapter.until(lambda m: m.get("event") == "initialized")
    for path, lines in breakpoints.items():
        adapter.request("setBreakpoints", source={"path": str(path)},
                        breakpoints=[{"line": n} for n in lines])  # fmt: skip
    adapter.request("configurationDone")
    return adapter.until(lambda m: m.get("event") == "stopped")


def test_the_docs_give_both_configurations():
    names = [c["name"] for c in launch_configurations()]
    assert names == [
        "tinynet: one training step (bundled digit)",
        "tinynet: one training step (MNIST test image 0)",
    ]


@pytest.mark.parametrize("which", [0, 1], ids=["bundled digit", "MNIST test image 0"])
def test_a_breakpoint_at_bp1_in_network_py_stops_there_and_watch_shows_delta(
    which, adapter, request
):
    config = dict(launch_configurations()[which], python=sys.executable)
    if "--mnist" in config["args"]:  # the docs' "/path/to/mnist": here, the real folder
        config["env"] = dict(config["env"], TINYNET_DATA=str(request.getfixturevalue("mnist_dir")))
        from tinynet import mnist

        images, labels = mnist.load("test", config["env"]["TINYNET_DATA"], download=False)
        x, digit = [p / 255.0 for p in images[0]], labels[0]
    else:
        x, digit = explain.example_digit()
    source = ROOT / "tinynet" / "network.py"
    bp1, update = line_of(source, "# (BP1)"), line_of(source, "m = len(batch)")  # sgd_step
    stopped = start(adapter, config, {source: [bp1, update]})
    assert stopped["body"]["reason"] == "breakpoint"
    frame = adapter.top_frame(stopped)
    assert (frame["name"], Path(frame["source"]["path"]), frame["line"]) == (
        "backprop",
        source,
        bp1,
    )

    adapter.request("next", threadId=stopped["body"]["threadId"])  # F10: BP1 has run
    frame = adapter.top_frame(adapter.until(lambda m: m.get("event") == "stopped"))
    watch = adapter.request("evaluate", expression="delta[-1][7]", frameId=frame["id"],
                            context="watch")  # fmt: skip
    net = network.new_network([784, 16, 16, 10], 1)  # the script's network (seed 1)
    delta = network.backprop(net, x, network.one_hot(digit), "cross-entropy")[2]
    assert digit == 7 and watch["body"]["result"] == repr(delta[-1][7])

    # F5 on to stage 7's sgd_step. Stage 6 times backprop with VS Code's tracing paused by
    # debugpy's switch: its breakpoint at BP1 does not stop the timing, and debugpy does not
    # warn (as it does when a program changes sys.settrace under it)
    adapter.request("continue", threadId=stopped["body"]["threadId"])
    frame = adapter.top_frame(adapter.until(lambda m: m.get("event") == "stopped"))
    assert (frame["name"], frame["line"]) == ("sgd_step", update)
    terminal = adapter.terminal()
    assert "the debugger's tracing is paused" in terminal[terminal.index("STAGE 6") :]
    assert "WARNING" not in terminal, terminal[-3000:]


def test_with_break_in_args_the_scripts_breakpoints_stop_in_vs_code(adapter):
    config = dict(launch_configurations()[0], python=sys.executable, args=["--break"])
    stopped = start(adapter, config, {})
    frame = adapter.top_frame(stopped)
    assert frame["name"] == "stage_1_example"
    assert Path(frame["source"]["path"]) == ROOT / "examples" / "step_through.py"
