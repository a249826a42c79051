#!/bin/sh
# The fixed test workloads, installed as /bin/softvm-workloads. Each prints
# a MARK line when it finishes; the last field is the value a test checks
# (expected values: tests/guests/expected-marks).
# "softvm-workloads quick" runs only the cheap ones: md5-busybox (the md5 of
# /bin/busybox, which the host computes from the image) and fp-awk.
. /lib/softvm/guest-lib.sh

if [ "${1:-}" = quick ]; then
    sum=$(md5sum /bin/busybox)
    mark md5-busybox "${sum%% *}"
else
    # shell-loop: 200000 iterations of shell arithmetic.
    i=0
    while [ "$i" -lt 200000 ]; do
        i=$((i + 1))
    done
    mark shell-loop "$i"

    # md5-32M: 32 MiB of zeros through md5sum.
    sum=$(dd if=/dev/zero bs=1M count=32 2>/dev/null | md5sum)
    mark md5-32M "${sum%% *}"

    # gzip-seq: compress a generated text, checksum the compressed stream.
    sum=$(seq 1 300000 | gzip -6 | md5sum)
    mark gzip-seq "${sum%% *}"
fi

# fp-awk: a floating-point series in awk, printed with %.17g (issue 7): the
# x87 (i386) or SSE2 (amd64) arithmetic and glibc's printf must give exactly
# what real hardware gives (expected value taken from this busybox under
# QEMU, whose x87 is exact; the amd64 busybox gives the same on the host).
sum=$(awk 'BEGIN { s = 0; p = 1; h = 0; for (i = 1; i <= 40; i++) { s += 1 / (i * i); p *= (1 + 1 / i) / 1.5; h += (i % 2 ? 4 : -4) / (2 * i - 1); printf "%d %.17g %.17g %.17g\n", i, s, p, h } }' | md5sum)
mark fp-awk "${sum%% *}"
