// libFuzzer's entry point for a program that has its own main (compiler-rt's
// FuzzerInterface.h). The runtime is linked by `-sanitize=fuzzer` (scripts/fuzz); a plain
// build declares it and never calls it.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*callback)(const uint8_t *data, size_t size));
