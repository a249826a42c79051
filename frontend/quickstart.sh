#!/usr/bin/env bash
# Build softvm and boot the default guest: Debian's stock i686 Linux kernel
# with a busybox shell on this terminal (the serial console).
#
#   bash frontend/quickstart.sh [EXTRA SOFTVM OPTIONS...]
#
# As root (or with sudo available): installs missing packages, builds
# build/softvm (Release), builds the guest images and fetches the firmware
# into ${XDG_CACHE_HOME:-~/.cache}/softvm, then runs softvm. Safe to run
# again: each step only does what is not done yet. Type `exit` in the guest
# shell to power it off.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CACHE=${SOFTVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvm}

say() { echo "==> [quickstart] $*"; }

say "1. installing missing packages (tests/install-deps.sh)"
bash tests/install-deps.sh

say "2. building softvm (Release) in build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"

say "3. building the guest images (tests/guests/build.sh)"
bash tests/guests/build.sh

say "4. fetching the firmware (roms/fetch-firmware.sh)"
bash roms/fetch-firmware.sh

cmd=(build/softvm -m 256 -kernel "$CACHE/vmlinuz"
     -initrd "$CACHE/interactive-initramfs.cpio.gz"
     -append "console=ttyS0" -nographic "$@")
say "5. booting: ${cmd[*]}"
exec "${cmd[@]}"
