#ifndef FAXD_CFUZZERDRIVER_H
#define FAXD_CFUZZERDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (LLVM 13 and later), linked in by `-sanitize=fuzzer`: runs the fuzzing loop with
/// the command line's libFuzzer flags and corpus directories, calling `callback` for each input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
