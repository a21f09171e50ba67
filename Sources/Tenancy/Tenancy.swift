// Copyright (c) the Gatehouse authors
// Placeholder: tenant-scoped domain lands with the payments work.
