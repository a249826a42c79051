#!/usr/bin/env bash
# Install the Debian packages softvm needs to build, test and boot its guests.
#
#   bash tests/install-deps.sh          build + test dependencies
#   bash tests/install-deps.sh --bench  also qemu-system-x86 (for bench/ only)
#
# Only installs what is missing (checked with dpkg-query), runs `apt-get update`
# only when something has to be fetched, and enables the i386 architecture so
# the guest builder can `apt-get download` i386 packages. Safe to run twice.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

say() { echo "[install-deps] $*"; }

PACKAGES=(
    build-essential cmake pkg-config nasm
    libcapstone-dev libelf-dev libsdl2-dev libcriterion-dev libslirp-dev
    python3 cpio gzip kmod seabios gdb
    zlib1g-dev libzstd-dev qemu-utils e2fsprogs clang libclang-rt-dev xorriso
    isolinux syslinux-common
    libpng-dev xvfb xdotool acpica-tools
    qemu-system-x86   # the QMP case compares softvm's replies with qemu-system-i386's
    libseccomp-dev    # -sandbox on
)
if [[ "${1:-}" == "--bench" ]]; then
    PACKAGES+=(qemu-system-x86)
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
        SUDO=(sudo -E)
    else
        say "error: not root and no sudo; run this as root" >&2
        exit 1
    fi
fi

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == "installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
    is_installed "$p" || missing+=("$p")
done

need_update=0

# The guest images are built from i386 packages: apt must know that architecture.
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    say "adding the i386 architecture (dpkg --add-architecture i386)"
    "${SUDO[@]}" dpkg --add-architecture i386
    need_update=1
fi
# ...and must have the i386 package lists (an update may never have run since).
if [[ $need_update -eq 0 ]] && ! compgen -G '/var/lib/apt/lists/*_binary-i386_Packages*' >/dev/null; then
    say "the i386 package lists are missing"
    need_update=1
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    say "missing packages: ${missing[*]}"
    need_update=1
fi

if [[ $need_update -eq 1 ]]; then
    say "running apt-get update"
    # A mirror that is mid-sync can fail one index file; that is not fatal as
    # long as the lists we need arrived, so retry once and then carry on.
    if ! "${SUDO[@]}" apt-get update -q; then
        say "apt-get update reported errors; retrying once"
        "${SUDO[@]}" apt-get update -q ||
            say "warning: apt-get update still reports errors; continuing with the lists we have"
    fi
fi

if [[ ${#missing[@]} -gt 0 ]]; then
    say "installing: ${missing[*]}"
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    say "all ${#PACKAGES[@]} packages already installed"
fi
