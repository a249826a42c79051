#!/usr/bin/env python3
"""qmp_client.py - a small QMP client (Python's json over a UNIX or TCP
socket), written for softvm's tests; it speaks to QEMU the same way.

    python3 tests/guest/qmp_client.py SOCKET COMMAND [JSON-ARGS]
        negotiate, run one command, print the reply (SOCKET: a path or
        HOST:PORT)
    python3 tests/guest/qmp_client.py SOCKET --stop-cont [SECONDS]
        stop and continue the VM again and again (pauses of SECONDS, default
        0.2) until the VM goes away; prints how many pauses it made

Used by tests/guest/test_qmp.py and the qmp-* guest cases.
"""
import json
import os
import socket
import sys
import time


class QMPError(Exception):
    pass


class QMP:
    """One QMP connection. Events that arrive are kept in self.events."""

    def __init__(self, address, timeout=30.0, connect_wait=30.0):
        deadline = time.monotonic() + connect_wait
        while True:
            try:
                if isinstance(address, tuple):
                    self.sock = socket.create_connection(address, timeout=timeout)
                else:
                    self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    self.sock.settimeout(timeout)
                    self.sock.connect(address)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.buf = b""
        self.events = []
        self.greeting = self.read()

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def read(self):
        """The next message (a dict); raises EOFError when the peer closes."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def reply(self):
        """The next reply, keeping any events that come first."""
        while True:
            msg = self.read()
            if "event" in msg:
                self.events.append(msg)
                continue
            return msg

    def request(self, command, arguments=None, id=None):
        req = {"execute": command}
        if arguments is not None:
            req["arguments"] = arguments
        if id is not None:
            req["id"] = id
        self.send_raw(json.dumps(req) + "\n")
        return self.reply()

    def cmd(self, command, arguments=None):
        """Run a command; its return value, or QMPError."""
        r = self.request(command, arguments)
        if "error" in r:
            raise QMPError("%s: %s: %s" % (command, r["error"]["class"], r["error"]["desc"]))
        return r["return"]

    def negotiate(self):
        return self.cmd("qmp_capabilities")

    def wait_event(self, name, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            if time.monotonic() > deadline:
                raise TimeoutError("no %s event" % name)
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            self.events.append(self.read())


def parse_address(text):
    if os.path.sep in text or ":" not in text:
        return text
    host, port = text.rsplit(":", 1)
    return (host or "127.0.0.1", int(port))


def stop_cont(address, pause):
    """Stop and continue until the VM exits; returns the number of pauses."""
    try:
        q = QMP(address, connect_wait=60.0)
        q.negotiate()
    except (OSError, EOFError):
        return 0
    pauses = 0
    try:
        while True:
            q.cmd("stop")
            pauses += 1
            status = q.cmd("query-status")
            if status["running"] or status["status"] != "paused":
                raise QMPError("after stop: %r" % status)
            time.sleep(pause)
            q.cmd("cont")
            time.sleep(pause)
    except (OSError, EOFError):
        pass
    return pauses


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    address = parse_address(argv[1])
    if argv[2] == "--stop-cont":
        pause = float(argv[3]) if len(argv) > 3 else 0.2
        print("qmp_client: %d stop/cont pauses" % stop_cont(address, pause))
        return 0
    q = QMP(address)
    q.negotiate()
    args = json.loads(argv[3]) if len(argv) > 3 else None
    print(json.dumps(q.request(argv[2], args)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
