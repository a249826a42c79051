/*
 * cmdline.h - the command line: argv to struct vm_options
 * (devices/machine/options.h).
 *
 * options_parse() is a pure function of argv: it fills a struct vm_options
 * and reports problems on the FILE it is given, so the unit tests can call it
 * directly.
 *
 * Exit status convention (docs/CLI.md): 2 for a bad command line or an option
 * that is recognised but not implemented yet; 1 for a bad file (kernel, BIOS)
 * found later by machine_init.
 */
#ifndef SOFTVM_FRONTEND_CMDLINE_H
#define SOFTVM_FRONTEND_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/trace_hooks.h"           /* VM_LOG_*: the -d bits */
#include "devices/machine/options.h"

/* Fill *opt with the defaults (no options given). */
void options_default(struct vm_options *opt);

/*
 * Parse argv[1..argc-1]. Returns 0 on success (see opt->action) or 2 after
 * printing a one-line reason on err: unknown option, missing or malformed
 * argument, or an option that exists but is not implemented yet.
 */
int options_parse(struct vm_options *opt, int argc, char **argv, FILE *err);

/* The syntax half of options_parse: accepts options that are recognised but
 * not implemented yet, so tests can check what they parse to. */
int options_parse_syntax(struct vm_options *opt, int argc, char **argv, FILE *err);
/* The other half: 2 (with "softvm: -X: not implemented yet") if opt asks for
 * something that is not built yet, else 0. */
int options_check_implemented(const struct vm_options *opt, FILE *err);

/* Parse a memory size: "256" (MiB), "256M", "1G", "524288K". Returns false
 * if malformed. */
bool options_parse_size(const char *s, uint64_t *bytes);

void options_print_help(FILE *out);
void options_print_version(FILE *out);
void options_print_log_help(FILE *out);   /* -d help */
/* -device help: the devices -device accepts, in QEMU's format. */
void options_print_device_help(FILE *out);

#endif
