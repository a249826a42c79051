#!/usr/bin/env bash
# User-mode networking (libslirp) with the stock kernel's own drivers, one
# boot with a card of each model (e1000, ne2k_pci, virtio-net-pci), each on its own -nic user, tried in turn
# (tests/guests/nettest.sh, host side tests/guest/net_case.py):
#   - udhcpc gets 10.0.2.15 by DHCP;
#   - the guest downloads 1 MiB over HTTP from a server this test runs on
#     127.0.0.1 (the guest's 10.0.2.2), md5 checked against the host's;
#   - the host downloads the same 1 MiB from the guest's busybox httpd
#     through the card's hostfwd, md5 checked;
#   - with "e1000/r" (restrict=on): DHCP and hostfwd work, the download from
#     the host does not.
# $NET_MODELS picks the cards (default: all, "e1000 ne2k_pci virtio-net
# e1000/r"). On the interpreter the default is e1000 alone
# ($NET_MODELS_INTERP): a CI run of 2026-12-02 saw ne2k_pci on the
# interpreter stall after its DHCP (a timing-dependent bug, open on issue
# 13), and all four cards on the interpreter cost most of CI's budget. The
# JIT runs every card.
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
    models=${NET_MODELS:-e1000 ne2k_pci virtio-net e1000/r}
    limit=1200
    if [[ $accel == interp ]]; then
        models=${NET_MODELS:-${NET_MODELS_INTERP:-e1000}}
        limit=600
    fi
    # shellcheck disable=SC2086  # one word per card model
    NET_CASE_TIMEOUT=${NET_CASE_TIMEOUT:-$limit} python3 tests/guest/net_case.py user $models -- \
        "$SOFTVM" -accel "$accel" -m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_TEST_INITRD" \
        -append "console=ttyS0 quiet" -nographic -no-reboot || status=1
done
exit $status
