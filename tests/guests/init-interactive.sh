#!/bin/sh
# /init of interactive-initramfs.cpio.gz: a busybox shell on the console.
# Leaving the shell powers the machine off.
. /lib/softvm/guest-lib.sh
guest_setup
echo
echo "softvm guest: Linux $(uname -r), $(busybox | head -n 1 | cut -d ' ' -f 1-2)"
echo "Type 'exit' to power off. 'softvm-workloads' runs the test workloads."
echo
# setsid + cttyhack give the shell a controlling terminal (the real console
# device, e.g. ttyS0), so job control and Ctrl-C work.
setsid cttyhack sh -l
echo "shell exited; powering off"
poweroff -f
