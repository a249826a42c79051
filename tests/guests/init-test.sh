#!/bin/sh
# /init of test-initramfs.cpio.gz: boot, run the workloads, power off.
# The console shows, in order:
#   MARK boot-ok <uptime>
#   MARK shell-loop <uptime> 200000
#   MARK md5-32M <uptime> <md5>
#   MARK gzip-seq <uptime> <md5>
#   MARK fp-awk <uptime> <md5>
#   MARK done <uptime>
. /lib/softvm/guest-lib.sh
guest_setup
mark boot-ok
# "softvm.disktest" on the command line: the disk workload instead (disktest.sh);
# "softvm.net=MODEL": the network workload (nettest.sh); "softvm.quick": only
# the cheap workloads (md5-busybox, fp-awk), for runs on the interpreter
case " $(cat /proc/cmdline) " in
*" softvm.disktest "*) exec softvm-disktest ;;
*" softvm.net="*) exec softvm-nettest ;;
*" softvm.quick "*) softvm-workloads quick; mark done; poweroff -f ;;
esac
softvm-workloads
mark done
poweroff -f
