#!/usr/bin/env bash
# qemu-as-softvm.sh - run qemu-system-i386 with a softvm command line.
#
#   bench/qemu-as-softvm.sh [softvm options...]
#
# Translates the softvm options whose QEMU spelling or default differs, so
# that QEMU can stand in for softvm: bench/run.sh times it on the same
# command lines, and the guest cases can be checked against it
# (SOFTVM=bench/qemu-as-softvm.sh bash tests/guest/suite.sh). Differences
# handled here:
#   -accel interp|jit     -> -accel tcg (QEMU's only software engine)
#   -debugcon DEV         -> an isa-debugcon at port 0x402 (QEMU's -debugcon
#                            defaults to port 0xe9; SeaBIOS logs to 0x402).
#                            With -nographic, stdio is shared with COM1 through
#                            a mux chardev, as softvm shares its console.
#   -clock deterministic  -> -icount shift=S,sleep=off (S from -icount, or 0)
#   -clock realtime|auto  -> nothing (QEMU's default)
#   -icount shift=N       -> folded into the above
#   -rtc base=B           -> -rtc base=B,clock=vm when the clock is deterministic
#   -stats                -> dropped
# and it always adds the debug-exit device at port 0xf4 (softvm has it
# built in): writing V there exits with status (V << 1) | 1 on both.
# Every other option is passed through unchanged.
# QEMU_SYSTEM overrides the binary (default qemu-system-i386).
# QEMU option values are comma-separated lists, not array mistakes.
# shellcheck disable=SC2054
set -euo pipefail

args=()
nographic=0 debugcon="" clock="" shift_n=0 rtc=""
while [[ $# -gt 0 ]]; do
    case $1 in
        -accel|--accel) args+=(-accel tcg); shift 2 ;;
        -debugcon|--debugcon) debugcon=$2; shift 2 ;;
        -clock|--clock) clock=$2; shift 2 ;;
        -icount|--icount) shift_n=${2#shift=}; clock=${clock:-deterministic}; shift 2 ;;
        -rtc|--rtc) rtc=$2; shift 2 ;;
        -stats|--stats) shift ;;
        -nographic|--nographic) nographic=1; shift ;;
        *) args+=("$1"); shift ;;
    esac
done

if [[ $nographic -eq 1 ]]; then
    if [[ $debugcon == stdio ]]; then
        # One stdio backend, multiplexed between COM1, the debug console and
        # the monitor (Ctrl-A c), like -nographic's own mon:stdio.
        args+=(-display none -chardev stdio,id=con,mux=on,signal=off
               -serial chardev:con -mon chardev=con
               -device isa-debugcon,iobase=0x402,chardev=con)
        debugcon=""
    else
        args+=(-nographic)
    fi
fi
case $debugcon in
    "" | none) ;;
    null) args+=(-chardev null,id=dbgcon -device isa-debugcon,iobase=0x402,chardev=dbgcon) ;;
    stdio) args+=(-chardev stdio,id=dbgcon -device isa-debugcon,iobase=0x402,chardev=dbgcon) ;;
    file:*) args+=(-chardev "file,id=dbgcon,path=${debugcon#file:}"
                   -device isa-debugcon,iobase=0x402,chardev=dbgcon) ;;
    *) echo "qemu-as-softvm: -debugcon $debugcon: not translated" >&2; exit 2 ;;
esac

if [[ $clock == deterministic ]]; then
    args+=(-icount "shift=$shift_n,sleep=off")
    [[ -n $rtc ]] && rtc="$rtc,clock=vm"
fi
[[ -n $rtc ]] && args+=(-rtc "$rtc")

args+=(-device isa-debug-exit,iobase=0xf4,iosize=4)
exec "${QEMU_SYSTEM:-qemu-system-i386}" "${args[@]}"
