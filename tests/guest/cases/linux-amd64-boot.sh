#!/usr/bin/env bash
# Boot Debian's stock amd64 kernel (long mode, 4-level paging, SYSCALL, SSE2
# with XMM8-15 and FXSAVE64) under -cpu qemu64 with the amd64 test initramfs
# in its cheap mode (softvm.quick): MARK boot-ok, then md5-busybox, the md5 of
# /bin/busybox computed by the guest, which must equal the host's md5sum of
# the same file taken out of the image, and fp-awk (64-bit userland floating
# point, SSE2), whose value tests/guests/expected-marks holds and the builder
# re-checks with this busybox on the host. softvm must exit 0 after the guest
# powers off. Runs once per accelerator in $SOFTVM_ACCELS on the
# deterministic clock; the console goes to $CONSOLE_DIR/amd64.log, which
# suite.sh compares across engines (the JIT declines 64-bit code, so under
# -accel jit the kernel runs on the interpreter's fallback).
#
# SOFTVM_GUEST_LINUX=0 skips it (for quick local runs).
set -uo pipefail

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip: Linux guest cases switched off (SOFTVM_GUEST_LINUX=0)"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $GUEST_KERNEL_AMD64 && -f $GUEST_TEST_INITRD_AMD64 ]] ||
    { echo "missing amd64 guest images: bash tests/guests/build.sh --arch amd64"; exit 1; }

# The host's checksums: busybox straight out of the image, fp-awk as listed.
busybox_md5=$(gzip -dc "$GUEST_TEST_INITRD_AMD64" | cpio -i --quiet --to-stdout bin/busybox | md5sum | cut -d ' ' -f 1)
fp_awk=$(sed -n 's/^fp-awk //p' "$GUEST_EXPECTED_MARKS")
[[ $busybox_md5 =~ ^[0-9a-f]{32}$ && $busybox_md5 != d41d8cd98f00b204e9800998ecf8427e && -n $fp_awk ]] ||
    { echo "cannot compute the expected checksums (busybox md5 '$busybox_md5', fp-awk '$fp_awk')"; exit 1; }
echo "host: md5 of bin/busybox $busybox_md5, fp-awk $fp_awk"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    python3 "$HARNESS" --timeout 400 --fail-on "Kernel panic" --fail-on "invalid opcode" \
        --no-jit-check \
        --expect boot-ok --expect "md5-busybox=$busybox_md5" --expect "fp-awk=$fp_awk" --expect done \
        --log "$log" -- \
        "$SOFTVM" -accel "$accel" -cpu qemu64 -m 256 -kernel "$GUEST_KERNEL_AMD64" \
        -initrd "$GUEST_TEST_INITRD_AMD64" -append "console=ttyS0 quiet softvm.quick" \
        -rtc base=2026-01-01T00:00:00 -clock deterministic -nographic -no-reboot || { status=1; continue; }
    [[ -z ${CONSOLE_DIR:-} ]] || cp "$log" "$CONSOLE_DIR/amd64.log"
done
exit $status
