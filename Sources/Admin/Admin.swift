// Copyright (c) the Gatehouse authors
// Placeholder: the admin API and dashboard land with the admin work.
