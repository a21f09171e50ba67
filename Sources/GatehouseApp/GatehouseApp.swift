// Copyright (c) the Gatehouse authors
// Placeholder: application wiring lands with the foundation work.
