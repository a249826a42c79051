#!/usr/bin/env bash
# Two softvm guests joined by -netdev socket (one listens on 127.0.0.1, the
# other connects; QEMU's stream framing): guest b downloads 1 MiB over HTTP
# from guest a's busybox httpd (static addresses 10.0.3.1/2), and its md5
# must be the host's (tests/guests/nettest.sh, tests/guest/net_case.py).
# The two cards are different models (default: e1000 listening, virtio-net
# connecting; $NET_SOCKET_MODELS), so two drivers talk through the link.
# Runs once per accelerator in $SOFTVM_ACCELS. SOFTVM_GUEST_LINUX=0 skips it.
set -uo pipefail

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip: Linux guest cases switched off (SOFTVM_GUEST_LINUX=0)"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $GUEST_KERNEL && -f $GUEST_TEST_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    python3 tests/guest/net_case.py socket ${NET_SOCKET_MODELS:-e1000 virtio-net} -- \
        "$SOFTVM" -accel "$accel" -m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_TEST_INITRD" \
        -append "console=ttyS0 quiet" -nographic -no-reboot || status=1
done
exit $status
