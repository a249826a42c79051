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
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time

PHASES = ["boot-ok", "shell-loop", "md5-32M", "gzip-seq", "fp-awk", "done"]
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


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU time of process pid, all its threads, so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


class Run:
    """One emulator run under /usr/bin/time -v: MARK arrival times (host wall
    time, and the emulator's own CPU time, which the load on the host skews
    much less), exit status, peak RSS. Stopped after `timeout` seconds, as
    soon as `stop_at` (a MARK name) has arrived, or when a console line
    contains `stop_on` (such as "Kernel panic": nothing more will come)."""

    def __init__(self, cmd, timeout, stop_at=None, stop_on=None):
        self.cmd = cmd
        self.marks = {}       # name -> (wall seconds, [fields after the name])
        self.cpu = {}         # name -> the emulator's CPU seconds when it arrived
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

        emulator = []    # its pid: the child of /usr/bin/time

        def reader():
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
                now = time.monotonic() - start
                if not emulator:
                    emulator.extend(children_of(proc.pid)[:1])
                self.console_tail = (self.console_tail + [line])[-15:]
                if stop_on and stop_on in line and not self.stopped_on:
                    self.stopped_on = stop_on
                    threading.Timer(1.0, done.set).start()   # let the rest arrive
                m = MARK_RE.search(line)
                if m and m.group(1) not in self.marks:
                    self.marks[m.group(1)] = (now, [g for g in m.groups()[1:] if g])
                    if emulator:
                        self.cpu[m.group(1)] = cpu_seconds(emulator[0])
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
        user = re.search(r"User time \(seconds\): ([\d.]+)", report)
        system = re.search(r"System time \(seconds\): ([\d.]+)", report)
        self.cpu_total = float(user.group(1)) + float(system.group(1)) if user and system else None
        m = re.search(r"Exit status: (\d+)", report)
        self.status = int(m.group(1)) if m else proc.returncode


# ---- engines -------------------------------------------------------------

# Deterministic mode, as the issue asks: softvm's virtual clock counts
# retired instructions (1 ns each) from a fixed RTC start. QEMU runs twice:
# plain TCG (real-time clock: the speed a QEMU user gets) and TCG with
# -icount shift=0,sleep=off (QEMU's own deterministic mode, the same 1 ns
# per instruction, idle time skipped as softvm does).
RTC = "2026-01-01T00:00:00"


def engines(args):
    """[(label, command prefix)] for every engine that is available."""
    found = []
    for accel in args.accels.split():
        cmd = [args.softvm, "-accel", accel, "-clock", "deterministic", "-rtc", f"base={RTC}"]
        why = probe(cmd + ["-m", "16", "-kernel", loop_kernel(args, 1), "-append", "0",
                           "-nographic", "-no-reboot"], want_status=85)
        if why:
            log(f"softvm -accel {accel}: not benchmarked: {why}")
            continue
        found.append((f"softvm-{accel}", cmd))
    if args.qemu:
        qemu = [args.qemu, "-accel", "tcg", "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
        found.append(("qemu-tcg", qemu + ["-rtc", f"base={RTC}"]))
        if not args.no_icount:
            found.append(("qemu-icount", qemu + ["-icount", "shift=0,sleep=off",
                                                 "-rtc", f"base={RTC},clock=vm"]))
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


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def spread(xs, digits=1):
    """'median [min-max]' of the values that exist ('n/a' if none)."""
    have = [x for x in xs if x is not None]
    if not have:
        return "n/a"
    if len(have) == 1:
        return fmt(have[0], "", digits)
    return f"{fmt(median(have), '', digits)} [{fmt(min(have), '', digits)}-{fmt(max(have), '', digits)}]"


# ---- native: the same busybox workloads on the host -------------------------

def cpio_member(path, name):
    """The bytes of member `name` of a gzip'd newc cpio archive."""
    import gzip
    with gzip.open(path, "rb") as f:
        data = f.read()
    at = 0
    while at + 110 <= len(data) and data[at:at + 6] in (b"070701", b"070702"):
        size = int(data[at + 54:at + 62], 16)
        namesize = int(data[at + 94:at + 102], 16)
        nstart = at + 110
        member = data[nstart:nstart + namesize - 1].decode("utf-8", "replace")
        dstart = (nstart + namesize + 3) & ~3
        if member.lstrip("./") == name:
            return data[dstart:dstart + size]
        if member == "TRAILER!!!":
            break
        at = (dstart + size + 3) & ~3
    return None


# The workloads of tests/guests/workloads.sh, as the guest's busybox sh runs them.
NATIVE = {
    "shell-loop": 'i=0; while [ "$i" -lt 200000 ]; do i=$((i + 1)); done; echo $i',
    "md5-32M": "dd if=/dev/zero bs=1M count=32 2>/dev/null | md5sum",
    "gzip-seq": "seq 1 300000 | gzip -6 | md5sum",
    "fp-awk": "awk 'BEGIN { s = 0; p = 1; h = 0; for (i = 1; i <= 40; i++) { s += 1 / (i * i); "
              "p *= (1 + 1 / i) / 1.5; h += (i % 2 ? 4 : -4) / (2 * i - 1); "
              "printf \"%d %.17g %.17g %.17g\\n\", i, s, p, h } }' | md5sum",
}


def bench_native(args, rounds):
    """{phase: [(cpu seconds, wall seconds) per round]} for the guest's own
    i386 busybox run on the host (x86-64 Linux runs it with IA-32
    emulation), or {} with the reason logged."""
    initrd = os.path.join(args.cache, "test-initramfs.cpio.gz")
    binary = cpio_member(initrd, "bin/busybox")
    if binary is None:
        log("native: no bin/busybox in the test initramfs")
        return {}
    work = tempfile.mkdtemp(prefix="bench-native-")
    bb = os.path.join(work, "busybox")
    with open(bb, "wb") as f:
        f.write(binary)
    os.chmod(bb, 0o755)
    try:
        subprocess.run([bb, "--install", "-s", work], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        log(f"native: the guest's busybox does not run here ({e}): no native column")
        return {}
    env = {"PATH": work, "LC_ALL": "C"}
    want = expected_values(args.expected_marks)
    out = {name: [] for name in NATIVE}
    for _ in range(rounds):
        for name, script in NATIVE.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            p = subprocess.run([bb, "sh", "-c", script], env=env, capture_output=True)
            wall = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            got = p.stdout.decode().split()
            if name in want and (not got or got[0] != want[name]):
                log(f"native: {name} printed {got}, expected {want[name]}")
            out[name].append((cpu, wall))
    subprocess.run(["rm", "-rf", work])
    return out


def bench_boot(args, found):
    guest = ["-m", str(args.ram), "-kernel", os.path.join(args.cache, "vmlinuz"),
             "-initrd", os.path.join(args.cache, "test-initramfs.cpio.gz"),
             "-append", "console=ttyS0 quiet", "-nographic", "-no-reboot"]
    want = expected_values(args.expected_marks)
    runs = {label: [] for label, _ in found}
    # Rounds, each running every engine once, one after the other: whatever
    # else the host does then skews all engines alike, and the spread over
    # rounds shows how much.
    for rnd in range(args.repeat):
        for label, cmd in found:
            log(f"boot round {rnd + 1}/{args.repeat}: {label} (time limit {args.boot_timeout:g} s)")
            r = Run(cmd + guest, args.boot_timeout, stop_on="Kernel panic")
            runs[label].append(r)
            got = ", ".join(f"{k}@{v[0]:.1f}s" for k, v in r.marks.items()) or "no MARK"
            log(f"boot: {label}: {got}; exit status {r.status}; "
                f"{'TIMED OUT; ' if r.timed_out else ''}"
                f"{'KERNEL PANIC; ' if r.stopped_on else ''}{r.wall:.1f} s wall, "
                f"{fmt(r.cpu_total, ' s', 1)} CPU")
            for name, (_, fields) in r.marks.items():
                if name in want and (len(fields) < 2 or fields[1] != want[name]):
                    log(f"boot: {label}: MARK {name} has a wrong value: {fields}")
            if "done" not in r.marks:
                log(f"boot: {label}: last console lines:")
                for line in r.console_tail:
                    log(f"    | {line}")
                for line in r.stderr_tail.strip().splitlines()[-5:]:
                    log(f"    stderr| {line}")
    native = bench_native(args, args.repeat) if not args.no_native else {}

    def phase(r, i, cpu):
        marks = r.cpu if cpu else {k: v[0] for k, v in r.marks.items()}
        end = marks.get(PHASES[i])
        begin = 0.0 if i == 0 else marks.get(PHASES[i - 1])
        return None if end is None or begin is None else end - begin

    def phases(label, i, cpu=True):
        return [phase(r, i, cpu) for r in runs[label]]

    def native_times(name, cpu=True):
        return [c if cpu else w for c, w in native.get(name, [])]

    softvms = [label for label, _ in found if label.startswith("softvm-")]
    qemus = [label for label, _ in found if label.startswith("qemu-")]
    phase_names = PHASES[:-1]       # "done" follows the last workload at once
    print(f"\n== Linux boot: test initramfs, -m {args.ram}, console=ttyS0 quiet, "
          f"deterministic mode, {args.repeat} round(s) ==")
    print("softvm: -clock deterministic -rtc base=...; qemu-tcg: plain TCG (real-time clock); "
          "qemu-icount: TCG with -icount shift=0,sleep=off.")
    print("Each phase runs from the previous MARK (boot-ok: from the start, so firmware and the")
    print("kernel boot count). Times are the emulator process's CPU seconds (user + system, all")
    print("threads), median [min-max] over the rounds; native: the guest's own i386 busybox on")
    print("the host (no boot phase).")
    header = ["phase"] + [label for label, _ in found] + (["native"] if native else [])
    rows = []
    for i, name in enumerate(phase_names):
        row = [name] + [spread(phases(label, i), 2) for label, _ in found]
        if native:
            row.append(spread(native_times(name), 3) if name in native else "-")
        rows.append(row)
    rows.append(["total CPU"] + [spread([r.cpu_total for r in runs[label]], 1)
                                 for label, _ in found] + ([""] if native else []))
    print(table(header, rows))

    print("\nRatios of the medians (CPU time): how many times longer the first engine takes.")
    cols = []
    for sv in softvms:
        for q in qemus:
            cols.append((f"{sv[7:]}/{q}", sv, q))
    if native:
        for e in softvms + qemus:
            cols.append((f"{e.replace('softvm-', '')}/native", e, None))
    header = ["phase"] + [c[0] for c in cols]
    rows = []
    for i, name in enumerate(phase_names):
        row = [name]
        for _, a, b in cols:
            top = median(phases(a, i))
            bottom = median(phases(b, i)) if b else median(native_times(name))
            row.append(fmt(ratio(top, bottom), "x", 2 if b else 0) if b or name in native else "-")
        rows.append(row)
    print(table(header, rows))

    print("\nHost wall time per phase (s, median [min-max]; includes waiting for the CPU on a busy")
    print("host, and QEMU's real-time clock waits for guest timers):")
    header = ["phase"] + [label for label, _ in found] + (["native"] if native else [])
    rows = []
    for i, name in enumerate(phase_names):
        row = [name] + [spread(phases(label, i, cpu=False), 1) for label, _ in found]
        if native:
            row.append(spread(native_times(name, cpu=False), 3) if name in native else "-")
        rows.append(row)
    row = ["peak RSS MiB"]
    for label, _ in found:
        rss = [r.rss_kib / 1024 if r.rss_kib else None for r in runs[label]]
        row.append(spread(rss, 0))
    rows.append(row + ([""] if native else []))
    row = ["run ends"]
    for label, _ in found:
        ends = []
        for r in runs[label]:
            ends.append("panic" if r.stopped_on else "limit" if r.timed_out else f"exit {r.status}")
        row.append(",".join(ends))
    rows.append(row + ([""] if native else []))
    print(table(header, rows))
    limit = args.ram + 128
    for label in softvms:
        worst = max((r.rss_kib or 0) / 1024 for r in runs[label])
        print(f"peak RSS {label}: {worst:.0f} MiB, target <= guest RAM + 128 MiB = {limit} MiB: "
              f"{'met' if 0 < worst <= limit else 'NOT met' if worst else 'n/a'}")
    for label, _ in found:
        for r in runs[label]:
            for name in phase_names:
                if bad_value(r, name, want):
                    print(f"WARNING: {label}: MARK {name} had a wrong value: its timing "
                          "measures a broken guest")


def bad_value(r, name, want):
    if name not in r.marks or name not in want:
        return False
    fields = r.marks[name][1]
    return not (len(fields) >= 2 and fields[1] == want[name])


# ---- part 2: loop kernels --------------------------------------------------

def loop_once(cmd, kernel, millions, timeout):
    r = Run(cmd + ["-m", "128", "-kernel", kernel, "-append", str(millions),
                   "-nographic", "-no-reboot"], timeout, stop_at="loop-end")
    if "loop-start" not in r.marks or "loop-end" not in r.marks or "workload" not in r.marks:
        return None, r
    fields = r.marks["workload"][1]     # name, instructions per iteration, millions
    insns = int(fields[1]) * int(fields[2]) * 1e6
    # The emulator's CPU time between the two lines (wall time if unknown).
    if r.cpu.get("loop-start") is not None and r.cpu.get("loop-end") is not None:
        seconds = r.cpu["loop-end"] - r.cpu["loop-start"]
    else:
        seconds = r.marks["loop-end"][0] - r.marks["loop-start"][0]
    return (insns, max(seconds, 0.01)), r


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
    print("\n== Guest MIPS: bench/loop_kernel.asm (Multiboot), the emulator's CPU time between "
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
    p.add_argument("--repeat", type=int, default=3,
                   help="rounds of the boot part, each running every engine once (default 3)")
    p.add_argument("--ram", type=int, default=256, help="guest RAM in MiB (default 256)")
    p.add_argument("--no-icount", action="store_true", help="no qemu-icount engine")
    p.add_argument("--no-native", action="store_true", help="no native busybox column")
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
