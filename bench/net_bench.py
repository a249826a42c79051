#!/usr/bin/env python3
"""TCP throughput through user-mode networking, softvm beside QEMU TCG.

    python3 bench/net_bench.py [--softvm build/softvm] [--qemu qemu-system-i386]
        [--models e1000 ne2k_pci virtio-net] [--accels interp jit] [--mb 8]

For each NIC model and engine, boots Debian's stock kernel with the test
initramfs (softvm.net=bench: tests/guests/nettest.sh) on -nic user with a
hostfwd to the guest's port 5001, then times
  host->guest: the host sends --mb MiB into the guest's `nc -l` through the
               hostfwd (from connect to the guest closing the connection);
  guest->host: the guest's `dd | nc 10.0.2.2 PORT` sends --mb MiB to a
               listener here (from accept to end of stream),
and prints MiB/s per engine and softvm's throughput over QEMU's (a ratio
above 1: softvm is faster). QEMU runs the same kernel, initramfs and
-nic user,model=... (its slirp is the same libslirp). Engines run one after
the other. A measurement, not a test; on a busy host compare the ratios of
one run only.
"""
import argparse
import os
import socket
import subprocess
import sys
import threading
import time

MODELS = {"e1000": "e1000", "ne2k_pci": "ne2k_pci", "virtio-net": "virtio-net-pci"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Console:
    def __init__(self, p):
        self.p, self.out, self.lock = p, b"", threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            c = os.read(self.p.stdout.fileno(), 4096)
            if not c:
                return
            with self.lock:
                self.out += c

    def wait(self, text, deadline):
        while time.time() < deadline:
            with self.lock:
                if text.encode() in self.out:
                    return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.1)
        return False


def run_one(cmd, mb, timeout):
    """Boot, measure both directions; (h2g MiB/s, g2h MiB/s) or None."""
    gport, hport = free_port(), free_port()
    listener = socket.socket()
    listener.bind(("127.0.0.1", gport))
    listener.listen(1)
    full = cmd(gport, hport, mb)
    p = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    con = Console(p)
    deadline = time.time() + timeout
    result = None
    try:
        if not con.wait("MARK bench-ready", deadline):
            return None
        data = b"\0" * (1 << 20)
        # slirp accepts at once and resets the connection if the guest's
        # nc is not listening yet: start again (nothing reached the guest)
        for attempt in range(20):
            try:
                s = socket.create_connection(("127.0.0.1", hport), timeout=timeout)
                t0 = time.time()
                for _ in range(mb):
                    s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                while s.recv(65536):
                    pass
                break
            except ConnectionResetError:
                s.close()
                time.sleep(0.5)
        h2g = mb / (time.time() - t0)
        s.close()
        listener.settimeout(max(1, deadline - time.time()))
        c, _ = listener.accept()
        t0 = time.time()
        n = 0
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            n += len(b)
        g2h = n / (1 << 20) / (time.time() - t0)
        c.close()
        if n != mb << 20:
            print(f"  (guest->host: got {n} bytes, want {mb << 20})", file=sys.stderr)
            return None
        result = (h2g, g2h)
    except OSError as e:
        print(f"  ({e})", file=sys.stderr)
    finally:
        p.kill()
        p.wait()
        listener.close()
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--softvm", default="build/softvm")
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--cache", default=os.environ.get("SOFTVM_CACHE",
                                                      os.path.expanduser("~/.cache/softvm")))
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--accels", nargs="+", default=["interp", "jit"])
    ap.add_argument("--mb", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args()
    kernel, initrd = f"{a.cache}/vmlinuz", f"{a.cache}/test-initramfs.cpio.gz"

    def command(binary, accel):
        def build(gport, hport, mb, model):
            c = [binary] + (["-accel", accel] if accel else ["-accel", "tcg"])
            return c + ["-m", "256", "-kernel", kernel, "-initrd", initrd, "-append",
                        f"console=ttyS0 quiet softvm.net=bench softvm.port={gport} softvm.mb={mb}",
                        "-nic", f"user,model={MODELS[model]},hostfwd=tcp:127.0.0.1:{hport}-:5001",
                        "-nographic", "-no-reboot"]
        return build

    engines = [(f"softvm-{x}", command(a.softvm, x)) for x in a.accels]
    engines.append(("qemu-tcg", command(a.qemu, None)))
    print(f"load average at start: {os.getloadavg()}")
    print(f"{'model':<11} {'engine':<14} {'host->guest MiB/s':>18} {'guest->host MiB/s':>18}")
    for model in a.models:
        res = {}
        for name, build in engines:
            r = run_one(lambda g, h, mb: build(g, h, mb, model), a.mb, a.timeout)
            res[name] = r
            cells = ("n/a", "n/a") if r is None else (f"{r[0]:.2f}", f"{r[1]:.2f}")
            print(f"{model:<11} {name:<14} {cells[0]:>18} {cells[1]:>18}", flush=True)
        q = res.get("qemu-tcg")
        for name, r in res.items():
            if name == "qemu-tcg" or r is None or q is None:
                continue
            print(f"{model:<11} {name + '/qemu':<14} {r[0] / q[0]:>18.2f} {r[1] / q[1]:>18.2f}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
