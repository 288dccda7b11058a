#!/usr/bin/env bash
# npm run panel: the PHP download centre (php/panel) on http://127.0.0.1:$PANEL_PORT (54581),
# served by `php -S` through the demo host php/panel/index.php, signed in as OE_PANEL_USER
# (default 张三, the creator of `npm run dev`'s task). The rest defaults to what `npm run dev`
# made: box_download_task in the local MariaDB, the dev queue on the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v php >/dev/null 2>&1; then
  echo "[panel] php is missing: apt-get install -y php-cli php-mysql php-pgsql php-async-aws-sqs" >&2
  exit 1
fi
export TASK_DB_URL=${TASK_DB_URL:-$OE_MYSQL_TASK_URL}
export TASK_TABLE=${TASK_TABLE:-box_download_task}
export OE_PANEL_USER=${OE_PANEL_USER:-张三}
export EXPORT_QUEUE_URL=${EXPORT_QUEUE_URL:-$AWS_ENDPOINT_URL/123456789012/offline-export-dev-tasks}
port=${PANEL_PORT:-54581}
echo "[panel] http://127.0.0.1:$port/ signed in as $OE_PANEL_USER; tasks in $TASK_TABLE; Ctrl-C to stop" >&2
exec php -S "127.0.0.1:$port" php/panel/index.php
