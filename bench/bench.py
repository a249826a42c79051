#!/usr/bin/env python3
"""softvm against QEMU TCG: Linux boot phases, guest MIPS, memory.

Run through bench/run.sh, which installs QEMU, builds softvm (Release) and
the loop kernels, then calls this script. Three parts, each optional:

  boot   Debian's i686 kernel + the test initramfs, once per engine, on the
         same command line. The host wall time at which each MARK line
         arrives is recorded; a phase's time is the difference between
         consecutive MARKs (the first one counts from the start). Peak RSS
         comes from /usr/bin/time -v.
  loops  bench/loop_kernel.asm, one small Multiboot kernel per workload, run
         under every engine: guest MIPS = instructions executed between its
         "MARK loop-start" and "MARK loop-end" lines / the wall time between
         them (so start-up and firmware time do not count). The iteration
         count grows until the loop takes at least --loop-seconds.
  extra  every bench/*_bench.sh other people wrote (softvm-only micro-
         benchmarks such as the softMMU TLB one), run with the build dir; their
         output is shown as it is.

Ratios are softvm / QEMU for times (how many times slower softvm is) and
for memory. "n/a": that engine never reached the point (time limit, crash,
or unavailable).
"""

import argparse
import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

PHASES = ["boot-ok", "shell-loop", "md5-32M", "gzip-seq", "done"]
MARK_RE = re.compile(r"MARK\s+(\S+)(?:\s+(\S+))?(?:\s+(\S+))?(?:\s+(\S+))?")
WORKLOADS = [(1, "alu"), (2, "mem"), (3, "call"), (4, "pmem"), (5, "ptlb")]


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


class Run:
    """One emulator run under /usr/bin/time -v: MARK arrival times, exit
    status, peak RSS. Stopped after `timeout` seconds, as soon as `stop_at`
    (a MARK name) has arrived, or when a console line contains `stop_on`
    (such as "Kernel panic": nothing more will come)."""

    def __init__(self, cmd, timeout, stop_at=None, stop_on=None):
        self.cmd = cmd
        self.marks = {}       # name -> (wall seconds, [fields after the name])
        self.status = None
        self.timed_out = False
        self.stopped_on = None    # the stop_on text, if the console showed it
        self.rss_kib = None
        self.wall = None
        self.stderr_tail = ""
        self.console_tail = []
        self._go(timeout, stop_at, stop_on)

    def _go(self, timeout, stop_at, stop_on):
        with tempfile.NamedTemporaryFile(prefix="bench-time-", delete=False) as tf:
            time_file = tf.name
        full = ["/usr/bin/time", "-v", "-o", time_file] + self.cmd
        start = time.monotonic()
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        err = []
        threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True).start()
        done = threading.Event()

        def reader():
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
                now = time.monotonic() - start
                self.console_tail = (self.console_tail + [line])[-15:]
                if stop_on and stop_on in line and not self.stopped_on:
                    self.stopped_on = stop_on
                    threading.Timer(1.0, done.set).start()   # let the rest arrive
                m = MARK_RE.search(line)
                if m and m.group(1) not in self.marks:
                    self.marks[m.group(1)] = (now, [g for g in m.groups()[1:] if g])
                    if m.group(1) == stop_at:
                        done.set()
            done.set()

        threading.Thread(target=reader, daemon=True).start()
        if not done.wait(timeout):
            self.timed_out = True
        if proc.poll() is None:
            # End the emulator, not /usr/bin/time, so that time still reports.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                for pid in children_of(proc.pid):
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass
                try:
                    proc.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.wall = time.monotonic() - start
        time.sleep(0.05)
        self.stderr_tail = (err[0] if err else b"").decode("utf-8", "replace")[-2000:]
        try:
            with open(time_file) as f:
                report = f.read()
            os.unlink(time_file)
        except OSError:
            report = ""
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
        self.rss_kib = int(m.group(1)) if m else None
        m = re.search(r"Exit status: (\d+)", report)
        self.status = int(m.group(1)) if m else proc.returncode


# ---- engines -------------------------------------------------------------

def engines(args):
    """[(label, command prefix)] for every engine that is available."""
    found = []
    for accel in args.accels.split():
        cmd = [args.softvm, "-accel", accel]
        why = probe(cmd + ["-m", "16", "-kernel", loop_kernel(args, 1), "-append", "0",
                           "-nographic", "-no-reboot"], want_status=85)
        if why:
            log(f"softvm -accel {accel}: not benchmarked: {why}")
            continue
        found.append((f"softvm-{accel}", cmd))
    if args.qemu:
        found.append(("qemu-tcg", [args.qemu, "-accel", "tcg",
                                   "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]))
    return found


def probe(cmd, want_status):
    """None if cmd runs the trivial loop kernel to its end, else why not."""
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "the probe (a 0-iteration loop kernel) timed out"
    except OSError as e:
        return str(e)
    if p.returncode == want_status:
        return None
    msg = p.stderr.decode("utf-8", "replace").strip().splitlines()
    return f"exit status {p.returncode}" + (f": {msg[-1]}" if msg else "")


def loop_kernel(args, number):
    return os.path.join(args.loop_dir, f"loop{number}.bin")


# ---- formatting ------------------------------------------------------------

def fmt(x, unit="", digits=2):
    return "n/a" if x is None else f"{x:.{digits}f}{unit}"


def ratio(a, b):
    return None if a is None or b is None or b <= 0 else a / b


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out = []
    for n, r in enumerate([header] + rows):
        out.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                             for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# ---- part 1: Linux boot ----------------------------------------------------

def expected_values(path):
    want = {}
    with open(path) as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if len(fields) == 2:
                want[fields[0]] = fields[1]
    return want


def bench_boot(args, found):
    guest = ["-m", "256", "-kernel", os.path.join(args.cache, "vmlinuz"),
             "-initrd", os.path.join(args.cache, "test-initramfs.cpio.gz"),
             "-append", "console=ttyS0 quiet", "-nographic", "-no-reboot"]
    want = expected_values(args.expected_marks)
    runs = {}
    for label, cmd in found:
        log(f"boot: {label} (time limit {args.boot_timeout:g} s)")
        r = Run(cmd + guest, args.boot_timeout, stop_on="Kernel panic")
        runs[label] = r
        got = ", ".join(f"{k}@{v[0]:.1f}s" for k, v in r.marks.items()) or "no MARK"
        log(f"boot: {label}: {got}; exit status {r.status}; "
            f"{'TIMED OUT; ' if r.timed_out else ''}"
            f"{'KERNEL PANIC; ' if r.stopped_on else ''}{r.wall:.1f} s wall")
        for name, (_, fields) in r.marks.items():
            if name in want and (len(fields) < 2 or fields[1] != want[name]):
                log(f"boot: {label}: MARK {name} has a wrong value: {fields}")
        if "done" not in r.marks:
            log(f"boot: {label}: last console lines:")
            for line in r.console_tail:
                log(f"    | {line}")
            for line in r.stderr_tail.strip().splitlines()[-5:]:
                log(f"    stderr| {line}")

    ref = runs.get("qemu-tcg")

    def at(r, name):
        return r.marks[name][0] if r and name in r.marks else None

    def phase(r, i):
        end = at(r, PHASES[i])
        begin = 0.0 if i == 0 else at(r, PHASES[i - 1])
        return None if end is None or begin is None else end - begin

    def bad_value(r, name):
        if r is None or name not in r.marks or name not in want:
            return ""
        fields = r.marks[name][1]
        return "" if len(fields) >= 2 and fields[1] == want[name] else " (wrong value!)"

    header = ["phase"]
    for label, _ in found:
        header += [f"{label} at", f"{label} phase"]
        if ref and label != "qemu-tcg":
            header.append(f"{label}/qemu")
    rows = []
    for i, name in enumerate(PHASES):
        row = [name]
        for label, _ in found:
            r = runs[label]
            row += [fmt(at(r, name), "s", 1), fmt(phase(r, i), "s", 1) + bad_value(r, name)]
            if ref and label != "qemu-tcg":
                row.append(fmt(ratio(phase(r, i), phase(ref, i)), "x"))
        rows.append(row)
    row = ["peak RSS"]
    for label, _ in found:
        r = runs[label]
        row += ["", fmt(r.rss_kib / 1024 if r.rss_kib else None, " MiB", 1)]
        if ref and label != "qemu-tcg":
            row.append(fmt(ratio(r.rss_kib, ref.rss_kib), "x"))
    rows.append(row)
    row = ["run ends"]
    for label, _ in found:
        r = runs[label]
        how = ("kernel panic" if r.stopped_on else
               f"limit {args.boot_timeout:g}s" if r.timed_out else f"exit {r.status}")
        row += [fmt(r.wall, "s", 1), how]
        if ref and label != "qemu-tcg":
            row.append("")
    rows.append(row)
    print("\n== Linux boot: test initramfs, -m 256, console=ttyS0 quiet ==")
    print("'at': host wall time when the MARK arrived; 'phase': since the previous MARK;")
    print("'/qemu': softvm phase time / QEMU phase time (and peak RSS ratio).")
    print(table(header, rows))


# ---- part 2: loop kernels --------------------------------------------------

def loop_once(cmd, kernel, millions, timeout):
    r = Run(cmd + ["-m", "128", "-kernel", kernel, "-append", str(millions),
                   "-nographic", "-no-reboot"], timeout, stop_at="loop-end")
    if "loop-start" not in r.marks or "loop-end" not in r.marks or "workload" not in r.marks:
        return None, r
    fields = r.marks["workload"][1]     # name, instructions per iteration, millions
    insns = int(fields[1]) * int(fields[2]) * 1e6
    seconds = r.marks["loop-end"][0] - r.marks["loop-start"][0]
    return (insns, seconds), r


def bench_loops(args, found):
    results = {}   # (workload, label) -> (MIPS, seconds, millions)
    for number, name in WORKLOADS:
        kernel = loop_kernel(args, number)
        for label, cmd in found:
            millions = args.loop_start
            while True:
                got, r = loop_once(cmd, kernel, millions, args.loop_timeout)
                if got is None:
                    log(f"loops: {name} on {label}: no result "
                        f"({'time limit' if r.timed_out else f'exit status {r.status}'})")
                    results[(name, label)] = None
                    break
                insns, seconds = got
                if seconds >= args.loop_seconds or millions >= 100000:
                    results[(name, label)] = (insns / seconds / 1e6, seconds, millions)
                    log(f"loops: {name} on {label}: {insns / 1e6:.0f} M instructions "
                        f"in {seconds:.2f} s = {insns / seconds / 1e6:.1f} MIPS")
                    break
                # Too short to time well: scale up to about 1.5x the target.
                grow = args.loop_seconds * 1.5 / max(seconds, 0.01)
                millions = int(millions * min(max(grow, 2), 200)) + 1
    ref = "qemu-tcg" if any(label == "qemu-tcg" for label, _ in found) else None
    header = ["workload"]
    for label, _ in found:
        header.append(f"{label} MIPS")
    for label, _ in found:
        if ref and label != ref:
            header.append(f"{label}/qemu time")
    rows = []
    for _, name in WORKLOADS:
        row = [name]
        for label, _ in found:
            res = results.get((name, label))
            row.append(fmt(res[0] if res else None, "", 1))
        for label, _ in found:
            if ref and label != ref:
                a, b = results.get((name, label)), results.get((name, ref))
                row.append(fmt(ratio(b[0], a[0]) if a and b else None, "x", 1))
        rows.append(row)
    print("\n== Guest MIPS: bench/loop_kernel.asm (Multiboot), wall time between "
          "loop-start and loop-end ==")
    print("alu: register ops; mem: load/add/store, paging off; call: call/ret;")
    print("pmem: mem with paging on (TLB hits); ptlb: one page per access over 32 MiB (TLB misses).")
    print("'/qemu time': how many times longer softvm takes for the same instructions.")
    print(table(header, rows))


# ---- part 3: other benchmarks in bench/ ------------------------------------

def bench_extra(args):
    here = os.path.dirname(os.path.abspath(__file__))
    scripts = sorted(glob.glob(os.path.join(here, "*_bench.sh")))
    for script in scripts:
        name = os.path.basename(script)
        print(f"\n== {name} (softvm only: no QEMU equivalent) ==", flush=True)
        try:
            p = subprocess.run(["sh", script, args.build_dir], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=args.extra_timeout)
            sys.stdout.write(p.stdout.decode("utf-8", "replace"))
            if p.returncode != 0:
                print(f"({name} failed with exit status {p.returncode}: "
                      f"{p.stderr.decode('utf-8', 'replace').strip()[-300:]})")
        except subprocess.TimeoutExpired:
            print(f"({name}: n/a, over the {args.extra_timeout:g} s limit)")
    if not scripts:
        print("\n(no other bench/*_bench.sh micro-benchmarks)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--softvm", required=True)
    p.add_argument("--qemu", default="qemu-system-i386", help="'' for none")
    p.add_argument("--accels", default="interp jit")
    p.add_argument("--cache", required=True, help="directory with vmlinuz and the initramfs")
    p.add_argument("--expected-marks", required=True)
    p.add_argument("--loop-dir", required=True, help="directory with loop1.bin .. loop5.bin")
    p.add_argument("--build-dir", required=True, help="passed to bench/*_bench.sh")
    p.add_argument("--parts", default="boot,loops,extra")
    p.add_argument("--boot-timeout", type=float, default=900)
    p.add_argument("--loop-timeout", type=float, default=120)
    p.add_argument("--loop-seconds", type=float, default=3.0,
                   help="grow the iteration count until a loop takes this long")
    p.add_argument("--loop-start", type=int, default=2, help="first iteration count (millions)")
    p.add_argument("--extra-timeout", type=float, default=600)
    args = p.parse_args()
    parts = set(args.parts.split(","))

    found = engines(args)
    if not found:
        print("no engine to benchmark")
        return 1
    print(f"engines: {', '.join(label for label, _ in found)}; host: "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    if "boot" in parts:
        bench_boot(args, found)
    if "loops" in parts:
        bench_loops(args, found)
    if "extra" in parts:
        bench_extra(args)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} "
          "(other work on the host skews every number above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
