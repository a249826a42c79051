#!/bin/sh
# softvm-disktest: the disk workload of test-initramfs.cpio.gz, run by its
# /init instead of the usual workloads when the kernel command line has
# "softvm.disktest". Loads the stock kernel's own modules (ata_piix + sd_mod
# for IDE, virtio_pci + virtio_blk for virtio, ext4 for ext2/ext4), then for
# each of /dev/sda (IDE) and /dev/vda (virtio):
#   MARK read-sda <uptime> <md5 of data1, data2, sub/data3 concatenated>
#   MARK read-vda <uptime> <...>
# writes /out = data2 followed by data1 and /gen = the output of
# "seq 1 100000" (data the host makes on its own) on each, runs sync, and
# prints
#   MARK synced <uptime>
# then waits: the host kills softvm (kill -9) and checks the images. With
# "softvm.disktest.poweroff" also on the command line it powers off instead
# (poweroff -f right after the sync: softvm must write back and close the
# images as it exits).
. /lib/softvm/guest-lib.sh
for m in ata_piix sd_mod virtio_pci virtio_blk ext4; do
    modprobe "$m" || echo "disktest: modprobe $m failed"
done
for dev in sda vda; do
    n=0
    while [ ! -b /dev/$dev ] && [ $n -lt 20 ]; do
        sleep 1
        n=$((n + 1))
    done
    if [ ! -b /dev/$dev ]; then
        echo "disktest: no /dev/$dev; block devices: $(ls /sys/block)"
        echo "disktest: PCI functions: $(ls /sys/bus/pci/devices)"
        dmesg | grep -iE 'ata|scsi|virtio|pci|irq' | tail -40
    fi
    mkdir -p /mnt/$dev
    mount /dev/$dev /mnt/$dev || echo "disktest: mount /dev/$dev failed"
    sum=$(cat /mnt/$dev/data1 /mnt/$dev/data2 /mnt/$dev/sub/data3 | md5sum)
    mark read-$dev "${sum%% *}"
    cat /mnt/$dev/data2 /mnt/$dev/data1 > /mnt/$dev/out
    seq 1 100000 > /mnt/$dev/gen
done
sync
mark synced
case " $(cat /proc/cmdline) " in
*" softvm.disktest.poweroff "*) poweroff -f ;;
esac
while :; do sleep 1000; done
