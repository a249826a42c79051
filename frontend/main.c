/*
 * main.c - the softvm program: parse the command line, build the machine,
 * run it, and exit with the guest's status (docs/CLI.md lists the codes).
 */
#include <stdio.h>
#include <stdlib.h>

#include "frontend/host.h"
#include "frontend/cmdline.h"

int main(int argc, char **argv)
{
    struct vm_options opt;
    int rc = options_parse(&opt, argc, argv, stderr);
    if (rc)
        return rc;
    switch (opt.action) {
    case VM_ACTION_HELP: options_print_help(stdout); return 0;
    case VM_ACTION_VERSION: options_print_version(stdout); return 0;
    case VM_ACTION_LOG_HELP: options_print_log_help(stdout); return 0;
    case VM_ACTION_DEVICE_HELP: options_print_device_help(stdout); return 0;
    case VM_ACTION_RUN: break;
    }

    /* struct machine holds the 64K-entry port table and every device: too
     * big for the stack. */
    struct machine *m = calloc(1, sizeof(*m));
    if (!m) {
        fprintf(stderr, "softvm: out of memory\n");
        return 1;
    }
    if (host_machine_init(m, &opt) != 0) {
        free(m);
        return 1;
    }
    int status = machine_run(m);
    machine_destroy(m);
    free(m);
    return status;
}
