#!/usr/bin/env bash
# The whole softvm test suite, from a fresh Debian bookworm machine (as root):
#
#   bash tests/run-all.sh           install, build, unit tests, harness
#                                   self-tests, guest tests
#   bash tests/run-all.sh --asan    and also the unit tests under ASan+UBSan
#                                   in build-asan/, the guest cases that boot
#                                   no Linux on that build's JIT, and a
#                                   bounded run of the qcow2 fuzz target
#                                   (what .ci/run does)
#
# Steps: install missing packages; configure and build (Release) in build/;
# build the guest images and fetch the firmware (cached outside the checkout);
# ctest; tests/guest/test_harness.py; tests/guest/suite.sh (every case on
# each engine: interp and jit on x86-64 Linux hosts). A failing step
# does not stop the later ones. The last line is the total over unit tests,
# harness self-tests and guest cases (a failed step counts as one failure):
#   N passed, N failed, N skipped
# and the exit status is 1 if anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

asan=0
case ${1:-} in
    "") ;;
    --asan) asan=1 ;;
    *) echo "usage: bash tests/run-all.sh [--asan]" >&2; exit 2 ;;
esac

jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 skipped=0
problems=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() {
    echo
    echo "==> [run-all] $* ($(date +%H:%M:%S), $((SECONDS))s so far)"
}
broken() {
    echo "==> [run-all] FAILED: $*"
    failed=$((failed + 1))
    problems+=("$*")
}

# run_ctest DIR: run the unit tests registered in DIR and add up the results.
run_ctest() {
    local dir=$1
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    if grep -q 'No tests were found' "$log"; then
        echo "==> [run-all] no unit tests registered in $dir yet"
        [[ $rc -eq 0 ]] || broken "ctest in $dir (exit status $rc)"
        return
    fi
    local line='^ *[0-9]+/[0-9]+ +Test +#[0-9]+: '
    local p s t f
    p=$(grep -cE "$line.* Passed " "$log")
    s=$(grep -cE "$line.*(\*\*\*Skipped|Not Run \(Disabled\))" "$log")
    t=$(grep -cE "$line" "$log")
    f=$((t - p - s))
    echo "==> [run-all] ctest in $dir: passed=$p failed=$f skipped=$s"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    if [[ $f -gt 0 ]]; then
        problems+=("$f unit test(s) in $dir")
    elif [[ $rc -ne 0 ]]; then
        broken "ctest in $dir (exit status $rc)"
    fi
}

# add_counts NAME: add "passed=N failed=N skipped=N" from the last line of
# $log that carries them (written by the harness self-tests and guest suite).
add_counts() {
    local counts p f s
    counts=$(grep -E 'passed=[0-9]+ failed=[0-9]+ skipped=[0-9]+' "$log" | tail -n 1)
    if [[ -z $counts ]]; then
        broken "$1 (printed no result line)"
        return
    fi
    p=$(sed -E 's/.*passed=([0-9]+).*/\1/' <<<"$counts")
    f=$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$counts")
    s=$(sed -E 's/.*skipped=([0-9]+).*/\1/' <<<"$counts")
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    [[ $f -eq 0 ]] || problems+=("$f $1")
}

step "1. installing missing packages (tests/install-deps.sh)"
bash tests/install-deps.sh || broken "installing packages"

step "2. configuring and building softvm (Release) in build/"
built=0
if [[ ! -f CMakeLists.txt ]]; then
    broken "build: no CMakeLists.txt"
elif cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j "$jobs"; then
    built=1
else
    broken "build in build/"
fi

step "3. building the guest images (tests/guests/build.sh)"
bash tests/guests/build.sh || broken "guest images"
bash tests/guests/build.sh --arch amd64 || broken "amd64 guest images"

step "4. fetching the firmware (roms/fetch-firmware.sh)"
bash roms/fetch-firmware.sh || broken "firmware"

step "5. unit tests (ctest --test-dir build)"
if [[ $built -eq 1 ]]; then
    run_ctest build
else
    echo "==> [run-all] skipped: the build failed"
fi

step "6. guest-test harness self-tests (tests/guest/test_harness.py)"
python3 tests/guest/test_harness.py 2>&1 | tee "$log"
add_counts "harness self-test(s)"

step "7. guest tests (tests/guest/suite.sh)"
if [[ ! -f tests/guest/suite.sh ]]; then
    echo "==> [run-all] no tests/guest/suite.sh: no guest tests"
elif [[ $built -eq 1 ]]; then
    bash tests/guest/suite.sh 2>&1 | tee "$log"
    add_counts "guest case(s)"
else
    echo "==> [run-all] skipped: the build failed"
fi

if [[ $asan -eq 1 ]]; then
    step "8. unit tests under ASan+UBSan (build-asan/)"
    if [[ ! -f CMakeLists.txt ]]; then
        broken "sanitizer build: no CMakeLists.txt"
    elif cmake -S . -B build-asan -DSOFTVM_SANITIZE=ON && cmake --build build-asan -j "$jobs"; then
        run_ctest build-asan
    else
        broken "sanitizer build in build-asan/"
    fi

    # The JIT's helpers, code cache and chaining under the sanitizers with
    # real guest code (SeaBIOS in real and protected mode, the Multiboot
    # kernels); the Linux boots would take too long on this build.
    step "9. guest cases without Linux on the ASan+UBSan build's JIT (tests/guest/suite.sh)"
    if [[ $(uname -m) != x86_64 || $(uname -s) != Linux ]]; then
        echo "==> [run-all] skipped: the JIT needs an x86-64 Linux host"
    elif [[ -x build-asan/softvm ]]; then
        mapfile -t short < <(cd tests/guest/cases && ls ./*.sh | sed 's|^\./||; s|\.sh$||' | grep -v '^linux-')
        SOFTVM=$ROOT/build-asan/softvm SOFTVM_ACCELS=jit bash tests/guest/suite.sh "${short[@]}" 2>&1 |
            tee "$log"
        add_counts "guest case(s) on the ASan build"
    else
        broken "no build-asan/softvm for the sanitizer guest cases"
    fi

    step "10. qcow2 parser fuzzing, bounded (tests/fuzz/run.sh, FUZZ_SECONDS=${FUZZ_SECONDS:-60})"
    if bash tests/fuzz/run.sh build-asan/fuzz; then
        passed=$((passed + 1))
    else
        broken "qcow2 fuzz target (tests/fuzz/run.sh)"
    fi
fi

echo
echo "==> [run-all] finished in $((SECONDS))s"
for p in "${problems[@]}"; do echo "==> [run-all] failed: $p"; done
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
