#!/usr/bin/env bash
# Record/replay (docs/DETERMINISM.md, "Record and replay") of an interactive
# Linux session with typed input and network traffic:
#   1. record: the interactive initramfs boots with -nic user (e1000); at
#      the prompt the test types a command line that loads the e1000
#      driver, prints the md5 of a typed string and the md5 of a 64 KiB
#      file downloaded over HTTP from a server this test runs on 127.0.0.1
#      (the guest's 10.0.2.2), then exits (power-off). The RTC starts from
#      the host clock (not fixed): the log must carry it. Oracle: both md5s
#      equal the host's md5sum of the same bytes.
#   2. replay on the fast engine, stdin closed and no network backend: the
#      console is byte-identical to the recording's, the -state-hash at the
#      end is the recording's, and the replay says it matched. It also saves
#      a snapshot (-snapshot-at) just before the first typed byte.
#   3. replay of the rest from that snapshot (-loadvm) on every engine in
#      $SOFTVM_ACCELS (the interpreter only runs this short part): the
#      console is the tail of the recording's, the state hash the same.
#   4. a changed byte, a cut-off log and another machine (-m) are refused
#      with a message naming the problem, before anything runs.
# suite: once
# SOFTVM_GUEST_LINUX=0 skips it.
set -uo pipefail

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip: Linux guest cases switched off (SOFTVM_GUEST_LINUX=0)"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $GUEST_KERNEL && -f $GUEST_INTERACTIVE_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }

read -r -a accels <<<"${SOFTVM_ACCELS:-interp}"
fast=${accels[-1]}                     # "interp jit": the JIT does the long runs
for a in "${accels[@]}"; do [[ $a == jit ]] && fast=jit; done

work=$(mktemp -d)
server=
cleanup() { [[ -n $server ]] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir "$work/www"
python3 -c 'import random, sys; r = random.Random(14); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(65536)))' \
    > "$work/www/data"
python3 -u -c '
import http.server, os, sys
os.chdir(sys.argv[1])
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
print(s.server_address[1])
s.serve_forever()' "$work/www" > "$work/port" &
server=$!
for _ in $(seq 50); do [[ -s $work/port ]] && break; sleep 0.1; done
port=$(cat "$work/port")
[[ -n $port ]] || { echo "FAIL: the HTTP server did not start"; exit 1; }

typed=softvm-replay-14
want_typed=$(printf '%s' "$typed" | md5sum | cut -d ' ' -f 1)
want_data=$(md5sum < "$work/www/data" | cut -d ' ' -f 1)
machine=(-m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_INTERACTIVE_INITRD"
         -append "console=ttyS0 quiet" -nographic -no-reboot -nic user,model=e1000 -state-hash)
cmd="modprobe e1000; ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0;"
cmd+=" echo -n $typed | md5sum; wget -q -O - http://10.0.2.2:$port/data | md5sum; echo net-done"
status=0
fail() { echo "FAIL: $*"; status=1; }

echo "record ($fast):"
python3 "$HARNESS" --timeout 600 --fail-on "Kernel panic" \
    --send 'softvm:~# ' "$cmd\\n" --send 'net-done' 'exit\n' \
    --expect-text "$want_typed" --expect-text "$want_data" --expect-text 'powering off' \
    --raw-log "$work/rec.out" --stderr-log "$work/rec.err" -- \
    "$SOFTVM" -accel "$fast" "${machine[@]}" -icount shift=0,rr=record,rrfile="$work/log.rr" ||
    { echo "FAIL: the recording run failed"; exit 1; }
grep -q "recorded .* inputs to" "$work/rec.err" || { cat "$work/rec.err"; exit 1; }
rec_hash=$(grep -o 'state hash [0-9a-f]* at instruction [0-9]*' "$work/rec.err")
echo "  $(grep -o 'recorded .*' "$work/rec.err"); $rec_hash"
echo "  guest md5s match the host's: $want_typed (typed), $want_data (downloaded)"

# The first recorded input's instruction count (records after the 12-byte
# signature: u32 tag, u32 length, payload, u64 check; EVNT starts with it).
first=$(python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read(); p = 12
while p + 8 <= len(b):
    tag, n = struct.unpack_from("<4sI", b, p)
    if tag == b"EVNT":
        print(struct.unpack_from("<Q", b, p + 8)[0]); break
    p += 8 + n + 8' "$work/log.rr")
[[ -n $first ]] || { echo "FAIL: the log holds no input"; exit 1; }
snap_at=$((first - 1))

# replay LABEL OUT ACCEL ARGS...: stdin closed, no input but the log's.
replay() {
    local label=$1 out=$2 accel=$3
    shift 3
    timeout 600 "$SOFTVM" -accel "$accel" "${machine[@]}" "$@" </dev/null \
        >"$out.out" 2>"$out.err"
    local rc=$?
    [[ $rc == 0 ]] || { fail "$label: exit status $rc"; tail -5 "$out.err"; return 1; }
    grep -q "replay of .* complete" "$out.err" || { fail "$label: no success message"; return 1; }
    local h
    h=$(grep -o 'state hash [0-9a-f]* at instruction [0-9]*' "$out.err")
    [[ $h == "$rec_hash" ]] || { fail "$label: $h, the recording's: $rec_hash"; return 1; }
    echo "  $label: $h (the recording's)"
}

echo "replay ($fast, whole run, snapshot at instruction $snap_at):"
if replay "replay $fast" "$work/rep" "$fast" -icount shift=0,rr=replay,rrfile="$work/log.rr" \
        -snapshot-at "$snap_at,file=$work/mid.snap"; then
    if cmp -s "$work/rec.out" "$work/rep.out"; then
        echo "  console byte-identical ($(wc -c < "$work/rec.out") bytes)"
    else
        fail "the replay's console differs from the recording's:"
        cmp "$work/rec.out" "$work/rep.out" | head -3
    fi
fi

for accel in "${accels[@]}"; do
    [[ -f $work/mid.snap ]] || { fail "no snapshot from the replay"; break; }
    echo "replay ($accel, from the snapshot at $snap_at):"
    replay "replay $accel from the snapshot" "$work/tail-$accel" "$accel" \
        -icount shift=0,rr=replay,rrfile="$work/log.rr" -loadvm "$work/mid.snap" || continue
    n=$(wc -c < "$work/tail-$accel.out")
    if [[ $n -gt 0 ]] && cmp -s <(tail -c "$n" "$work/rec.out") "$work/tail-$accel.out" &&
       grep -q "$want_data" "$work/tail-$accel.out"; then
        echo "  console: the recording's last $n bytes (the whole typed session)"
    else
        fail "$accel from the snapshot: the console is not the tail of the recording's"
    fi
done

echo "bad logs:"
# refused LABEL PATTERN LOG [ARGS...]: exit status 1 and PATTERN in the message.
refused() {
    local label=$1 pattern=$2 log=$3
    shift 3
    timeout 60 "$SOFTVM" -accel "$fast" "${machine[@]}" -icount shift=0,rr=replay,rrfile="$log" \
        "$@" </dev/null >/dev/null 2>"$work/bad.err"
    local rc=$?
    if [[ $rc == 1 ]] && grep -q "$pattern" "$work/bad.err"; then
        echo "  $label: refused: $(head -1 "$work/bad.err")"
    else
        fail "$label: exit status $rc: $(head -3 "$work/bad.err")"
    fi
}
size=$(stat -c %s "$work/log.rr")
cp "$work/log.rr" "$work/flip.rr"
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 0x10; open(sys.argv[1], "wb").write(b)' "$work/flip.rr"
refused "one byte changed" "corrupt" "$work/flip.rr"
head -c $((size - 30)) "$work/log.rr" > "$work/cut.rr"
refused "cut short" "truncated" "$work/cut.rr"
refused "another machine (-m 128)" "MiB of RAM" "$work/log.rr" -m 128
exit $status
