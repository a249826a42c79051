/*
 * machine_state.h - the saved state of a whole machine (devices/vmstate.h):
 * struct machine and struct pc_devices described field by field, every
 * device by its own table. The RAM is not in the description (it is saved
 * by the snapshot stream, frontend/snapshot.h); the state hash covers it.
 */
#ifndef SOFTVM_DEVICES_MACHINE_MACHINE_STATE_H
#define SOFTVM_DEVICES_MACHINE_MACHINE_STATE_H

#include <stdint.h>
#include "devices/vmstate.h"

struct machine;

extern const struct vms_desc machine_vmstate;
extern const struct vms_desc pc_devices_vmstate;

/* A hash of everything the guest can observe: the described state (CPU,
 * clock and pending timers, every device, the memory map) and the RAM. Two
 * runs that hash alike are in the same state. */
uint64_t machine_state_hash(struct machine *m);
/* The same, in parts (for reporting which part differs). */
uint64_t machine_ram_hash(struct machine *m);

#endif
