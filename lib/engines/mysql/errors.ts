import { asErrorLike, type Classified } from "../../failure/kinds.js";

const BY_CODE: Record<string, Classified> = {
  PROTOCOL_CONNECTION_LOST: { kind: "lost", reason: "connection lost" },
  ER_SERVER_SHUTDOWN: { kind: "lost", reason: "the server shut down or restarted" },
  ER_CONNECTION_KILLED: { kind: "lost", reason: "the connection was killed" },
  ER_CON_COUNT_ERROR: { kind: "unreachable", reason: "too many connections" },
  ER_ACCESS_DENIED_ERROR: { kind: "refused", reason: "access denied" },
  ER_BAD_DB_ERROR: { kind: "refused", reason: "database does not exist" },
  ER_QUERY_TIMEOUT: { kind: "timeout" },
  ER_LOCK_WAIT_TIMEOUT: { kind: "locked" }, // innodb_lock_wait_timeout and lock_wait_timeout (metadata locks)
  ER_STATEMENT_TIMEOUT: { kind: "timeout" },
  ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: { kind: "read-only" },
};

const BY_ERRNO: Record<number, Classified> = {
  1969: { kind: "timeout" }, // MariaDB max_statement_time exceeded
  3024: { kind: "timeout" }, // MySQL max_execution_time exceeded
  1792: { kind: "read-only" },
  1366: { kind: "data" }, // incorrect string value
  1406: { kind: "data" }, // data too long
  // A value's characters against a column's narrower ones (a utf8mb4 parameter in a CASE with a
  // legacy utf8mb3 column): the value, not the connection.
  1267: { kind: "data" }, // illegal mix of collations (two)
  1270: { kind: "data" }, // illegal mix of collations (three)
};

/** mysql2's errors: `code` names (ER_...), `errno` numbers. */
export function classifyMysql(err: unknown): Classified | undefined {
  const e = asErrorLike(err);
  if (e.code !== undefined && BY_CODE[e.code]) return BY_CODE[e.code];
  if (e.errno !== undefined && BY_ERRNO[e.errno]) return BY_ERRNO[e.errno];
  return undefined;
}
