#!/usr/bin/env bash
# The whole suite: unit tests, then integration and end-to-end tests against the real services
# (MariaDB, PostgreSQL, moto_server) that scripts/with-services.sh started or found, under c8
# for a line-coverage figure of lib/ and functions/. The run fails below the floor in
# .c8rc.json (README "Tests" states it).
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# Powertools logs go to stdout as JSON; keep test output readable unless asked for.
export POWERTOOLS_LOG_LEVEL=${POWERTOOLS_LOG_LEVEL:-SILENT}
exec npx c8 node --import tsx --test --test-reporter=spec \
  test/unit/*.test.ts test/integration/*.test.ts test/e2e/*.test.ts
