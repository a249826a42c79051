#!/usr/bin/env python3
"""test_qmp.py - softvm's QMP monitor over real sockets, compared with QEMU.

    python3 tests/guest/test_qmp.py --softvm BUILD/softvm --kernel KERNEL [--qemu BIN]

KERNEL is tests/asm/multiboot_actions.bin, run with the word "echo" (it
polls COM1 forever, so the VM keeps running). Every request of the session
below goes to softvm and, when --qemu names a qemu-system-i386 (Debian's
qemu-system-x86), to QEMU running the same kernel; the replies must agree:
errors in class and text, returns in shape (the same keys with values of the
same types), memory dumps and disassembly byte for byte. Then softvm alone:
TCP, two sessions seeing the same events, 1,000 commands, hostile input,
quit. Prints one line per check and `qmp: passed=N failed=N skipped=N`;
exit status 1 if anything failed.
"""
import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp_client import QMP  # noqa: E402

passed = failed = skipped = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   %s" % name)
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))
    return ok


def shape(v):
    """The type skeleton of a JSON value: dict keys kept, values by type."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return ["list"] + ([shape(v[0])] if v else [])
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    return type(v).__name__


def shapes_agree(a, b):
    """Same skeleton; an empty list matches any list."""
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(shapes_agree(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == 1 or len(b) == 1 or shapes_agree(a[1], b[1])
    return a == b


def start(argv, sock_path):
    env = None
    if "-sandbox" in argv:
        # An ASan build's LeakSanitizer stops the process's threads with
        # ptrace at exit, which the seccomp filter forbids ("LeakSanitizer
        # has encountered a fatal error", status 1). The leak check is
        # turned off for the sandboxed run only; every other run keeps it.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    q = QMP(sock_path)
    return proc, q


def entry_point(kernel):
    with open(kernel, "rb") as f:
        return struct.unpack_from("<I", f.read(64), 24)[0]     # ELF32 e_entry


def session(q, entry):
    """The shared session: (name, raw request, how to compare)."""
    hmp = lambda line: json.dumps({"execute": "human-monitor-command",    # noqa: E731
                                   "arguments": {"command-line": line}})
    steps = [
        ("before negotiation", '{"execute": "query-status"}', "exact"),
        ("caps with an unknown capability",
         '{"execute": "qmp_capabilities", "arguments": {"enable": ["bogus"]}}', "exact"),
        ("caps with a string", '{"execute": "qmp_capabilities", "arguments": {"enable": "oob"}}',
         "exact"),
        ("negotiation", '{"execute": "qmp_capabilities", "id": 1}', "exact"),
        ("negotiation again", '{"execute": "qmp_capabilities"}', "exact"),
        ("query-status", '{"execute": "query-status"}', "exact"),
        ("query-name", '{"execute": "query-name", "id": "n"}', "exact"),
        ("query-version", '{"execute": "query-version"}', "shape"),
        ("query-cpus-fast", '{"execute": "query-cpus-fast"}', "shape"),
        ("query-commands", '{"execute": "query-commands"}', "commands"),
        ("unknown command", '{"execute": "no-such-command", "id": [1, {"a": null}]}', "exact"),
        ("unexpected argument", '{"execute": "stop", "arguments": {"x": 1}}', "exact"),
        ("missing argument", '{"execute": "human-monitor-command"}', "exact"),
        ("argument of the wrong type",
         '{"execute": "human-monitor-command", "arguments": {"command-line": 1}}', "exact"),
        ("not an object", '[1, 2]', "exact"),
        ("a bare string", '"str"', "exact"),
        ("execute not a string", '{"execute": 1}', "exact"),
        ("arguments not an object", '{"execute": "stop", "arguments": []}', "exact"),
        ("unexpected member with id", '{"foo": 1, "id": 3}', "exact"),
        ("no execute", '{"arguments": {}}', "exact"),
        ("malformed JSON", '{"execute": ]', "class"),
        ("bad keyword", 'garbage\n', "class"),
        ("hmp info status", hmp("info status"), "exact"),
        ("hmp info tlb unpaged", hmp("info tlb"), "exact"),
        ("hmp x/8xb the kernel's ELF header", hmp("x/8xb 0x100000"), "exact"),
        ("hmp xp/4xw", hmp("xp/4xw 0x100000"), "exact"),
        ("hmp xp/3dh", hmp("xp/3dh 0x100010"), "exact"),
        ("hmp xp/2ub", hmp("xp/2ub 0x100004"), "exact"),
        ("hmp x/4i at the entry point", hmp("x/4i 0x%x" % entry), "exact"),
        ("hmp x without an address", hmp("x/2i"), "exact"),
        ("hmp unknown command", hmp("bogus"), "exact"),
        ("hmp empty line", hmp(""), "exact"),
        ("hmp info registers", hmp("info registers"), "registers"),
        ("stop", '{"execute": "stop", "id": 7}', "exact"),
        ("query-status paused", '{"execute": "query-status"}', "exact"),
        ("hmp info status paused", hmp("info status"), "exact"),
        ("stop again", '{"execute": "stop"}', "exact"),
        ("cont", '{"execute": "cont", "id": "x"}', "exact"),
        ("system_reset", '{"execute": "system_reset"}', "exact"),
        ("system_powerdown", '{"execute": "system_powerdown"}', "exact"),
        ("query-status after all that", '{"execute": "query-status"}', "exact"),
    ]
    out = []
    for name, raw, how in steps:
        q.send_raw(raw if raw.endswith("\n") else raw + "\n")
        r = q.reply()
        out.append((name, how, r, list(q.events)))
        q.events.clear()
    return out


def events_shape(evs):
    return [(e["event"], e.get("data"), shape(e["timestamp"])) for e in evs]


def compare(ours, theirs):
    for (name, how, a, ea), (_, _, b, eb) in zip(ours, theirs):
        label = "same as QEMU: " + name
        if how == "exact":
            ok = a == b
        elif how == "class":
            ok = "error" in a and "error" in b and a["error"]["class"] == b["error"]["class"]
        elif how == "shape":
            ok = shapes_agree(shape(a), shape(b))
        elif how == "commands":
            mine = {c["name"] for c in a["return"]}
            qemus = {c["name"] for c in b["return"]}
            ok = shapes_agree(shape(a), shape(b)) and mine <= qemus
            if not ok:
                print("     names QEMU does not have: %s" % sorted(mine - qemus))
        elif how == "registers":
            # softvm prints QEMU's lines up to EFER (no FPU/SSE lines yet).
            def labels(text):
                return [ln.split("=")[0] for ln in text.split("\r\n") if "=" in ln]
            la, lb = labels(a["return"]), labels(b["return"])
            ok = la == lb[:len(la)] and "EFER" in la
        check(label, ok, "\n     softvm: %s\n     QEMU:   %s" % (json.dumps(a), json.dumps(b)))
        check("same events as QEMU: " + name, events_shape(ea) == events_shape(eb),
              "\n     softvm: %s\n     QEMU:   %s" % (ea, eb))


def run_softvm_session(args, tmp):
    sock = os.path.join(tmp, "softvm.sock")
    # -sandbox on: the whole session runs under the seccomp filter.
    argv = [args.softvm, "-sandbox", "on", "-m", "32", "-display", "none", "-serial", "null",
            "-name", "qmptest",
            "-kernel", args.kernel, "-append", "echo", "-qmp", "unix:%s,server=on,wait=off" % sock]
    proc, q = start(argv, sock)
    return proc, q, sock


def stop_cont_exact(args, tmp):
    """SeaBIOS (no disk: it boots, fails, retries on its timers) runs to
    instruction N with -snapshot-at, once untouched and once stopped and
    continued over QMP every 0.05 s; the two snapshots of the whole machine
    (CPU, RAM, devices, timers) and the two debug consoles (SeaBIOS's log) must
    be byte-identical."""
    n_insns = 100000000

    def run(tag, pause):
        snap = os.path.join(tmp, tag + ".snap")
        con = os.path.join(tmp, tag + ".con")
        sock = os.path.join(tmp, tag + ".sock")
        argv = [args.softvm, "-m", "32", "-display", "none", "-debugcon", "file:" + con,
                "-clock", "deterministic", "-rtc", "base=2026-01-01T00:00:00",
                "-snapshot-at", "%d,file=%s" % (n_insns, snap),
                "-qmp", "unix:%s,server=on,wait=off" % sock]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        q = QMP(sock)
        q.negotiate()
        pauses = 0
        deadline = time.monotonic() + 300
        while not os.path.exists(snap) and time.monotonic() < deadline:
            if pause:
                q.cmd("stop")
                pauses += 1
                time.sleep(0.05)
                q.cmd("cont")
            time.sleep(0.05)
        q.cmd("query-status")       # answered between slices: the save is complete
        q.cmd("stop")
        with open(snap, "rb") as f:
            state = f.read()
        with open(con, "rb") as f:
            console = f.read()
        q.cmd("quit")
        proc.wait(timeout=30)
        return state, console, pauses

    try:
        plain, plain_con, _ = run("plain", False)
        paused, paused_con, pauses = run("paused", True)
    except (OSError, EOFError) as e:
        check("stop/cont exactness runs", False, repr(e))
        return
    check("stop/cont: %d pauses before instruction %d" % (pauses, n_insns), pauses >= 3)
    check("stop/cont: the machine state at instruction %d is byte-identical" % n_insns,
          plain == paused and len(plain) > 0, "%d vs %d bytes" % (len(plain), len(paused)))
    check("stop/cont: the consoles are identical", plain_con == paused_con and
          b"SeaBIOS" in plain_con, (plain_con[:200], paused_con[:200]))


def human_monitor(args):
    """-monitor stdio from a pipe, and Ctrl-A c on a terminal."""
    base = [args.softvm, "-m", "32", "-display", "none", "-kernel", args.kernel, "-append", "echo"]
    lines = b"info status\nx/4xb 0x100000\nstop\ninfo status\nc\nbogus\nquit\n"
    r = subprocess.run(base + ["-serial", "null", "-monitor", "stdio"], input=lines,
                       capture_output=True, timeout=60)
    out = r.stdout.decode(errors="replace")
    want = ["(qemu) info status", "VM status: running",
            "(qemu) x/4xb 0x100000", "00100000: 0x7f 0x45 0x4c 0x46",     # the ELF magic
            "(qemu) stop", "(qemu) info status", "VM status: paused", "(qemu) c",
            "(qemu) bogus", "unknown command: 'bogus'", "(qemu) quit"]
    got = out.split("\r\n")[1:-1]
    check("-monitor stdio runs each line", r.returncode == 0 and got == want,
          "status %d: %r" % (r.returncode, got))

    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(args.softvm, base + ["-nographic"])
    buf = b""

    def expect(text, timeout=30.0):
        nonlocal buf
        deadline = time.monotonic() + timeout
        while text not in buf and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    buf += os.read(fd, 4096)
                except OSError:
                    break
        found = text in buf
        buf = buf[buf.find(text) + len(text):] if found else buf
        return found

    time.sleep(0.5)
    os.write(fd, b"\x01c")
    ok = expect(b"(qemu) ")
    os.write(fd, b"info status\r")
    ok = ok and expect(b"VM status: running") and expect(b"(qemu) ")
    # back to the guest: it echoes a line, then writes 11 to the exit port (status 23)
    os.write(fd, b"\x01c" + b"hello\n")
    ok = ok and expect(b"hello")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    check("Ctrl-A c switches to the monitor and back", ok and os.WIFEXITED(status) and
          os.WEXITSTATUS(status) == 23, "%r status %r" % (buf[-200:], status))


def main():
    global skipped
    ap = argparse.ArgumentParser()
    ap.add_argument("--softvm", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--qemu", default="")
    args = ap.parse_args()
    entry = entry_point(args.kernel)
    tmp = tempfile.mkdtemp(prefix="test-qmp-")

    proc, q, sock = run_softvm_session(args, tmp)
    g = q.greeting
    check("greeting", set(g) == {"QMP"} and set(g["QMP"]) == {"version", "capabilities"}
          and g["QMP"]["capabilities"] == [] and "softvm" in g["QMP"]["version"]["package"],
          json.dumps(g))
    ours = session(q, entry)
    for name, how, r, evs in ours:     # the replies that must hold whatever QEMU says
        if name == "stop":
            check("stop sends STOP", [e["event"] for e in evs] == ["STOP"], evs)
        if name == "cont":
            check("cont sends RESUME", [e["event"] for e in evs] == ["RESUME"], evs)
        if name == "system_reset":
            check("system_reset sends RESET", [(e["event"], e.get("data")) for e in evs] ==
                  [("RESET", {"guest": False, "reason": "host-qmp-system-reset"})], evs)
        if name == "system_powerdown":
            check("system_powerdown sends POWERDOWN", [e["event"] for e in evs] == ["POWERDOWN"],
                  evs)
        if name == "query-status after all that":
            check("running after cont", r == {"return": {"status": "running",
                                                         "singlestep": False, "running": True}}, r)
        check("answered: " + name, "return" in r or "error" in r, r)

    if args.qemu:
        qsock = os.path.join(tmp, "qemu.sock")
        qargv = [args.qemu, "-M", "pc", "-m", "32", "-display", "none", "-nodefaults",
                 "-serial", "null", "-name", "qmptest", "-kernel", args.kernel, "-append", "echo",
                 "-qmp", "unix:%s,server=on,wait=off" % qsock]
        qproc, qq = start(qargv, qsock)
        theirs = session(qq, entry)
        compare(ours, theirs)
        qq.send_raw('{"execute": "quit"}\n')
        qr = qq.reply()
        qshut = events_shape(qq.events)
        qproc.wait(timeout=30)
    else:
        skipped += 1
        print("skip comparison with QEMU (no --qemu)")

    # Two sessions see the same events; TCP works alongside UNIX.
    q2 = QMP(sock)
    q2.negotiate()
    q.cmd("stop")
    q2.wait_event("STOP")
    check("a second session sees the first one's STOP", True)
    q.cmd("cont")
    q2.wait_event("RESUME")
    q2.close()

    # 1,000 commands in a loop, alternating kinds, each answered in order.
    ok = True
    for i in range(1000):
        cmd = ("query-status", "query-name", "query-version", "query-cpus-fast")[i % 4]
        r = q.request(cmd, id=i)
        ok &= r.get("id") == i and "return" in r
    check("1,000 commands answered in order", ok)

    # Hostile input on another connection: garbage, a huge value, an
    # unterminated string, then a hang-up. The VM keeps answering.
    h = QMP(sock)
    h.send_raw(b"\x00\x01\x02 {\"execute\": \"qmp_capabilities\"}\n")
    rs = []
    while not rs or "error" in rs[-1]:
        rs.append(h.reply())
    check("control bytes are a parse error", len(rs) >= 2 and rs[-1] == {"return": {}} and
          all(r["error"]["class"] == "GenericError" for r in rs[:-1]), rs)
    h.send_raw(b"[" + b"1," * 600000 + b"1]\n")
    r = h.reply()
    check("an over-long value is refused", r.get("error", {}).get("class") == "GenericError", r)
    h.send_raw(b"[" * 5000 + b"]" * 5000 + b"\n")
    r = h.reply()
    check("deep nesting is refused", r.get("error", {}).get("class") == "GenericError", r)
    h.send_raw(b'{"execute": "stop", "arguments": {"x": "\xff\xfe')
    h.close()
    check("still answering after hostile clients", q.cmd("query-status")["status"] == "running")

    tport = None
    for port in range(45000, 45100):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            tport = port
            break
        except OSError:
            continue
        finally:
            s.close()

    # screendump: QEMU's default PPM, and PNG on request, of the same picture.
    ppm, png = os.path.join(tmp, "shot.ppm"), os.path.join(tmp, "shot.png")
    q.cmd("screendump", {"filename": ppm})
    q.cmd("screendump", {"filename": png, "format": "png"})
    with open(ppm, "rb") as f:
        data = f.read()
    head = data.split(b"\n", 3)
    w, h = (int(x) for x in head[1].split())
    check("screendump writes a P6 PPM", head[0] == b"P6" and head[2] == b"255" and
          len(head[3]) == w * h * 3, head[:3])
    with open(png, "rb") as f:
        data = f.read(24)
    check("screendump format=png writes a PNG of the same size",
          data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (w, h),
          data)
    r = q.request("screendump", {"filename": os.path.join(tmp, "no-such-dir", "x.ppm")})
    check("screendump to a bad path is a GenericError",
          r.get("error", {}).get("class") == "GenericError", r)

    q.events.clear()
    q.send_raw('{"execute": "quit"}\n')
    r = q.reply()
    check("quit answers", r == {"return": {}}, r)
    shut = [(e["event"], e.get("data")) for e in q.events]
    check("quit sends SHUTDOWN", shut == [("SHUTDOWN", {"guest": False, "reason": "host-qmp-quit"})],
          shut)
    if args.qemu:
        check("same quit reply and events as QEMU", qr == r and
              qshut == events_shape(q.events), (qr, qshut))
    rc = proc.wait(timeout=30)
    check("softvm exits 0 after quit", rc == 0, "status %d: %s" % (rc, proc.stderr.read()))
    check("the UNIX socket is removed", not os.path.exists(sock))

    # TCP, with wait=off, and -S: prelaunch until cont.
    if tport:
        argv = [args.softvm, "-m", "32", "-display", "none", "-serial", "null", "-S",
                "-kernel", args.kernel, "-append", "echo",
                "-qmp", "tcp:127.0.0.1:%d,server=on,wait=off" % tport]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        t = QMP(("127.0.0.1", tport))
        t.negotiate()
        st = t.cmd("query-status")
        check("tcp: -S starts in prelaunch", st == {"status": "prelaunch", "singlestep": False,
                                                   "running": False}, st)
        t.cmd("cont")
        st = t.cmd("query-status")
        check("tcp: running after cont", st["status"] == "running", st)
        t.cmd("quit")
        check("tcp: exits 0 after quit", proc.wait(timeout=30) == 0)
    else:
        skipped += 1
        print("skip tcp: no free port")

    human_monitor(args)
    stop_cont_exact(args, tmp)
    print("qmp: passed=%d failed=%d skipped=%d" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
