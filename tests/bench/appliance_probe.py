"""What the control-side benchmarks share: a free loopback port, /metrics read and summed,
files replaced atomically, and the command-line options they all take."""

import os
import socket
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port, path, timeout=2.0):
    """The body of GET path, or "" when the appliance did not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.read().decode()
    except Exception:
        return ""


def metric_sum(page, prefix):
    """The sum of every sample whose series starts with prefix, or None when there is none."""
    total = None
    for line in page.splitlines():
        if line.startswith(prefix):
            total = (total or 0.0) + float(line.rsplit(" ", 1)[1])
    return total


def write_atomically(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path + ".tmp", mode) as f:
        f.write(data)
    os.rename(path + ".tmp", path)


def add_appliance_options(parser):
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "ottscope"))
    parser.add_argument("--capture",
                        default=os.path.join(ROOT, "config", "demo", "tume-demo.pcap"))
