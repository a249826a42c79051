#!/usr/bin/env python3
"""Disk throughput inside the guest: softvm against QEMU TCG, same device, same image.

Boots Debian's stock kernel with the interactive initramfs on each engine
(softvm -accel interp, softvm -accel jit, qemu-system-i386 -accel tcg) with
a scratch disk on one controller at a time (PIIX3 IDE: -drive if=ide; virtio-blk:
-drive if=virtio), types one command line into the guest shell and times, on
the host, the stretch between the MARK lines the guest prints around each
phase:

  seq-write  dd if=/dev/zero of=DISK bs=1M count=N conv=fsync
  seq-read   dd if=DISK of=/dev/null bs=1M count=N   (after drop_caches)
  rand-read  R dd runs of one 4 KiB block at pseudo-random offsets
             (iflag=direct, so each one reaches the device)

MB/s = N MiB / host seconds for the sequential phases, IOPS = R / host seconds
for rand-read; the table shows each engine and softvm/QEMU as ratios (>1:
softvm is faster). Wall-clock numbers depend on the host and its load: compare
ratios from one run. A measurement, not a test: nothing passes or fails.
"""
import argparse
import os
import select
import subprocess
import sys
import tempfile
import time

PROMPT = b"softvm:~# "


def guest_script(dev, mib, rand):
    # The MARK words are typed as M""ARK so the shell's echo of the line is
    # not taken for them.
    m = 'echo M""ARK'
    s = "for x in ata_piix sd_mod virtio_pci virtio_blk; do modprobe $x; done; "
    s += f"n=0; while [ ! -b /dev/{dev} ] && [ $n -lt 30 ]; do sleep 1; n=$((n+1)); done; "
    s += f"{m} seq-write-start; dd if=/dev/zero of=/dev/{dev} bs=1M count={mib} conv=fsync 2>/dev/null; "
    s += f"{m} seq-write-end; sync; echo 3 > /proc/sys/vm/drop_caches; "
    s += f"{m} seq-read-start; dd if=/dev/{dev} of=/dev/null bs=1M count={mib} 2>/dev/null; "
    s += f"{m} seq-read-end; i=0; x=12345; {m} rand-read-start; "
    s += f"while [ $i -lt {rand} ]; do x=$(( (x * 1103515245 + 12345) % 2147483648 )); "
    s += f"dd if=/dev/{dev} of=/dev/null bs=4k count=1 skip=$(( x % ({mib} * 256) )) iflag=direct 2>/dev/null; "
    s += f"i=$((i+1)); done; {m} rand-read-end; exit\n"
    return s.encode()


def run(cmd, script, timeout):
    """Run cmd, type script at the first prompt, return {mark: host time}."""
    t0 = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out, marks, sent, line = b"", {}, False, b""
    try:
        while time.time() - t0 < timeout:
            r, _, _ = select.select([p.stdout], [], [], 1)
            if not r:
                if p.poll() is not None:
                    break
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            now = time.time()
            out += chunk
            line += chunk
            *done, line = line.split(b"\n")
            for l in done:
                l = l.strip()
                if l.startswith(b"MARK "):
                    marks[l.split()[1].decode()] = now
            if not sent and PROMPT in out:
                p.stdin.write(script)
                p.stdin.flush()
                sent = True
            if "rand-read-end" in marks:
                break
    finally:
        p.kill()
        p.wait()
    if "rand-read-end" not in marks:
        tail = out.decode("utf-8", "replace").splitlines()[-15:]
        print(f"  {' '.join(cmd[:3])}...: did not finish; console tail:", file=sys.stderr)
        for l in tail:
            print("    " + l, file=sys.stderr)
    return marks


def phase(marks, name):
    a, b = marks.get(name + "-start"), marks.get(name + "-end")
    return b - a if a is not None and b is not None and b > a else None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--softvm", required=True)
    p.add_argument("--qemu", default="qemu-system-i386", help="'' for none")
    p.add_argument("--accels", default="interp jit")
    p.add_argument("--cache", required=True, help="directory with vmlinuz and the initramfs")
    p.add_argument("--devices", default="ide virtio")
    p.add_argument("--format", default="raw", choices=["raw", "qcow2"])
    p.add_argument("--mib", type=int, default=32, help="sequential MiB")
    p.add_argument("--rand", type=int, default=200, help="random 4 KiB reads")
    p.add_argument("--timeout", type=float, default=1200)
    p.add_argument("--append", default="", help="more kernel arguments for every engine")
    a = p.parse_args()
    kernel = os.path.join(a.cache, "vmlinuz")
    initrd = os.path.join(a.cache, "interactive-initramfs.cpio.gz")
    bios = os.path.join(a.cache, "bios.bin")
    engines = [(f"softvm-{x}", [a.softvm, "-accel", x]) for x in a.accels.split()]
    if a.qemu:
        engines.append(("qemu", [a.qemu, "-accel", "tcg", "-bios", bios]))
    print(f"disk bench: {a.mib} MiB sequential, {a.rand} random 4 KiB reads, "
          f"{a.format} image; load average {os.getloadavg()[0]:.1f}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for dev in a.devices.split():
            gdev = "sda" if dev == "ide" else "vda"
            results = {}
            for name, base in engines:
                img = os.path.join(tmp, f"disk.{a.format}")
                if os.path.exists(img):
                    os.unlink(img)
                subprocess.run(["qemu-img", "create", "-q", "-f", a.format, img,
                                f"{a.mib * 2}M"], check=True)
                cmd = base + ["-m", "256", "-kernel", kernel, "-initrd", initrd,
                              "-append", f"console=ttyS0 quiet {a.append}", "-nographic", "-no-reboot",
                              "-drive", f"file={img},format={a.format},if={dev}"]
                print(f"  {dev} on {name} ...", flush=True)
                results[name] = run(cmd, guest_script(gdev, a.mib, a.rand), a.timeout)
            q = results.get("qemu", {})
            for name, m in results.items():
                row = [dev, name]
                for ph, unit in (("seq-write", a.mib), ("seq-read", a.mib), ("rand-read", a.rand)):
                    t, tq = phase(m, ph), phase(q, ph)
                    rate = unit / t if t else None
                    ratio = (tq / t) if t and tq else None
                    row.append("n/a" if rate is None else f"{rate:.1f}")
                    row.append("" if name == "qemu" else ("n/a" if ratio is None else f"{ratio:.2f}"))
                rows.append(row)
    head = ["device", "engine", "write MB/s", "/qemu", "read MB/s", "/qemu", "rand IOPS", "/qemu"]
    w = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(c).rjust(w[i]) for i, c in enumerate(r)))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
