#!/usr/bin/env bash
# The layering of the source folders (docs/ARCHITECTURE.md, "Layers"):
#
#   frontend/              the host side: CLI, console, chardevs, trace, gdbstub
#   devices/machine/       struct machine, its run loop, the board, the loaders
#   cpu/ memory/ translator/ devices/   the CPU, memory and the devices
#
# A file may include headers of its own layer and of the layers below, never
# above. This fails (exit 1, naming each offending line) if a file outside
# frontend/ includes a frontend/ header, or a file below the machine includes
# a devices/machine/ header.
#
#   bash tests/check-layering.sh [ROOT]     check ROOT (default: this checkout)
#   bash tests/check-layering.sh --self-test
#                                           show that both rules can fail
set -uo pipefail

check() {
    local root=$1 bad=0 line
    # frontend/ is the top: nothing in the engine or the machine reaches it.
    while IFS= read -r line; do
        echo "layering: $line: includes a frontend/ header from below frontend/"
        bad=1
    done < <(cd "$root" && grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](\.\./)*frontend/' \
                 --include='*.c' --include='*.h' cpu memory translator devices 2>/dev/null)
    # The machine sits on the CPU, memory and devices, not the other way round.
    while IFS= read -r line; do
        echo "layering: $line: includes a devices/machine/ header from below the machine"
        bad=1
    done < <(cd "$root" && grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](\.\./)*(devices/)?machine/' \
                 --include='*.c' --include='*.h' cpu memory translator devices 2>/dev/null |
             grep -v '^devices/machine/')
    return $bad
}

if [[ ${1:-} == --self-test ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp"/{cpu,memory,translator,devices/machine,frontend}
    printf '#include "cpu/cpu.h"\n' > "$tmp/cpu/good.c"
    printf '#include "cpu/cpu.h"\n#include "devices/machine/pc.h"\n' > "$tmp/devices/machine/m.c"
    printf '#include "frontend/console.h"\n#include "devices/machine/machine.h"\n' > "$tmp/frontend/f.c"
    check "$tmp" >/dev/null || { echo "self-test: a clean tree failed"; exit 1; }
    printf '#include "frontend/trace.h"\n' > "$tmp/cpu/bad.c"
    out=$(check "$tmp") && { echo "self-test: cpu/ including frontend/ passed"; exit 1; }
    grep -q 'cpu/bad.c:1' <<<"$out" || { echo "self-test: not named: $out"; exit 1; }
    rm "$tmp/cpu/bad.c"
    printf '  #  include <devices/machine/machine.h>\n' > "$tmp/memory/bad.h"
    out=$(check "$tmp") && { echo "self-test: memory/ including the machine passed"; exit 1; }
    grep -q 'memory/bad.h:1' <<<"$out" || { echo "self-test: not named: $out"; exit 1; }
    rm "$tmp/memory/bad.h"
    printf '#include "frontend/host.h"\n' > "$tmp/devices/machine/bad.c"
    out=$(check "$tmp") && { echo "self-test: the machine including frontend/ passed"; exit 1; }
    grep -q 'devices/machine/bad.c:1' <<<"$out" || { echo "self-test: not named: $out"; exit 1; }
    echo "self-test: both rules fail on a bad include and pass a clean tree"
    exit 0
fi

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
if check "$root"; then
    echo "layering: ok (nothing below frontend/ includes it; nothing below the machine includes devices/machine/)"
else
    exit 1
fi
