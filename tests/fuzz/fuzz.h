/*
 * fuzz: what every libFuzzer target here shares.
 *
 * The entry points libFuzzer calls (declared here because the build's
 * -Wmissing-prototypes wants a prototype for every external function), and
 * FUZZ_CHECK, which turns a broken property into a crash that libFuzzer
 * records with the input that caused it. A target must never exit() or leak:
 * both fail the run.
 */
#ifndef WARDEN_TESTS_FUZZ_H
#define WARDEN_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Abort with the property that failed; libFuzzer saves the input as crash-*. */
#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);    \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#endif
