#!/usr/bin/env python3
"""Host side of the network guest cases (tests/guest/cases/linux-net-*.sh).

    net_case.py user MODEL[/r] [MODEL[/r]...] -- SOFTVM ARGS...
    net_case.py socket MODEL_A MODEL_B -- SOFTVM ARGS...

user: serves /data (1 MiB, gen_data below: the same bytes the guest's
nettest.sh makes) over HTTP on 127.0.0.1, boots ONE guest with one card per
MODEL, each on its own -netdev user with a hostfwd from a free host port to
the guest's port 80 ("/r": restrict=on), and checks for card i, in order:
DHCP gave 10.0.2.15; the guest's download of /data has the host's md5 (or,
restricted, failed); once the guest's httpd is up, /data fetched from the
host through that card's hostfwd has the same md5; then /cgi-bin/done lets
the guest go on to the next card.

socket: boots two guests whose cards (MODEL_A, MODEL_B) are joined by
-netdev socket (a listens on a free port, b connects): b downloads /data from
a's httpd, and its md5 must be the host's.

Either way every guest must power off by itself (exit status 0) within the
time limit. Prints PASS or FAIL lines; exit status 0 or 1.
"""
import hashlib
import http.server
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

TIMEOUT = float(os.environ.get("NET_CASE_TIMEOUT", "1200"))
MODELS = {"e1000": "e1000", "ne2k_pci": "ne2k_pci", "virtio-net": "virtio-net-pci"}


def gen_data():
    text = "".join("%07d softvm\n" % (i * 7919 % 1000003) for i in range(1, 150001))
    return text.encode()[: 1 << 20]


DATA = gen_data()
WANT = hashlib.md5(DATA).hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/data":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(DATA)))
        self.end_headers()
        self.wfile.write(DATA)

    def log_message(self, *args):
        pass


def start_server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


class Guest:
    """One softvm: its console collected by a thread, MARKs parsed."""

    def __init__(self, name, cmd):
        self.name, self.cmd = name, cmd
        self.out = b""
        self.lock = threading.Lock()
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            chunk = os.read(self.p.stdout.fileno(), 4096)
            if not chunk:
                break
            with self.lock:
                self.out += chunk

    def text(self):
        with self.lock:
            return self.out.decode("utf-8", "replace")

    def marks(self):
        m = {}
        for line in self.text().splitlines():
            f = line.split()
            if len(f) >= 3 and f[0] == "MARK":
                m[f[1]] = f[3] if len(f) > 3 else ""
        return m

    def wait_mark(self, name, deadline):
        while time.time() < deadline:
            if name in self.marks():
                return True
            if self.p.poll() is not None:
                time.sleep(0.5)        # the reader thread may still hold the tail
                return name in self.marks()
            time.sleep(0.5)
        return False

    def tail(self):
        return "\n".join(self.text().splitlines()[-40:])


def fetch(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as r:
        return r.read()


def fail(guests, why):
    for g in guests:
        if g.p.poll() is None:
            g.p.kill()
        print(f"--- console of {g.name} (last 40 lines):\n{g.tail()}")
        if os.environ.get("NET_CASE_LOG"):
            with open(os.environ["NET_CASE_LOG"] + "." + g.name.split()[-1].strip("()"), "w") as f:
                f.write(g.text())
    print(f"FAIL: {why}")
    sys.exit(1)


def finish(guests, deadline):
    for g in guests:
        try:
            rc = g.p.wait(timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            fail(guests, f"{g.name} did not power off in time")
        if rc != 0:
            fail(guests, f"{g.name} exited with status {rc}")
        if "Kernel panic" in g.text() or "segfault" in g.text():
            fail(guests, f"{g.name}: kernel panic or segfault on the console")


def run_user(specs, softvm):
    srv, port = start_server()
    nics, args = [], []
    for i, spec in enumerate(specs):
        model, _, flags = spec.partition("/")
        mac = "52:54:00:00:00:%02x" % (i + 1)
        hport = free_port()
        nics.append((model, mac, flags, hport))
        args += ["-nic", f"user,model={MODELS[model]},mac={mac},"
                 f"hostfwd=tcp:127.0.0.1:{hport}-:80" + (",restrict=on" if "r" in flags else "")]
    append = (f" softvm.net=user softvm.port={port} softvm.nics="
              + ",".join(f"{mac}/{flags or 'n'}" for _, mac, flags, _ in nics))
    cmd = softvm[:]
    cmd[cmd.index("-append") + 1] += append
    g = Guest("guest", cmd + args)
    deadline = time.time() + TIMEOUT
    for i, (model, mac, flags, hport) in enumerate(nics):
        what = f"card {i} ({model}{', restrict=on' if 'r' in flags else ''})"
        if not g.wait_mark(f"httpd-up-{i}", deadline):
            fail([g], f"{what}: no MARK httpd-up-{i}")
        m = g.marks()
        if m.get(f"dhcp-{i}") != "10.0.2.15":
            fail([g], f"{what}: DHCP lease {m.get(f'dhcp-{i}')!r}, want 10.0.2.15")
        if "r" in flags:
            if f"blocked-{i}" not in m:
                fail([g], f"{what}: the guest reached the host's HTTP server despite restrict=on")
        elif m.get(f"http-{i}") != WANT:
            fail([g], f"{what}: guest download md5 {m.get(f'http-{i}')}, want {WANT}")
        try:
            got = hashlib.md5(fetch(hport, "/data")).hexdigest()
            fetch(hport, "/cgi-bin/done")
        except OSError as e:
            fail([g], f"{what}: hostfwd fetch failed: {e}")
        if got != WANT:
            fail([g], f"{what}: hostfwd download md5 {got}, want {WANT}")
        if not g.wait_mark(f"hostfwd-{i}", deadline):
            fail([g], f"{what}: no MARK hostfwd-{i}")
        print(f"PASS: {what}: DHCP 10.0.2.15, "
              + ("guest->host blocked" if "r" in flags else f"guest->host md5 {WANT}")
              + f", host->guest (hostfwd) md5 {got}")
    finish([g], deadline)
    srv.shutdown()


def run_socket(model_a, model_b, softvm):
    port = free_port()
    def cmd(model, role, mac, net):
        c = softvm[:]
        c[c.index("-append") + 1] += f" softvm.net=socket-{role}"
        return c + ["-netdev", f"socket,id=n0,{net}",
                    "-device", f"{MODELS[model]},netdev=n0,mac={mac}"]
    a = Guest(f"guest a ({model_a})", cmd(model_a, "a", "52:54:00:00:01:01", f"listen=127.0.0.1:{port}"))
    for _ in range(30):            # b connects once a listens
        time.sleep(1)
        b = Guest(f"guest b ({model_b})",
                  cmd(model_b, "b", "52:54:00:00:01:02", f"connect=127.0.0.1:{port}"))
        time.sleep(1)
        if b.p.poll() is None:
            break
    else:
        fail([a, b], "guest b could not connect to guest a")
    deadline = time.time() + TIMEOUT
    if not b.wait_mark("peer", deadline):
        fail([a, b], "guest b printed no MARK peer")
    if b.marks()["peer"] != WANT:
        fail([a, b], f"guest b downloaded md5 {b.marks()['peer']} from a, want {WANT}")
    if not a.wait_mark("peer-done", deadline):
        fail([a, b], "guest a printed no MARK peer-done")
    finish([a, b], deadline)
    print(f"PASS: {model_b} guest downloaded 1 MiB from the {model_a} guest over -netdev socket, md5 {WANT}")


def main():
    sep = sys.argv.index("--")
    what, models, softvm = sys.argv[1], sys.argv[2:sep], sys.argv[sep + 1:]
    for m in models:
        if m.partition("/")[0] not in MODELS:
            sys.exit(f"unknown model {m}")
    if what == "user":
        run_user(models, softvm)
    else:
        run_socket(models[0], models[1], softvm)


if __name__ == "__main__":
    main()
