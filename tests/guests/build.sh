#!/usr/bin/env bash
# Build the softvm test guests from Debian bookworm i386 (or amd64) packages.
#
#   bash tests/guests/build.sh                 the i386 guest (686 kernel)
#   bash tests/guests/build.sh --arch amd64    the x86-64 guest (amd64 kernel):
#       the same images from linux-image-amd64 and busybox-static:amd64,
#       written with an "-amd64" suffix (vmlinuz-amd64,
#       test-initramfs-amd64.cpio.gz, ..., guests-amd64.manifest)
#
# Downloads (apt-get download, checked against the SHA256 apt reports):
#   linux-image-686:i386  -> the real kernel package it depends on
#                            (linux-image-6.1.*-686), stock and unmodified
#   busybox-static:i386
# and writes into the cache directory (never into the checkout):
#   vmlinuz                        the kernel
#   test-initramfs.cpio.gz         boots, runs fixed workloads, prints MARK
#                                  lines (see init-test.sh), powers off
#   interactive-initramfs.cpio.gz  a busybox shell on the console
#   guests.manifest                inputs and sha256 of each output
#
# The cache is ${SOFTVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvm}.
# Nothing is rebuilt while the inputs (package versions and checksums, and the
# files in this directory) are unchanged and the outputs match the manifest.
# Needs the packages of tests/install-deps.sh (which also enables i386).
set -euo pipefail

ARCH=i386
case "${1:-}" in
"") ;;
--arch) ARCH=${2:?--arch needs i386 or amd64} ;;
*) echo "usage: build.sh [--arch i386|amd64]" >&2; exit 2 ;;
esac
case $ARCH in
i386)  KFLAVOUR=686 SUFFIX= ;;
amd64) KFLAVOUR=amd64 SUFFIX=-amd64 ;;
*) echo "build.sh: unknown --arch $ARCH (i386 or amd64)" >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${SOFTVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvm}
DOWNLOADS=$CACHE/downloads
WORK=$CACHE/work$SUFFIX
MANIFEST=$CACHE/guests$SUFFIX.manifest
OUTPUTS=(vmlinuz$SUFFIX test-initramfs$SUFFIX.cpio.gz interactive-initramfs$SUFFIX.cpio.gz)

# Kernel modules later tests load (disk, CD-ROM, filesystems, NICs, the
# stdvga's DRM driver bochs). Their
# dependencies are added from each module's "depends" field. crc32c_generic is
# ext4's soft dependency (checksummed metadata). ext2 is not a module in
# Debian's 6.1 kernel: ext4 mounts ext2 (CONFIG_EXT4_USE_FOR_EXT2).
MODULES=(ata_piix sd_mod sr_mod ext2 ext4 crc32c_generic ne2k-pci e1000 virtio_pci virtio_blk virtio_net bochs)

# Every file gets this mtime so that the same inputs give the same images.
FIXED_MTIME=@1672531200   # 2023-01-01 00:00:00 UTC

say() { echo "[guests] $*"; }
die() { echo "[guests] error: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb cpio gzip sha256sum modinfo depmod flock; do
    command -v "$tool" >/dev/null || die "'$tool' not found; run: bash tests/install-deps.sh"
done

mkdir -p "$DOWNLOADS"
exec 9>"$CACHE/.build.lock"
flock 9   # one builder at a time per cache

# apt_records PKG...: apt's records of the candidate versions of PKG:$ARCH.
# (apt-cache can take a second or two per call, so ask for several at once.)
apt_records() {
    apt-cache show --no-all-versions "${@/%/:$ARCH}" 2>/dev/null || true
}

# field RECORDS PKG FIELD: FIELD of PKG's record in RECORDS.
field() {
    awk -v RS= -v pkg="$2" -v f="$3" '
        $0 ~ "(^|\n)Package: " pkg "(\n|$)" {
            n = split($0, lines, "\n")
            for (i = 1; i <= n; i++)
                if (index(lines[i], f ": ") == 1) { print substr(lines[i], length(f) + 3); exit }
        }' <<<"$1"
}

sha256_of() { sha256sum "$1" | cut -d ' ' -f 1; }

# resolve RECORDS PKG VAR: set VAR_pkg, VAR_version, VAR_sha256 and VAR_deb
# (the .deb's path in the download cache) from PKG's record in RECORDS.
resolve() {
    local records=$1 pkg=$2 var=$3 version sha file
    version=$(field "$records" "$pkg" Version)
    sha=$(field "$records" "$pkg" SHA256)
    file=$(field "$records" "$pkg" Filename)
    if [[ -z $version || -z $sha || -z $file ]]; then
        die "apt knows no $pkg:$ARCH; run: bash tests/install-deps.sh (it enables i386 and updates the package lists)"
    fi
    printf -v "${var}_pkg" '%s' "$pkg"
    printf -v "${var}_version" '%s' "$version"
    printf -v "${var}_sha256" '%s' "$sha"
    printf -v "${var}_deb" '%s' "$DOWNLOADS/$(basename "$file")"
}

# fetch VAR: make sure ${VAR_deb} is present and matches ${VAR_sha256}.
fetch() {
    local var=$1
    local pkg=${var}_pkg version=${var}_version sha=${var}_sha256 deb=${var}_deb
    pkg=${!pkg} version=${!version} sha=${!sha} deb=${!deb}
    if [[ -f $deb && $(sha256_of "$deb") == "$sha" ]]; then
        say "cached:      $(basename "$deb") (sha256 ok)"
        return
    fi
    say "downloading: $pkg:$ARCH $version"
    local tmp
    tmp=$(mktemp -d "$DOWNLOADS/.download.XXXXXX")
    local apt_opts=(-q)
    # As root, apt would hand the download to the _apt user, who cannot
    # write into a private cache directory.
    [[ $(id -u) -eq 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)
    if ! (cd "$tmp" && apt-get download "${apt_opts[@]}" "$pkg:$ARCH=$version"); then
        rm -rf "$tmp"
        die "apt-get download $pkg:$ARCH=$version failed"
    fi
    local got actual
    got=$(find "$tmp" -name '*.deb' | head -n 1)
    actual=$(sha256_of "$got")
    if [[ $actual != "$sha" ]]; then
        rm -rf "$tmp"
        die "$pkg: sha256 $actual does not match apt's $sha"
    fi
    mv "$got" "$deb"
    rm -rf "$tmp"
    say "verified:    $(basename "$deb") sha256 $sha"
}

# --- which packages -------------------------------------------------------

records=$(apt_records linux-image-$KFLAVOUR busybox-static)
meta_depends=$(field "$records" linux-image-$KFLAVOUR Depends)
kernel_pkg=${meta_depends%% *}
kernel_pkg=${kernel_pkg%,}
[[ $kernel_pkg == linux-image-6.1.*-$KFLAVOUR ]] ||
    die "linux-image-$KFLAVOUR:$ARCH depends on '$meta_depends', expected linux-image-6.1.*-$KFLAVOUR (run: bash tests/install-deps.sh)"
resolve "$records" busybox-static busybox
resolve "$(apt_records "$kernel_pkg")" "$kernel_pkg" kernel
say "kernel:  $kernel_pkg $kernel_version"
say "busybox: busybox-static $busybox_version"

# The inputs: both packages (name, version, checksum), the module list and
# every file of this directory but the *.md docs. A change to any of them rebuilds.
inputs=$(
    echo "kernel $kernel_pkg $kernel_version $kernel_sha256"
    echo "busybox $busybox_version $busybox_sha256"
    echo "modules ${MODULES[*]}"
    cd "$HERE" && find . -type f ! -name '*.md' -printf '%P\n' | LC_ALL=C sort | xargs sha256sum
)
inputs_sha=$(sha256sum <<<"$inputs" | cut -d ' ' -f 1)

up_to_date() {
    [[ -f $MANIFEST ]] || return 1
    [[ $(sed -n 's/^inputs //p' "$MANIFEST") == "$inputs_sha" ]] || return 1
    (cd "$CACHE" && sed -n 's/^output //p' "$MANIFEST" | sha256sum --check --status) || return 1
}

if up_to_date; then
    say "up to date (inputs unchanged, outputs match $MANIFEST)"
    for f in "${OUTPUTS[@]}"; do say "  $CACHE/$f"; done
    exit 0
fi

# --- download and unpack --------------------------------------------------

fetch kernel
fetch busybox
# Keep only the packages in use (of this architecture: the other guest's stay).
for deb in "$DOWNLOADS"/*_"$ARCH".deb; do
    if [[ $deb != "$kernel_deb" && $deb != "$busybox_deb" ]]; then
        say "removing old download $(basename "$deb")"
        rm -f "$deb"
    fi
done

say "unpacking into $WORK"
rm -rf "$WORK"
mkdir -p "$WORK"
dpkg-deb -x "$kernel_deb" "$WORK/kernel"
dpkg-deb -x "$busybox_deb" "$WORK/busybox"

krel=$(cd "$WORK/kernel/lib/modules" && ls)
[[ -n $krel && $(wc -w <<<"$krel") -eq 1 ]] || die "expected one kernel release in $kernel_pkg, found: $krel"
kmods=$WORK/kernel/lib/modules/$krel
say "kernel release: $krel"

# --- kernel modules and their dependencies --------------------------------

# Module names use '_' and '-' interchangeably; index files by the '_' form.
declare -A module_file=()
while read -r rel; do
    name=${rel##*/}
    name=${name%.ko}
    module_file[${name//-/_}]=$rel
done < <(cd "$kmods" && find kernel -name '*.ko')

declare -A picked=()
pick_module() {
    local name=${1//-/_}
    [[ -n ${picked[$name]:-} ]] && return
    local rel=${module_file[$name]:-}
    if [[ -z $rel ]]; then
        if grep -q "/${name}\.ko\$\|/${1}\.ko\$" "$kmods/modules.builtin"; then
            say "  $1: built into the kernel"
        elif [[ $name == ext2 ]] && grep -q '^CONFIG_EXT4_USE_FOR_EXT2=y' "$WORK/kernel/boot/config-$krel"; then
            say "  ext2: not a module here; the ext4 module mounts ext2 (CONFIG_EXT4_USE_FOR_EXT2=y)"
        else
            die "module $1 is neither in $kernel_pkg nor built in"
        fi
        picked[$name]=builtin
        return
    fi
    picked[$name]=$rel
    local dep
    for dep in $(modinfo -F depends "$kmods/$rel" | tr ',' ' '); do
        pick_module "$dep"
    done
}
say "kernel modules:"
for m in "${MODULES[@]}"; do pick_module "$m"; done

# --- the shared root tree --------------------------------------------------

base=$WORK/base
mkdir -p "$base"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,lib/softvm,lib/modules/"$krel"}
chmod 1777 "$base/tmp"
chmod 700 "$base/root"
install -m 755 "$WORK/busybox/bin/busybox" "$base/bin/busybox"
ln -s busybox "$base/bin/sh"
# The kernel opens /dev/console for init before anything is mounted. Only
# root can make the node; without it, /init opens the console itself once
# devtmpfs is mounted (guest-lib.sh).
if [[ $(id -u) -eq 0 ]]; then
    mknod -m 600 "$base/dev/console" c 5 1
    mknod -m 666 "$base/dev/null" c 1 3
else
    say "not root: no /dev/console node in the images (/init opens the console itself)"
fi
install -m 644 "$HERE/guest-lib.sh" "$base/lib/softvm/guest-lib.sh"
install -m 755 "$HERE/workloads.sh" "$base/bin/softvm-workloads"
install -m 755 "$HERE/disktest.sh" "$base/bin/softvm-disktest"
install -m 755 "$HERE/nettest.sh" "$base/bin/softvm-nettest"
install -m 644 "$HERE/profile" "$base/etc/profile"
echo "root:x:0:0:root:/root:/bin/sh" > "$base/etc/passwd"
echo "root:x:0:" > "$base/etc/group"
echo softvm > "$base/etc/hostname"

for name in $(printf '%s\n' "${!picked[@]}" | LC_ALL=C sort); do
    rel=${picked[$name]}
    [[ $rel == builtin ]] && continue
    install -D -m 644 "$kmods/$rel" "$base/lib/modules/$krel/$rel"
    say "  $rel"
done
cp "$kmods"/modules.builtin "$kmods"/modules.builtin.modinfo "$kmods"/modules.order \
    "$base/lib/modules/$krel/"
depmod -b "$base" "$krel"   # writes modules.dep (and friends) for the copies

# --- pack ------------------------------------------------------------------

# pack ROOT OUT: a gzip'd newc cpio of ROOT, root-owned, fixed mtimes, sorted.
pack() {
    local root=$1 out=$2
    find "$root" -exec touch -h -d "$FIXED_MTIME" {} +
    (cd "$root" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
        cpio --create --format=newc --owner=0:0 --reproducible --quiet) |
        gzip -9 -n > "$out"
}

build_image() {
    local name=$1 init=$2 root=$WORK/$1
    cp -a "$base" "$root"
    install -m 755 "$HERE/$init" "$root/init"
    pack "$root" "$WORK/$name.cpio.gz"
    say "packed $name.cpio.gz ($(du -k "$WORK/$name.cpio.gz" | cut -f 1) KiB)"
}
build_image test-initramfs$SUFFIX init-test.sh
build_image interactive-initramfs$SUFFIX init-interactive.sh
cp "$WORK/kernel/boot/vmlinuz-$krel" "$WORK/vmlinuz$SUFFIX"

# Check the expected workload values against this very busybox, where the
# host can run an i386 binary (natively, or with qemu-i386 if installed).
set +e
bash "$HERE/verify-workloads.sh" "$WORK/busybox/bin/busybox"
verify=$?
set -e
if [[ $verify -eq 77 ]]; then
    say "(expected workload checksums not re-checked on this host)"
elif [[ $verify -ne 0 ]]; then
    die "busybox does not produce the expected workload values (tests/guests/expected-marks)"
fi

# --- install the outputs and the manifest ----------------------------------

rm -f "$MANIFEST"
for f in "${OUTPUTS[@]}"; do
    mv "$WORK/$f" "$CACHE/$f"
done
{
    echo "# softvm $ARCH guest images, written by tests/guests/build.sh"
    echo "inputs $inputs_sha"
    echo "kernel-package $kernel_pkg $kernel_version $kernel_sha256"
    echo "busybox-package busybox-static $busybox_version $busybox_sha256"
    echo "kernel-release $krel"
    echo "modules $(printf '%s\n' "${!picked[@]}" | LC_ALL=C sort | tr '\n' ' ')"
    (cd "$CACHE" && for f in "${OUTPUTS[@]}"; do echo "output $(sha256sum "$f")"; done)
} > "$MANIFEST.tmp"
mv "$MANIFEST.tmp" "$MANIFEST"
rm -rf "$WORK"   # the unpacked kernel package is ~190 MB; the .debs stay cached

say "done:"
for f in "${OUTPUTS[@]}"; do say "  $CACHE/$f"; done
say "  $MANIFEST"
