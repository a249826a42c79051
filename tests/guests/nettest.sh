#!/bin/sh
# softvm-nettest: the network workload of test-initramfs.cpio.gz, run by its
# /init instead of the usual workloads when the kernel command line has
# softvm.net=MODE. Loads the stock kernel's own drivers (e1000, ne2k-pci,
# virtio_net), then:
#
#  softvm.net=user softvm.nics=MAC/FLAGS,MAC/FLAGS,... softvm.port=PORT
#   one card per entry, each on its own -netdev user; tried one after the
#   other (only that card up), card i (0, 1, ...) printing
#     MARK dhcp-i <uptime> <address>     udhcpc's lease (10.0.2.15)
#     MARK http-i <uptime> <md5>         of http://10.0.2.2:PORT/data, which
#                                        the host serves;
#       or MARK blocked-i <uptime>       FLAGS "r" (restrict=on): the fetch
#                                        must fail
#     MARK httpd-up-i <uptime>           the host may now fetch /data from
#                                        the guest's busybox httpd through
#                                        its hostfwd, then /cgi-bin/done
#     MARK hostfwd-i <uptime>            it did
#  softvm.net=socket-a / socket-b (two guests on -netdev socket, one card):
#   a: 10.0.3.1, serves /data with httpd until b fetched /cgi-bin/done:
#      MARK peer-done <uptime>
#   b: 10.0.3.2, MARK peer <uptime> <md5> of http://10.0.3.1/data, then
#      fetches /cgi-bin/done.
#  softvm.net=bench softvm.port=PORT softvm.mb=N (bench/net_bench.py): DHCP on
#   eth0, then MARK bench-ready: the host sends N MiB to the guest's port
#   5001 through hostfwd (nc -l > /dev/null); MARK h2g-done; then the
#   guest sends N MiB of zeros to 10.0.2.2:PORT; MARK g2h-done.
# /data is 1 MiB made by gen_data; the host makes the same bytes.
# Then powers off.
. /lib/softvm/guest-lib.sh

arg() {
    for w in $(cat /proc/cmdline); do
        case $w in "softvm.$1="*) echo "${w#*=}"; return ;; esac
    done
}
mode=$(arg net)
port=$(arg port)
for m in e1000 ne2k-pci virtio_pci virtio_net; do
    modprobe $m || echo "nettest: modprobe $m failed"
done

# iface MAC: the interface with that address.
iface() {
    for d in /sys/class/net/*; do
        [ "$(cat $d/address)" = "$1" ] && { echo "${d##*/}"; return; }
    done
}

wait_iface() {
    n=0
    while [ -z "$(iface $1)" ] && [ $n -lt 20 ]; do sleep 1; n=$((n + 1)); done
    [ -n "$(iface $1)" ] || { echo "nettest: no interface $1: $(ls /sys/class/net)"; dmesg | tail -30; }
}
ip link set lo up

# gen_data: 1 MiB that the host makes the same way (the md5 the test checks).
gen_data() {
    seq 1 150000 | awk '{ printf "%07d softvm\n", $1 * 7919 % 1000003 }' | head -c 1048576
}

serve() {
    mkdir -p /www/cgi-bin
    gen_data > /www/data
    printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho bye\ntouch /tmp/done\n' \
        > /www/cgi-bin/done
    chmod 755 /www/cgi-bin/done
    httpd -p 80 -h /www
}

wait_done() {
    n=0
    while [ ! -e /tmp/done ] && [ $n -lt 600 ]; do sleep 1; n=$((n + 1)); done
    rm -f /tmp/done
}

case $mode in
user)
    printf '#!/bin/sh\n[ "$1" = bound ] || exit 0\nip addr add "$ip/$mask" dev "$interface"\n[ -n "$router" ] && ip route add default via "$router"\necho "$ip" > /tmp/lease\n' \
        > /tmp/udhcpc.sh
    chmod 755 /tmp/udhcpc.sh
    serve
    i=0
    for nic in $(arg nics | tr , ' '); do
        mac=${nic%%/*}
        wait_iface $mac
        dev=$(iface $mac)
        ip link set $dev up
        rm -f /tmp/lease
        udhcpc -i $dev -s /tmp/udhcpc.sh -q -n -t 10 -T 2 >/dev/null 2>&1
        mark dhcp-$i "$(cat /tmp/lease 2>/dev/null)"
        if [ ! -e /tmp/lease ]; then
            echo "nettest: no lease on $dev ($mac); interrupts and the kernel log:"
            cat /proc/interrupts
            dmesg | tail -40
        fi
        rm -f /tmp/got
        case ${nic#*/} in
        *r*)
            if wget -q -T 5 -O /tmp/got "http://10.0.2.2:$port/data" 2>/dev/null; then
                mark not-blocked-$i
            else
                mark blocked-$i
            fi
            ;;
        *)
            wget -q -O /tmp/got "http://10.0.2.2:$port/data"
            sum=$(md5sum < /tmp/got)
            mark http-$i "${sum%% *}"
            ;;
        esac
        mark httpd-up-$i
        wait_done
        mark hostfwd-$i
        ip addr flush dev $dev
        ip link set $dev down
        i=$((i + 1))
    done
    ;;
bench)
    printf '#!/bin/sh\n[ "$1" = bound ] || exit 0\nip addr add "$ip/$mask" dev "$interface"\n[ -n "$router" ] && ip route add default via "$router"\n' \
        > /tmp/udhcpc.sh
    chmod 755 /tmp/udhcpc.sh
    ip link set eth0 up
    udhcpc -i eth0 -s /tmp/udhcpc.sh -q -n -t 10 -T 2 >/dev/null 2>&1
    nc -l -p 5001 > /dev/null &
    mark bench-ready
    wait
    mark h2g-done
    dd if=/dev/zero bs=65536 count=$(( $(arg mb) * 16 )) 2>/dev/null | nc 10.0.2.2 "$port"
    mark g2h-done
    ;;
socket-a|socket-b)
    n=0
    while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 20 ]; do sleep 1; n=$((n + 1)); done
    ip link set eth0 up
    if [ $mode = socket-a ]; then
        ip addr add 10.0.3.1/24 dev eth0
        serve
        wait_done
        mark peer-done
    else
        ip addr add 10.0.3.2/24 dev eth0
        n=0
        until wget -q -T 5 -O /tmp/got http://10.0.3.1/data 2>/dev/null || [ $n -ge 60 ]; do
            sleep 1; n=$((n + 1))
        done
        sum=$(md5sum < /tmp/got)
        mark peer "${sum%% *}"
        wget -q -O /dev/null http://10.0.3.1/cgi-bin/done
    fi
    ;;
*)
    echo "nettest: unknown softvm.net=$mode"
    ;;
esac
poweroff -f
