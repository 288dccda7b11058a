/**
 * The environment for local runs: whatever is already set wins; otherwise the services that
 * scripts/services.sh started (OE_MYSQL_TASK_URL, OE_PG_READER_URL, AWS_ENDPOINT_URL, ...) fill the gaps.
 * The seed's layout is the default: task table in MySQL, data in PostgreSQL.
 */
export function localEnv(
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  return {
    ...base,
    // The task table in a database of its own, which the reader cannot read.
    TASK_DB_URL: base.TASK_DB_URL ?? base.OE_MYSQL_TASK_URL ?? base.OE_MYSQL_URL,
    // Task SQL runs as the SELECT-only reader that scripts/services.sh creates.
    DATA_DB_URL: base.DATA_DB_URL ?? base.OE_PG_READER_URL ?? base.OE_PG_URL ?? base.TASK_DB_URL,
    // The runaway-query stop comes from the PostgreSQL owner, whom the reader cannot signal.
    DATA_DB_MONITOR_URL:
      base.DATA_DB_MONITOR_URL ?? (base.DATA_DB_URL === undefined ? base.OE_PG_URL : undefined),
    EXPORT_BUCKET: base.EXPORT_BUCKET ?? "offline-export-dev",
    AWS_REGION: base.AWS_REGION ?? "us-east-1",
  };
}
