// Copyright (c) the Gatehouse authors
// Placeholder: the libqrencode wrapper lands with the payOS sandbox work.
