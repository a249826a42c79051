#!/usr/bin/env bash
# Guest tests: boot real guests under softvm and check their console.
#
#   bash tests/guest/suite.sh [CASE...]     (default: every case)
#
# Each test is one script tests/guest/cases/NAME.sh, run with bash from the
# repository root. It exits 0 (pass), 77 (skip: print why) or anything else
# (fail). Most cases run softvm under tests/guest/harness.py, which enforces
# a time limit, checks the MARK lines and prints the console on failure; see
# cases/linux-test-initramfs.sh for the pattern. A case may take at most
# $CASE_TIMEOUT seconds (default 1500) and is killed after that. Cases run in
# parallel ($SUITE_JOBS); tests/run-all.sh must finish well under 30 minutes.
#
# The environment a case gets (build the guests and firmware first:
# tests/run-all.sh does, or bash tests/guests/build.sh; bash roms/fetch-firmware.sh):
#   SOFTVM                    the binary under test (default build/softvm)
#   SOFTVM_ACCELS, SOFTVM_ACCEL  the engine of this run (see "The engines" below)
#   CONSOLE_DIR               where the case puts deterministic consoles to
#                             compare across engines (see below)
#   HARNESS                   tests/guest/harness.py (run it with python3)
#   SOFTVM_CACHE              the cache directory holding the images below
#   GUEST_KERNEL              Debian's stock i686 kernel (vmlinuz)
#   GUEST_TEST_INITRD         test-initramfs.cpio.gz: workloads, MARKs, power-off
#   GUEST_INTERACTIVE_INITRD  interactive-initramfs.cpio.gz: a shell on ttyS0
#   GUEST_EXPECTED_MARKS      tests/guests/expected-marks (harness --expect-file)
#   GUEST_KERNEL_AMD64, GUEST_TEST_INITRD_AMD64, GUEST_INTERACTIVE_INITRD_AMD64
#                             the same three for x86-64 (Debian's amd64 kernel and
#                             busybox: bash tests/guests/build.sh --arch amd64)
#   FIRMWARE_BIOS             SeaBIOS bios.bin
#   FIRMWARE_VGABIOS          SeaVGABIOS vgabios-stdvga.bin
#
# Every case's log starts with the guest images' kernel and busybox versions
# (guests.manifest). The last line printed is
# `guest suite: passed=N failed=N skipped=N`; the exit status is 1 if any case
# failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

export SOFTVM=${SOFTVM:-$ROOT/build/softvm}
export HARNESS=$ROOT/tests/guest/harness.py
export SOFTVM_CACHE=${SOFTVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvm}
export GUEST_KERNEL=$SOFTVM_CACHE/vmlinuz
export GUEST_TEST_INITRD=$SOFTVM_CACHE/test-initramfs.cpio.gz
export GUEST_INTERACTIVE_INITRD=$SOFTVM_CACHE/interactive-initramfs.cpio.gz
export GUEST_EXPECTED_MARKS=$ROOT/tests/guests/expected-marks
export GUEST_KERNEL_AMD64=$SOFTVM_CACHE/vmlinuz-amd64
export GUEST_TEST_INITRD_AMD64=$SOFTVM_CACHE/test-initramfs-amd64.cpio.gz
export GUEST_INTERACTIVE_INITRD_AMD64=$SOFTVM_CACHE/interactive-initramfs-amd64.cpio.gz
export FIRMWARE_BIOS=$SOFTVM_CACHE/bios.bin
export FIRMWARE_VGABIOS=$SOFTVM_CACHE/vgabios-stdvga.bin
CASE_TIMEOUT=${CASE_TIMEOUT:-1500}

if [[ $# -gt 0 ]]; then
    cases=()
    for name in "$@"; do cases+=("tests/guest/cases/${name%.sh}.sh"); done
else
    cases=(tests/guest/cases/*.sh)
    [[ -e ${cases[0]} ]] || cases=()
fi

# The engines: every case runs once per engine in $SOFTVM_ACCELS (default
# "interp jit" on x86-64 Linux hosts, where the JIT is built, else "interp").
# A case's run gets SOFTVM_ACCELS set to that one engine (the cases loop over
# it, so a case run by hand still covers several) and SOFTVM_ACCEL to the
# same; a case must pass one of them to softvm's -accel (suite.sh says so
# when a case reads neither). A case whose header has the line "# suite: once" runs one time, with
# $SOFTVM_ACCELS whole, for cases that are about the engines themselves.
if [[ -n ${SOFTVM_ACCELS:-} ]]; then
    read -r -a accels <<<"$SOFTVM_ACCELS"
elif [[ $(uname -m) == x86_64 && $(uname -s) == Linux ]]; then
    accels=(interp jit)
else
    accels=(interp)
fi
echo "engines: ${accels[*]}"

# Consoles compared across engines: a case whose run is deterministic (fixed
# -rtc base, -clock deterministic) writes each console it checks to
# $CONSOLE_DIR/NAME.log. After every run, each NAME.log that two or more
# engines of a case wrote must be byte-identical across them; each such
# comparison counts as one result ("NAME [interp=jit]").

# Jobs (case, engine) run $SUITE_JOBS at a time (default: the number of
# cores, at most 4), never two of one case at once; each one's output is
# kept in a file and printed whole when all have ended, in order. The slow engine's runs of the slow cases
# start first, so the fast ones fill in around them.
max_jobs=${SUITE_JOBS:-$(nproc 2>/dev/null || echo 1)}
(( max_jobs > 4 )) && max_jobs=4
(( max_jobs < 1 )) && max_jobs=1
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# The guest the images hold, from the builder's manifest: tests/guests/build.sh
# takes Debian's newest kernel and busybox, so every case's log names them and
# a change of guest shows as such (e.g. when the determinism case's output moves).
guest_versions() {
    local manifest=$SOFTVM_CACHE/guests.manifest kernel busybox
    if [[ ! -f $manifest ]]; then
        echo "guest images: no $manifest (not built yet)"
        return
    fi
    kernel=$(awk '$1 == "kernel-package" { print $2, $3 }' "$manifest")
    busybox=$(awk '$1 == "busybox-package" { print $2, $3 }' "$manifest")
    echo "guest images: kernel ${kernel:-unknown}, busybox ${busybox:-unknown} ($manifest)"
}
guest_line=$(guest_versions)
echo "$guest_line"

job_case=() job_accel=()
for case in "${cases[@]}"; do
    if [[ -f $case ]] && ! grep -q 'SOFTVM_ACCEL' "$case"; then
        echo "NOTE: $case reads neither SOFTVM_ACCELS nor SOFTVM_ACCEL: every one of its" \
             "runs is on softvm's default engine"
    fi
    if [[ -f $case ]] && grep -q '^# suite: once$' "$case"; then
        job_case+=("$case"); job_accel+=("")
    else
        for a in "${accels[@]}"; do job_case+=("$case"); job_accel+=("$a"); done
    fi
done
# Start order: Linux cases on the interpreter first, then the other Linux
# runs, then the rest (each group in case order).
group() {   # group JOB: 1 Linux on the interpreter (with other engines), 2 other Linux, 3 the rest
    [[ $(basename "${job_case[$1]}") == linux-* ]] || { echo 3; return; }
    if [[ ${job_accel[$1]} == interp && ${#accels[@]} -gt 1 ]]; then echo 1; else echo 2; fi
}
order=()
for g in 1 2 3; do
    for j in "${!job_case[@]}"; do
        [[ $(group "$j") == "$g" ]] && order+=("$j")
    done
done

run_job() {   # run_job INDEX: output to $logdir/INDEX.log, status to INDEX.rc
    local j=$1 case=${job_case[$1]} accel=${job_accel[$1]} start=$SECONDS status
    echo "$guest_line"
    if [[ ! -f $case ]]; then
        echo "no such case: $case"
        status=1
    else
        local con=$logdir/consoles/$(basename "$case" .sh)/${accel:-all}
        mkdir -p "$con"
        if [[ -n $accel ]]; then
            SOFTVM_ACCELS=$accel SOFTVM_ACCEL=$accel CONSOLE_DIR=$con \
                timeout --kill-after=10 "$CASE_TIMEOUT" bash "$case" < /dev/null
        else
            SOFTVM_ACCELS="${accels[*]}" CONSOLE_DIR=$con \
                timeout --kill-after=10 "$CASE_TIMEOUT" bash "$case" < /dev/null
        fi
        status=$?
    fi
    echo "$status $((SECONDS - start))" > "$logdir/$j.rc"
}

# Two runs of one case never overlap (a case may take a fixed resource: an X
# display, a TCP port): a job waits while another engine's run of its case
# is going, and a later job starts in its place.
declare -A running=()    # pid -> case
pending=("${order[@]}")
while (( ${#pending[@]} )); do
    for pid in "${!running[@]}"; do
        kill -0 "$pid" 2>/dev/null || unset "running[$pid]"
    done
    started=0
    if (( ${#running[@]} < max_jobs )); then
        for k in "${!pending[@]}"; do
            j=${pending[$k]}
            busy=0
            for pid in "${!running[@]}"; do
                [[ ${running[$pid]} == "${job_case[$j]}" ]] && busy=1
            done
            (( busy )) && continue
            run_job "$j" > "$logdir/$j.log" 2>&1 &
            running[$!]=${job_case[$j]}
            unset "pending[$k]"
            pending=("${pending[@]}")
            started=1
            break
        done
    fi
    (( started )) || wait -n 2>/dev/null || sleep 1
done
wait

passed=0 failed=0 skipped=0
failed_names=()
declare -A eng_pass eng_fail eng_skip
for j in "${!job_case[@]}"; do
    name=$(basename "${job_case[$j]}" .sh)
    accel=${job_accel[$j]}
    label="$name${accel:+ [$accel]}"
    key=${accel:-all}
    echo "--- case $label"
    cat "$logdir/$j.log"
    read -r status took < "$logdir/$j.rc"
    case $status in
        0)   echo "--- case $label: PASS (${took}s)"; passed=$((passed + 1))
             eng_pass[$key]=$(( ${eng_pass[$key]:-0} + 1 )) ;;
        77)  echo "--- case $label: SKIP (${took}s)"; skipped=$((skipped + 1))
             eng_skip[$key]=$(( ${eng_skip[$key]:-0} + 1 )) ;;
        124) echo "--- case $label: FAIL: killed after ${CASE_TIMEOUT}s (CASE_TIMEOUT)"
             failed=$((failed + 1)); failed_names+=("$label")
             eng_fail[$key]=$(( ${eng_fail[$key]:-0} + 1 )) ;;
        *)   echo "--- case $label: FAIL (exit status $status, ${took}s)"
             failed=$((failed + 1)); failed_names+=("$label")
             eng_fail[$key]=$(( ${eng_fail[$key]:-0} + 1 )) ;;
    esac
done

# The consoles across engines.
if (( ${#accels[@]} > 1 )); then
    for dir in "$logdir"/consoles/*/; do
        name=$(basename "$dir")
        for file in $(cd "$dir" && ls ./*/*.log 2>/dev/null | sed 's|^\./[^/]*/||' | sort -u); do
            have=()
            for a in "${accels[@]}"; do [[ -f $dir/$a/$file ]] && have+=("$a"); done
            (( ${#have[@]} >= 2 )) || continue
            label="$name: console ${file%.log} [$(IFS==; echo "${have[*]}")]"
            first=$dir/${have[0]}/$file
            same=1
            for a in "${have[@]:1}"; do
                if ! cmp -s "$first" "$dir/$a/$file"; then
                    same=0
                    echo "--- case $label: FAIL: ${have[0]} and $a differ (first differences):"
                    diff "$first" "$dir/$a/$file" | head -n 20
                fi
            done
            if (( same )); then
                echo "--- case $label: PASS (identical, $(wc -l < "$first") lines, $(wc -c < "$first") bytes)"
                passed=$((passed + 1))
            else
                failed=$((failed + 1)); failed_names+=("$label")
            fi
        done
    done
fi

for key in "${accels[@]}" all; do
    [[ -n ${eng_pass[$key]:-}${eng_fail[$key]:-}${eng_skip[$key]:-} ]] || continue
    echo "engine ${key/#all/(once, all engines)}: ${eng_pass[$key]:-0} passed," \
         "${eng_fail[$key]:-0} failed, ${eng_skip[$key]:-0} skipped"
done
[[ $failed -eq 0 ]] || echo "failed cases: ${failed_names[*]}"
echo "guest suite: passed=$passed failed=$failed skipped=$skipped"
[[ $failed -eq 0 ]]
