/*
 * lockstep.h - `-accel jit,lockstep=on`: the machine runs on the JIT next
 * to a twin built from the same options on the interpreter. Both run the
 * same clock slices (virtual time is deterministic, so equal engines stay
 * equal); after every slice the architectural CPU state is compared, and
 * guest RAM every few slices and at the end. The first slice where they
 * differ is reported with both states, and the run stops (exit status 3).
 */
#ifndef SOFTVM_MACHINE_LOCKSTEP_H
#define SOFTVM_MACHINE_LOCKSTEP_H

struct machine;

/* machine_run's loop for a lockstep machine: until m stops or the engines
 * differ. */
void lockstep_run(struct machine *m);

#endif
