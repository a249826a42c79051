/*
 * atapi.h - the SCSI/MMC command set of an ATAPI CD-ROM drive: what runs
 * once the IDE channel (devices/ide.c) has received a 12-byte PACKET.
 * Data is 2048-byte blocks of an ISO 9660 image from the block layer.
 *
 * Specs: SCSI Primary Commands (SPC-3) for INQUIRY, REQUEST SENSE, TEST
 * UNIT READY, MODE SENSE; MMC-5 for READ CAPACITY, READ(10)/(12), READ TOC,
 * GET CONFIGURATION, GET EVENT STATUS NOTIFICATION, sense codes and media
 * events. Commands that read the disc stream it in chunks (atapi_read_more),
 * so a transfer of any length needs no buffer of its size.
 */
#ifndef SOFTVM_DEVICES_ATAPI_H
#define SOFTVM_DEVICES_ATAPI_H

#include <stdbool.h>
#include <stdint.h>

struct block_dev;

#define ATAPI_BLOCK 2048u

/* Sense keys (SPC-3 4.5.6). */
#define SENSE_NONE            0x0
#define SENSE_NOT_READY       0x2
#define SENSE_MEDIUM_ERROR    0x3
#define SENSE_ILLEGAL_REQUEST 0x5
#define SENSE_UNIT_ATTENTION  0x6

struct atapi {
    struct block_dev *bd;           /* the disc, or NULL: tray empty */
    uint32_t blocks;                /* 2048-byte blocks on it */
    uint8_t sense_key, asc, ascq;
    bool unit_attention;            /* a new disc: next command reports it once */
    bool media_event;               /* GET EVENT STATUS: new-media event pending */
    bool locked;                    /* PREVENT ALLOW MEDIUM REMOVAL */
    uint64_t read_lba;              /* streaming READ: next block */
    uint32_t read_left;             /* blocks still to send */
};

void atapi_init(struct atapi *a, struct block_dev *bd);
/* Insert (bd) or remove (NULL) the disc: a unit attention and a media event. */
void atapi_change_media(struct atapi *a, struct block_dev *bd);
/*
 * Run one command. Data for the host goes to buf (cap bytes, at least
 * 64 KiB): *len is what is ready now; atapi_read_more gives the rest of a
 * READ. Returns 0 (GOOD) or -1 (CHECK CONDITION: the sense is set).
 * max_len is the command's own allocation length limit, applied already.
 */
int atapi_command(struct atapi *a, const uint8_t cdb[12], uint8_t *buf, uint32_t cap,
                  uint32_t *len);
/* Bytes a streaming READ still has to send. */
static inline uint64_t atapi_stream_left(const struct atapi *a)
{
    return (uint64_t)a->read_left * ATAPI_BLOCK;
}
/* The next chunk of a streaming READ (a whole number of blocks, at most cap
 * bytes): returns its length, or -1 on a read error (sense set). */
int atapi_read_more(struct atapi *a, uint8_t *buf, uint32_t cap);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc atapi_vmstate;

#endif
