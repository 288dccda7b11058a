#!/usr/bin/env bash
# The fault-injection suite (test/faults): scenarios against the real services, then a table.
# Pass scenario keys to run only some, e.g. `npm run test:faults -- load zombie`.
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
export POWERTOOLS_LOG_LEVEL=${POWERTOOLS_LOG_LEVEL:-SILENT}
exec node --import tsx test/faults/run.ts "$@"
