/*
 * vmstate.h - versioned descriptions of machine state: one table of fields
 * per struct (name, offset, size, element count, role, version added),
 * from which saving, loading, comparing and hashing are all derived.
 *
 * Every byte of a described struct belongs to a field with one of three
 * roles (vms_check proves it, padding aside):
 *   state   guest-visible data: saved, loaded, compared, hashed
 *   config  fixed when the machine is built from its options (port bases,
 *           BAR sizes, RAM size): saved and hashed; a load requires the
 *           saved value to equal the built one, else the snapshot is of
 *           another machine and is refused naming the field
 *   wiring  pointers, callbacks, timer ids, host-side caches, jmp_buf: never
 *           saved; rebuilt by machine_init from the same options
 * A struct whose state implies wiring (an I/O BAR's port mapping, the local
 * APIC's MMIO page, the TLB) gives pre_load/post_load hooks: every pre_load
 * of the tree runs before any field is written, every post_load after all.
 *
 * The idea is QEMU's VMStateDescription (docs/devel/migration); the stream
 * layout is our own: per struct instance a version and a hash of its field
 * layout, then its fields little-endian in table order. A saved version older
 * than the table loads the fields it has (newer fields keep their built
 * values); a newer or differently laid out one is refused by name.
 *
 * How to describe a device: docs/DETERMINISM.md ("Describing state").
 */
#ifndef SOFTVM_DEVICES_VMSTATE_H
#define SOFTVM_DEVICES_VMSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vms_kind {
    VMS_INT,        /* unsigned/signed integer or enum of `elem` bytes */
    VMS_BOOL,       /* bool: loads only 0 or 1 */
    VMS_STRUCT,     /* embedded struct(s) described by `sub` */
    VMS_PSTRUCT,    /* pointer to one struct described by `sub` (non-NULL when saved) */
    VMS_PBYTES,     /* pointer to `elem` bytes (NULL saves as absent) */
    VMS_OPAQUE,     /* anything (wiring only) */
};

enum vms_role { VMS_STATE, VMS_CONFIG, VMS_WIRING };

struct vms_desc;

struct vms_field {
    const char *name;
    uint32_t offset, size;      /* of the whole member */
    uint32_t elem;              /* one element's size (PBYTES: bytes pointed to) */
    uint16_t align;             /* the member's alignment (coverage check) */
    uint8_t kind, role;
    uint16_t since;             /* version of the struct's table that added it (0 = 1) */
    const struct vms_desc *sub;
};

struct vms_desc {
    const char *name;
    uint16_t version;           /* current table version */
    uint32_t size, align;       /* sizeof/_Alignof the struct */
    const struct vms_field *fields;
    unsigned nfields;
    /* Before a save or hash: bring the live object to its canonical
     * representation without changing what the guest can observe (the CPU
     * folds its lazy flags into EFLAGS). */
    void (*pre_save)(void *obj);
    void (*pre_load)(void *obj);    /* undo wiring derived from the old state */
    void (*post_load)(void *obj);   /* rebuild it from the loaded state */
};

/* The element type of a scalar field (a compile error for pointers, structs). */
#define VMS_KIND_OF_(x) _Generic((x), _Bool: VMS_BOOL, char: VMS_INT, \
    signed char: VMS_INT, unsigned char: VMS_INT, short: VMS_INT, \
    unsigned short: VMS_INT, int: VMS_INT, unsigned: VMS_INT, long: VMS_INT, \
    unsigned long: VMS_INT, long long: VMS_INT, unsigned long long: VMS_INT)
#define VMS_M_(T, f) (((T *)0)->f)
#define VMS_FIELD_(T, f, kind_, elem_, role_, since_, sub_)                     \
    { .name = #f, .offset = offsetof(T, f), .size = sizeof(VMS_M_(T, f)),       \
      .elem = (elem_), .align = _Alignof(__typeof__(VMS_M_(T, f))),             \
      .kind = (kind_), .role = (role_), .since = (since_), .sub = (sub_) }

/* State: a scalar, a 1-D array, a 2-D array of integers/bools. */
#define VMS(T, f) VMS_FIELD_(T, f, VMS_KIND_OF_(VMS_M_(T, f)), sizeof(VMS_M_(T, f)), VMS_STATE, 0, NULL)
#define VMS_A(T, f) VMS_FIELD_(T, f, VMS_KIND_OF_(VMS_M_(T, f)[0]), sizeof(VMS_M_(T, f)[0]), VMS_STATE, 0, NULL)
#define VMS_A2(T, f) VMS_FIELD_(T, f, VMS_KIND_OF_(VMS_M_(T, f)[0][0]), sizeof(VMS_M_(T, f)[0][0]), VMS_STATE, 0, NULL)
/* ... added in table version v. */
#define VMS_V(T, f, v) VMS_FIELD_(T, f, VMS_KIND_OF_(VMS_M_(T, f)), sizeof(VMS_M_(T, f)), VMS_STATE, v, NULL)
#define VMS_AV(T, f, v) VMS_FIELD_(T, f, VMS_KIND_OF_(VMS_M_(T, f)[0]), sizeof(VMS_M_(T, f)[0]), VMS_STATE, v, NULL)
/* Embedded struct / array of structs / pointer to a struct, described by d. */
#define VMS_S(T, f, d) VMS_FIELD_(T, f, VMS_STRUCT, sizeof(VMS_M_(T, f)), VMS_STATE, 0, &(d))
#define VMS_SA(T, f, d) VMS_FIELD_(T, f, VMS_STRUCT, sizeof(VMS_M_(T, f)[0]), VMS_STATE, 0, &(d))
#define VMS_PS(T, f, d) VMS_FIELD_(T, f, VMS_PSTRUCT, sizeof(VMS_M_(T, f)), VMS_STATE, 0, &(d))
/* Pointer to a buffer of n bytes (a sector buffer). */
#define VMS_PB(T, f, n) VMS_FIELD_(T, f, VMS_PBYTES, (n), VMS_STATE, 0, NULL)
/* Config: a scalar / 1-D array fixed by the options. */
#define VMS_C(T, f) VMS_FIELD_(T, f, VMS_KIND_OF_(VMS_M_(T, f)), sizeof(VMS_M_(T, f)), VMS_CONFIG, 0, NULL)
#define VMS_CA(T, f) VMS_FIELD_(T, f, VMS_KIND_OF_(VMS_M_(T, f)[0]), sizeof(VMS_M_(T, f)[0]), VMS_CONFIG, 0, NULL)
/* Wiring: never saved. */
#define VMS_W(T, f) VMS_FIELD_(T, f, VMS_OPAQUE, sizeof(VMS_M_(T, f)), VMS_WIRING, 0, NULL)

#define VMS_DESC(T, name_, version_, fields_)                                   \
    .name = (name_), .version = (version_), .size = sizeof(T), .align = _Alignof(T), \
    .fields = (fields_), .nfields = sizeof(fields_) / sizeof((fields_)[0])

/* A growing byte buffer the save side writes into. */
struct vms_buf {
    uint8_t *data;
    size_t len, cap;
    bool oom;
};
void vms_buf_put(struct vms_buf *b, const void *p, size_t n);
void vms_buf_free(struct vms_buf *b);

/* Append obj's state and config to out (after the pre_save hooks). 0, or -1 (out of memory, or a
 * PSTRUCT that is NULL) with a message naming the field in err. */
int vms_save(const struct vms_desc *d, void *obj, struct vms_buf *out,
             char *err, size_t errlen);
/* Load what vms_save wrote. It first checks the whole blob without writing
 * (versions, layouts, lengths, bool values, config equality); only if all
 * is well does it run the pre_load hooks, write the fields, and run the
 * post_load hooks. Returns 0, or -1 with obj untouched and a message. */
int vms_load(const struct vms_desc *d, void *obj, const uint8_t *data, size_t len,
             char *err, size_t errlen);
/* Hash of obj's state and config (what vms_save would write). */
uint64_t vms_hash(const struct vms_desc *d, void *obj, uint64_t seed);
/* Compare a and b field by field: true if equal, else false with the path
 * of the first differing field ("dev.pit.ch[0].load_tick") in path. */
bool vms_equal(const struct vms_desc *d, void *a, void *b,
               char *path, size_t pathlen);
/* Prove the table covers every byte of the struct (fields in offset order,
 * not overlapping, gaps only where alignment padding goes, sub-tables of the
 * right size), recursively. 0, or -1 with the struct and gap in err. */
int vms_check(const struct vms_desc *d, char *err, size_t errlen);

/* A 64-bit non-cryptographic hash (checksums, RAM digests). */
uint64_t vms_hash64(uint64_t seed, const void *data, size_t len);

#endif
