// Copyright (c) the Gatehouse authors
// Intentionally empty: the module exists for its header.
#include "CLibFuzzer.h"
