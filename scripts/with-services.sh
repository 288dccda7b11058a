#!/usr/bin/env bash
# Starts the local services that are not already running (see scripts/services.sh), then runs "$@".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env_lines=$("$here/services.sh" up)
eval "$env_lines"
# Local Node is 20 (Lambda runs 22+); the SDK's upgrade notice is known and only noise here.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}
exec "$@"
