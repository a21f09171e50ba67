// Copyright (c) the Gatehouse authors
// Placeholder: the libsodium vault lands with the foundation work.
