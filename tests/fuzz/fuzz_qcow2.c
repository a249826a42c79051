/*
 * fuzz_qcow2.c - libFuzzer target for the qcow2 parser (devices/block/):
 * the input is an image file; it is opened read-only and read-write and a
 * few reads and writes are made. Any crash, leak or sanitizer report is a
 * bug; errors are expected. Built and run by tests/fuzz/run.sh.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/block/block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.qcow2", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64], err[512];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    for (int rw = 0; rw < 2; rw++) {
        struct block_options o = { .format = BLOCK_FORMAT_QCOW2, .readonly = !rw,
                                   .cache = BLOCK_CACHE_UNSAFE };
        struct block_dev *bd = block_open(path, &o, err, sizeof(err));
        if (!bd)
            continue;
        uint8_t buf[4096];
        uint64_t sz = block_size(bd);
        for (uint64_t off = 0; off < sz && off < (1u << 20); off += 65536 + 512) {
            size_t n = sz - off < sizeof(buf) ? (size_t)(sz - off) : sizeof(buf);
            if (block_read(bd, off, buf, n) == 0 && rw)
                block_write(bd, off, buf, n < 512 ? n : 512);
        }
        block_close(bd);
    }
    close(fd);
    return 0;
}
