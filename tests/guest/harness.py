#!/usr/bin/env python3
"""Run a guest under softvm and check what it prints on the serial console.

    harness.py [options] -- COMMAND [ARG...]

COMMAND is normally `build/softvm ... -nographic`, whose stdout is the guest's
serial console. The harness runs it with a wall-clock time limit, reads the
console, optionally types into it (stdin) once a pattern has appeared, and
checks:

  * the expected MARK lines appear, in the given order. A MARK line is
        MARK <name> <uptime> [<value>]
    (see tests/guests/guest-lib.sh); other MARK lines in between are allowed;
  * a MARK expected with a value carries exactly that value (e.g. a checksum);
  * no --fail-on text appears;
  * the command exits with the expected status (default 0);
  * a command with `-accel jit` really ran on the JIT: the harness adds
    `-stats` and requires softvm's report to show translated blocks (at
    exit, or asked for with SIGUSR1 before a stop), so a silent fall-back
    to the interpreter cannot pass. --no-jit-check (or SOFTVM_JIT_CHECK=0,
    e.g. for a QEMU stand-in) turns that off.

On failure it prints the reason and the tail of the console (and of stderr),
and exits 1; on success it prints one PASS line with the MARK timings and
exits 0. Exit status 2 means the harness itself was used wrongly.

Examples:
    harness.py --timeout 600 --expect-file tests/guests/expected-marks \\
        -- build/softvm -kernel vmlinuz -initrd test-initramfs.cpio.gz \\
           -append console=ttyS0 -nographic
    harness.py --send '# ' 'echo hello; exit\\n' --expect-text hello -- ...
    harness.py --pty --send 'login:' '\\x01x' -- ...   (Ctrl-A x on a terminal)
"""

import argparse
import codecs
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

MARK_RE = re.compile(r"MARK\s+(\S+)(?:\s+(\S+))?(?:\s+(\S+))?")


class Expectation:
    """One expected MARK: a name and, optionally, the value it must carry."""

    def __init__(self, name, value=None):
        self.name = name
        self.value = value

    def __str__(self):
        return self.name if self.value is None else f"{self.name}={self.value}"


def parse_expect(text):
    name, sep, value = text.partition("=")
    if not name:
        raise argparse.ArgumentTypeError(f"bad --expect {text!r}: NAME[=VALUE]")
    return Expectation(name, value if sep else None)


def read_expect_file(path):
    """Lines of `NAME [VALUE]`; '#' starts a comment."""
    result = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if len(fields) > 2:
                raise ValueError(f"{path}: bad line {line.strip()!r}: NAME [VALUE]")
            result.append(Expectation(*fields))
    return result


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Run a guest command and check its console output.",
        epilog="Everything after -- is the command to run.",
    )
    p.add_argument("--timeout", type=float, default=600.0,
                   help="wall-clock limit in seconds (default 600)")
    p.add_argument("--expect", action="append", type=parse_expect, default=[],
                   metavar="NAME[=VALUE]",
                   help="expect 'MARK NAME ...' (with VALUE as its value), in order; repeatable")
    p.add_argument("--expect-file", action="append", default=[], metavar="FILE",
                   help="expected MARKs from FILE, one 'NAME [VALUE]' a line (after --expect ones)")
    p.add_argument("--expect-text", action="append", default=[], metavar="TEXT",
                   help="TEXT must appear somewhere on the console; repeatable")
    p.add_argument("--fail-on", action="append", default=[], metavar="TEXT",
                   help="fail at once if TEXT appears on the console; repeatable")
    p.add_argument("--send", action="append", nargs=2, default=[],
                   metavar=("PATTERN", "KEYS"),
                   help="once PATTERN (plain text) has appeared, type KEYS on stdin; "
                        "KEYS takes backslash escapes such as \\n and \\x03. "
                        "Sends happen in order, each waiting for its pattern after the previous one")
    p.add_argument("--pty", action="store_true",
                   help="give the command a pseudo-terminal as stdin, so what is typed is "
                        "handled as from a terminal (softvm's Ctrl-A escapes); the console "
                        "is still read from its stdout")
    p.add_argument("--exit-status", default="0", metavar="N|any",
                   help="expected exit status of the command (default 0)")
    p.add_argument("--stop-when-done", action="store_true",
                   help="stop the command once all expectations are met, "
                        "instead of waiting for it to exit (exit status not checked)")
    p.add_argument("--log", metavar="FILE", help="write the whole console output to FILE")
    p.add_argument("--raw-log", metavar="FILE",
                   help="write the command's stdout to FILE byte for byte (no decoding)")
    p.add_argument("--stderr-log", metavar="FILE", help="write the command's stderr to FILE")
    p.add_argument("--no-jit-check", action="store_true",
                   help="do not check that a command with -accel jit translated blocks")
    p.add_argument("--tail", type=int, default=40, metavar="N",
                   help="console lines shown on failure (default 40)")
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)

    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        p.error("no command given (put it after --)")
    if args.exit_status != "any":
        try:
            args.exit_status = int(args.exit_status)
        except ValueError:
            p.error(f"--exit-status wants a number or 'any', not {args.exit_status!r}")
    try:
        for path in args.expect_file:
            args.expect.extend(read_expect_file(path))
    except (OSError, ValueError) as e:
        p.error(str(e))
    args.send = [(pattern, codecs.decode(keys, "unicode_escape")) for pattern, keys in args.send]
    args.jit_check = (not args.no_jit_check and os.environ.get("SOFTVM_JIT_CHECK", "1") != "0"
                      and uses_jit(args.command))
    if args.jit_check and "-stats" not in args.command and "--stats" not in args.command:
        at = next(i for i, a in enumerate(args.command) if a in ("-accel", "--accel"))
        args.command = args.command[:at] + ["-stats"] + args.command[at:]
    return args


def uses_jit(command):
    """Whether a softvm command line asks for the JIT (-accel jit[,...])."""
    return any(a in ("-accel", "--accel") and b.split(",")[0] == "jit"
               for a, b in zip(command, command[1:]))


# softvm -stats: "  JIT   N blocks translated in ..." (or "JIT  off (-accel interp)")
JIT_STATS_RE = re.compile(r"^\s*JIT\s+(\d+) blocks translated", re.M)


def reader(stream, tag, q):
    """Forward chunks from a pipe to the queue; None marks end of file."""
    while True:
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            break
        q.put((tag, chunk))
    q.put((tag, None))


def stop(proc):
    """End the command and everything it started (it runs in its own group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            pass


class Run:
    """The state of one run: what was seen so far and what is still awaited."""

    def __init__(self, args, type_keys=None):
        self.args = args
        self.type_keys = type_keys   # writes bytes to the command's stdin
        self.console = ""        # all console text, '\r' removed
        self.stderr = ""
        self.partial = ""        # console text after the last newline
        self.next_mark = 0       # index into args.expect
        self.marks = []          # (name, uptime, wall seconds) of matched marks
        self.next_send = 0       # index into args.send
        self.send_from = 0       # console offset where the next pattern is sought
        self.failure = None
        self.start = time.monotonic()

    def done(self):
        return (self.next_mark == len(self.args.expect)
                and all(t in self.console for t in self.args.expect_text)
                and self.next_send == len(self.args.send))

    def on_line(self, line):
        m = MARK_RE.search(line)
        if not m or self.next_mark >= len(self.args.expect):
            return
        name, uptime, value = m.groups()
        want = self.args.expect[self.next_mark]
        if name != want.name:
            earlier = [str(e) for e in self.args.expect[self.next_mark + 1:] if e.name == name]
            if earlier:
                self.failure = (f"MARK {name} came before MARK {want.name} "
                                f"(expected order: {', '.join(str(e) for e in self.args.expect)})")
            return
        if want.value is not None and value != want.value:
            self.failure = f"MARK {name}: value {value!r}, expected {want.value!r}"
            return
        self.marks.append((name, uptime, time.monotonic() - self.start))
        self.next_mark += 1

    def on_console(self, text, proc):
        text = text.replace("\r", "")
        self.console += text
        for bad in self.args.fail_on:
            if bad in self.console:
                self.failure = f"console shows {bad!r}"
                return
        lines = (self.partial + text).split("\n")
        self.partial = lines.pop()
        for line in lines:
            self.on_line(line)
            if self.failure:
                return
        while self.next_send < len(self.args.send):
            pattern, keys = self.args.send[self.next_send]
            at = self.console.find(pattern, self.send_from)
            if at < 0:
                break
            self.send_from = at + len(pattern)
            self.next_send += 1
            try:
                self.type_keys(keys.encode())
            except (BrokenPipeError, OSError):
                self.failure = f"could not type {keys!r}: the command closed its stdin"
                return

    def waiting_for(self):
        if self.next_send < len(self.args.send):
            return f"console text {self.args.send[self.next_send][0]!r} (to type into)"
        if self.next_mark < len(self.args.expect):
            return f"MARK {self.args.expect[self.next_mark]}"
        missing = [t for t in self.args.expect_text if t not in self.console]
        if missing:
            return f"console text {missing[0]!r}"
        return "the command to exit"


def run(args):
    pty_master = pty_slave = None
    if args.pty:
        pty_master, pty_slave = os.openpty()
    try:
        proc = subprocess.Popen(args.command,
                                stdin=pty_slave if args.pty else subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as e:
        print(f"FAIL: cannot run {args.command[0]}: {e.strerror}")
        return 1
    finally:
        if pty_slave is not None:
            os.close(pty_slave)

    if args.pty:
        def type_keys(data):
            os.write(pty_master, data)
    else:
        def type_keys(data):
            proc.stdin.write(data)
            proc.stdin.flush()

    q = queue.Queue()
    for stream, tag in ((proc.stdout, "out"), (proc.stderr, "err")):
        threading.Thread(target=reader, args=(stream, tag, q), daemon=True).start()
    decoders = {tag: codecs.getincrementaldecoder("utf-8")(errors="replace")
                for tag in ("out", "err")}
    state = Run(args, type_keys)
    raw_out = bytearray()
    open_streams = 2
    deadline = state.start + args.timeout
    timed_out = stopped = False

    while open_streams and not state.failure:
        if args.stop_when_done and state.done():
            stopped = True
            break
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        try:
            tag, chunk = q.get(timeout=min(left, 0.5))
        except queue.Empty:
            continue
        if chunk is None:
            open_streams -= 1
            continue
        if tag == "out":
            raw_out += chunk
        text = decoders[tag].decode(chunk)
        if tag == "out":
            state.on_console(text, proc)
        else:
            state.stderr += text

    if stopped and args.jit_check and not JIT_STATS_RE.search(state.stderr):
        # Ask softvm for its -stats report before stopping it.
        try:
            os.kill(proc.pid, signal.SIGUSR1)
        except ProcessLookupError:
            pass
        until = time.monotonic() + 5
        while not JIT_STATS_RE.search(state.stderr) and time.monotonic() < until:
            try:
                tag, chunk = q.get(timeout=0.2)
            except queue.Empty:
                continue
            if chunk is not None and tag == "err":   # the console stays as it was at the stop
                state.stderr += decoders[tag].decode(chunk)
    if state.failure or timed_out or stopped:
        stop(proc)
        status = None
    else:
        try:
            status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
            stop(proc)
            status = None
    try:
        if pty_master is not None:
            os.close(pty_master)
        else:
            proc.stdin.close()
    except OSError:
        pass
    elapsed = time.monotonic() - state.start

    if args.log:
        with open(args.log, "w", encoding="utf-8") as f:
            f.write(state.console)
    if args.raw_log:
        with open(args.raw_log, "wb") as f:
            f.write(raw_out)
    if args.stderr_log:
        with open(args.stderr_log, "w", encoding="utf-8") as f:
            f.write(state.stderr)

    if state.failure is None:
        if timed_out:
            state.failure = f"timed out after {args.timeout:g} s waiting for {state.waiting_for()}"
        elif not state.done():
            how = f"exited with status {status}" if status is not None else "stopped"
            state.failure = f"command {how} before {state.waiting_for()}"
        elif not stopped and args.exit_status != "any" and status != args.exit_status:
            state.failure = f"exit status {status}, expected {args.exit_status}"
        elif args.jit_check:
            m = JIT_STATS_RE.search(state.stderr)
            if not m or int(m.group(1)) == 0:
                state.failure = ("-accel jit: softvm's -stats report shows "
                                 + ("no translated block" if m else "no JIT")
                                 + " (a silent fall-back to the interpreter?)")

    if state.failure:
        lines = state.console.splitlines()
        print(f"--- console, last {min(args.tail, len(lines))} of {len(lines)} lines ---")
        for line in lines[-args.tail:]:
            print(line)
        if state.stderr.strip():
            print("--- stderr, last lines ---")
            for line in state.stderr.splitlines()[-args.tail:]:
                print(line)
        print("---")
        print(f"command: {' '.join(args.command)}")
        print(f"FAIL: {state.failure} ({elapsed:.1f} s)")
        return 1

    if state.marks:
        timings = " ".join(f"{name}@{uptime or '?'}s" for name, uptime, _ in state.marks)
        print(f"PASS: {len(state.marks)} marks in order ({elapsed:.1f} s wall): {timings}")
    else:
        print(f"PASS ({elapsed:.1f} s wall)")
    return 0


def main(argv=None):
    return run(parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
