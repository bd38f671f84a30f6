#!/usr/bin/env bash
# The long crash test: ROUNDS SIGKILLs of a server under write load; every
# acknowledged event must survive and the audit chain must verify.
set -euo pipefail
cd "$(dirname "$0")/.."
FIREBREAK_TEST_POSTGRES=${FIREBREAK_TEST_POSTGRES:-${1:-}} FIREBREAK_CRASH_ROUNDS=${ROUNDS:-100} go test -count=1 -run TestCrashKeepsAcknowledgedEvents -v -timeout 60m ./cmd/firebreak
