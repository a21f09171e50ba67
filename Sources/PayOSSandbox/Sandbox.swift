// Copyright (c) the Gatehouse authors
// Placeholder: the payOS sandbox lands with the payOS protocol work.
