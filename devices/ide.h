/*
 * ide.h - the PIIX3 IDE controller (8086:7010 at 00:01.1): two legacy ATA
 * channels (0x1F0-0x1F7/0x3F6 on IRQ 14, 0x170-0x177/0x376 on IRQ 15), each
 * with a master and a slave, and the bus-master DMA engine in BAR4.
 *
 * Specs: ATA/ATAPI-6 (T13 1410D) for the register protocol, status/error
 * bits, commands and IDENTIFY DEVICE; Intel 82371SB (PIIX3) datasheet 2.4
 * (IDE configuration) and 2.7 (bus master IDE registers, PRD tables);
 * SFF-8038i for the bus-master programming model. ATAPI devices (CD-ROM)
 * speak the PACKET protocol here; their command set is devices/atapi.c.
 *
 * Every command completes on the virtual clock after a delay that depends
 * only on the command (IDE_CMD_NS + IDE_SECTOR_NS per sector), so host disk
 * speed never shows in a run. Guest-supplied PRD addresses and lengths are
 * bounds-checked; data moves through memory/'s DMA helpers. A PRD table
 * shorter than the transfer stops the engine with Interrupt 0 / Active 0
 * and no drive interrupt (SFF-8038i 3.1), one longer ends with Active 1.
 */
#ifndef SOFTVM_DEVICES_IDE_H
#define SOFTVM_DEVICES_IDE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/atapi.h"
#include "devices/pci.h"

struct io_bus;
struct phys_mem;
struct vclock;
struct block_dev;

#define IDE_CMD_NS      20000ull    /* command overhead: 20 us of virtual time */
#define IDE_SECTOR_NS   2000ull     /* per 512-byte sector: about 250 MB/s */
#define IDE_BUF_SECTORS 256         /* largest PIO block or DMA chunk */
#define IDE_MAX_PRD     4096        /* PRD entries walked per command at most */

enum ide_xfer { IDE_XFER_NONE, IDE_XFER_PIO_IN, IDE_XFER_PIO_OUT };

struct ide_drive {
    struct block_dev *bd;           /* NULL: absent (or an empty CD-ROM tray) */
    bool present;
    bool atapi;                     /* a CD-ROM (PACKET device) */
    uint64_t sectors;               /* 512-byte sectors */
    uint16_t cyls, heads, spt;      /* the geometry IDENTIFY reports */
    uint8_t mult;                   /* READ/WRITE MULTIPLE sectors per DRQ block (0 = off) */
    uint8_t xfer_mode;              /* SET FEATURES 03h value */
    bool write_cache;
    bool keep_mult_on_srst;         /* SET FEATURES 66h: no reverting to defaults at SRST */
    struct atapi atapi_state;
};

/* Task-file registers with their "previous content" copies (LBA48). */
struct ide_taskfile {
    uint8_t feature, nsector, sector, lcyl, hcyl;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t select;                 /* device/head register */
    uint8_t status, error;
};

struct ide_controller;

enum ide_pending {
    IDE_PEND_NONE,
    IDE_PEND_DATA_IN,               /* present prepared PIO data (IDENTIFY...) */
    IDE_PEND_READ,                  /* read the next PIO block from the disk */
    IDE_PEND_WRITE,                 /* commit the PIO block just received */
    IDE_PEND_DONE,                  /* a non-data command finishes */
    IDE_PEND_DMA,                   /* run the whole DMA transfer */
    IDE_PEND_PACKET,                /* ATAPI: run the packet just received */
};

struct ide_channel {
    struct ide_controller *ctl;
    struct ide_drive drive[2];
    struct ide_taskfile tf;
    int cur;                        /* selected drive: DEV bit of the select register */
    uint8_t control;                /* device control register (nIEN, SRST, HOB) */
    int irq;                        /* ISA line 14 or 15 */
    bool intrq;                     /* INTRQ pending (cleared by reading status) */

    /* the command in progress */
    uint8_t cmd;
    enum ide_xfer xfer;
    bool lba48;
    enum ide_pending pending;       /* what the armed timer will do */
    bool error_after;               /* IDE_PEND_DONE: finish with ABRT */
    bool dma;                       /* a DMA command waiting for or using the engine */
    bool atapi_data;                /* the PIO/DMA data is an ATAPI reply */
    uint32_t atapi_limit;           /* ATAPI PIO byte-count limit per DRQ */
    uint32_t atapi_len;             /* ATAPI reply bytes in buf */
    bool dma_started;               /* its completion is scheduled */
    uint64_t lba;                   /* next sector */
    uint32_t remaining;             /* sectors left */
    uint32_t block;                 /* sectors in the current DRQ block */
    uint32_t pos, end;              /* PIO data pointer into buf */
    uint8_t *buf;                   /* IDE_BUF_SECTORS * 512 (ATAPI: its own) */
    int timer;
    uint64_t when_ns;               /* this command's virtual time (for chaining) */

    /* bus master */
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prdt;
};

struct ide_controller {
    struct pci_function pci;
    struct ide_channel ch[2];
    struct io_bus *io;
    struct phys_mem *mem;
    struct vclock *clock;
    uint16_t bm_base;               /* BAR4 as mapped now; 0 = unmapped */
};

int ide_init(struct ide_controller *c, struct pci_bus *bus, struct io_bus *io,
             struct phys_mem *mem, struct vclock *clock);
/* Attach an image at position 0..3 (primary master, primary slave,
 * secondary master, secondary slave). bd may be NULL for an empty CD-ROM.
 * The controller owns bd from now on (ide_destroy closes it). 0 or -1. */
int ide_attach(struct ide_controller *c, int index, struct block_dev *bd, bool cdrom);
/* Hardware reset (machine reset): registers, signatures, engine. */
void ide_reset(struct ide_controller *c);
/* Close the images (flushing them). */
void ide_destroy(struct ide_controller *c);

/* ATAPI media change: put a new disc (or none) into the CD-ROM at index. */
int ide_change_media(struct ide_controller *c, int index, struct block_dev *bd);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc ide_controller_vmstate;

#endif
