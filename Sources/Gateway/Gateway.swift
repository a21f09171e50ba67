// Copyright (c) the Gatehouse authors
// Placeholder: the gateway's HTTP routes land with the payments work.
