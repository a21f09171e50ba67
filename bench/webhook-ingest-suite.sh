#!/usr/bin/env bash
# Copyright (c) the Gatehouse authors
#
# Issue 12's webhook benchmarks in one run on one throwaway MariaDB server: the seed's Flask peer, Gatehouse's
# webhook-ingest with 1 owner, webhook-ingest with MANY_OWNERS owners (10,000) of one payment each, and forged-flood;
# then a summary with the ratios (Gatehouse/peer, many owners/one owner, B's p99 with/without the flood, audit rows per
# forged webhook). It is bench/webhook-ingest-vs-seed.sh with SUITE=1; the same environment knobs apply (PAYMENTS,
# CONCURRENCY, PASSES, SKIP_BUILD, BIN, …) plus MANY_OWNERS (10000) and FLOOD_SECONDS (10).
set -euo pipefail
SUITE=1 exec "$(dirname "${BASH_SOURCE[0]}")/webhook-ingest-vs-seed.sh" "$@"
