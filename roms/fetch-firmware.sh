#!/usr/bin/env bash
# Put the PC firmware softvm boots with into the cache directory:
#   bios.bin            SeaBIOS, 128 KiB build
#   bios-256k.bin       SeaBIOS, 256 KiB build (QEMU's default image)
#   vgabios-stdvga.bin  SeaVGABIOS for the standard (Bochs VBE) VGA adapter
# All come from Debian's `seabios` package, installed here if missing.
# Nothing is downloaded into the checkout, and no binary is ever committed.
#
#   bash roms/fetch-firmware.sh
#
# The cache is ${SOFTVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvm}.
set -euo pipefail

CACHE=${SOFTVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvm}
SRC=/usr/share/seabios
FILES=(bios.bin bios-256k.bin vgabios-stdvga.bin)

say() { echo "[firmware] $*"; }

if [[ "$(dpkg-query -W -f='${db:Status-Status}' seabios 2>/dev/null)" != installed ]]; then
    say "installing Debian's seabios package"
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y -q --no-install-recommends seabios || {
        "${sudo[@]}" apt-get update -q || true
        "${sudo[@]}" apt-get install -y -q --no-install-recommends seabios
    }
fi

mkdir -p "$CACHE"
version=$(dpkg-query -W -f='${Version}' seabios)
for f in "${FILES[@]}"; do
    [[ -f $SRC/$f ]] || { say "error: $SRC/$f missing (dpkg -L seabios lists what the package ships)" >&2; exit 1; }
    if cmp -s "$SRC/$f" "$CACHE/$f"; then
        say "up to date: $CACHE/$f"
    else
        cp "$SRC/$f" "$CACHE/$f.tmp"
        mv "$CACHE/$f.tmp" "$CACHE/$f"
        say "copied:     $CACHE/$f (seabios $version)"
    fi
done
(cd "$CACHE" && sha256sum "${FILES[@]}") > "$CACHE/firmware.sha256"
say "checksums:  $CACHE/firmware.sha256"
