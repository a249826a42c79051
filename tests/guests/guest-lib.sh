# Shared shell functions for the softvm test guests.
# Installed in both initramfs images as /lib/softvm/guest-lib.sh and sourced
# by their /init and by softvm-workloads. Runs under busybox sh.

# guest_setup: mount the kernel filesystems and install the busybox applet
# links. Only /bin/busybox and /bin/sh exist before this runs.
guest_setup() {
    /bin/busybox mount -t proc proc /proc
    # --install needs /proc mounted: it resolves /proc/self/exe for the
    # link target (/bin/busybox).
    /bin/busybox --install -s
    export PATH=/bin:/sbin:/usr/bin:/usr/sbin
    export HOME=/root
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev
    # An image built without root has no /dev/console node, so the kernel
    # could not give init a console: open it now.
    [ -e /proc/self/fd/1 ] || exec </dev/console >/dev/console 2>&1
    mkdir -p /dev/pts
    mount -t devpts devpts /dev/pts
    hostname softvm
}

# mark NAME [VALUE]: print "MARK NAME UPTIME [VALUE]" on the console.
# UPTIME is the first field of /proc/uptime (seconds since boot, guest time).
mark() {
    read -r up _ < /proc/uptime
    echo "MARK $1 $up${2:+ $2}"
}
