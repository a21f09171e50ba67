// Copyright (c) the Gatehouse authors
// libFuzzer's entry point for programs that have their own main (SwiftPM links every executable with
// `--defsym main=<Module>_main`, so libFuzzer's own main is never the program's).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
