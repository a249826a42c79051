/*
 * pc.h - the devices of the i440FX/PIIX3-class PC board, as one struct the
 * machine owns. Each device's state is private to its own file pair; this
 * struct only holds them so they live inside struct machine.
 */
#ifndef SOFTVM_DEVICES_PC_H
#define SOFTVM_DEVICES_PC_H

struct pc_devices {
    int placeholder_;   /* replaced as devices are added */
};

#endif
