/** Where an export failed, so the message can say what the person should do about it. */
export type Stage = "query" | "upload" | "export";

/** Carries which stage of an export failed, with the original error as its cause. */
export class StageError extends Error {
  override name = "StageError";
  constructor(
    readonly stage: Stage,
    override readonly cause: unknown,
  ) {
    super(`${stage} failed`);
  }
}

export const MSG_MAX_CHARS = 2000;

const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host lookup failed",
  EPIPE: "connection closed",
  PROTOCOL_CONNECTION_LOST: "connection lost",
  ER_ACCESS_DENIED_ERROR: "access denied",
  "28P01": "password authentication failed",
  "28000": "access denied",
  "3D000": "database does not exist",
  ER_BAD_DB_ERROR: "database does not exist",
  "57P01": "the server shut down or restarted",
  "57P02": "the server crashed",
  "57P03": "the server is starting up",
  "08000": "connection lost",
  "08003": "connection lost",
  "08006": "connection lost",
  ER_SERVER_SHUTDOWN: "the server shut down or restarted",
  ER_CONNECTION_KILLED: "the connection was killed",
  ER_CON_COUNT_ERROR: "too many connections",
};

// How the drivers word a connection that died mid-query, when they give no code.
const CONNECTION_LOST = /connection terminated|server has gone away|lost connection/i;

/** Failures that say nothing about the task: the same export may well work a little later. */
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "PROTOCOL_CONNECTION_LOST",
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08003",
  "08006",
  "53300", // PostgreSQL too_many_connections
  "ER_SERVER_SHUTDOWN",
  "ER_CONNECTION_KILLED",
  "ER_CON_COUNT_ERROR",
]);

interface DbLikeError {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  message?: string;
  name?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Whether a failure is worth another attempt: the database or storage was unreachable, cut
 * off or overloaded. A bad query, a timeout or a refused write is not: it would fail again.
 */
export function isTransient(err: unknown, stage: Stage): boolean {
  const e = (err ?? {}) as DbLikeError;
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  if (CONNECTION_LOST.test(String(e.message)) || /socket hang up/i.test(String(e.message)))
    return true;
  if (stage !== "upload") return false;
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return e.name === "TimeoutError" || e.name === "RequestTimeout";
  return status >= 500 || status === 408 || status === 429;
}

/** Turns any error into a sentence a person can act on, without credentials or hosts. */
export function describeFailure(
  err: unknown,
  stage: Stage,
  o: { timeoutSeconds: number; secrets: string[] },
): string {
  const e = (err ?? {}) as DbLikeError;
  const raw = String(e.sqlMessage ?? e.message ?? err);
  let text: string;
  if (e.name === "TaskSqlRejected") {
    text = `${raw} Fix the task's SQL and create the task again.`;
  } else if (e.code && CONNECTION_CODES[e.code]) {
    const what = stage === "upload" ? "file storage" : "the database";
    text = `Could not reach ${what} (${CONNECTION_CODES[e.code]}). Nothing was exported; try again later or ask an operator.`;
  } else if (stage !== "upload" && CONNECTION_LOST.test(raw)) {
    text =
      "Lost the connection to the database during the export. Nothing was exported; try again later or ask an operator.";
  } else if (isTimeout(e)) {
    text = `The query ran longer than the ${o.timeoutSeconds}-second limit and was stopped. Narrow the query (fewer rows, an indexed filter) and try again.`;
  } else if (isReadOnlyViolation(e)) {
    text = `The query tried to change data, but exports are read-only: ${raw}. Use a single SELECT.`;
  } else if (stage === "query") {
    const code = e.code ? ` [${e.code}]` : "";
    text = `The query failed: ${raw}${code}. Fix the task's SQL and create the task again.`;
  } else if (stage === "upload") {
    text = `Writing the file to storage failed: ${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${raw}. Try again later or ask an operator.`;
  } else {
    text = `The export failed: ${raw}`;
  }
  return truncate(redact(text, o.secrets), MSG_MAX_CHARS);
}

function isTimeout(e: DbLikeError): boolean {
  return (
    e.code === "57014" || // PostgreSQL query_canceled (statement_timeout)
    e.errno === 1969 || // MariaDB max_statement_time exceeded
    e.errno === 3024 || // MySQL max_execution_time exceeded
    e.code === "ER_QUERY_TIMEOUT" ||
    e.code === "ER_STATEMENT_TIMEOUT"
  );
}

function isReadOnlyViolation(e: DbLikeError): boolean {
  return (
    e.code === "25006" || e.errno === 1792 || e.code === "ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION"
  );
}

/** Removes known secrets, credentials in URLs and host:port pairs. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 3) out = out.split(s).join("***");
  }
  return out
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, "$1***@")
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, "***")
    .replace(/\[[0-9a-f:]+\](:\d+)?/gi, "***");
}

export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** Secrets to keep out of logs and msg: passwords, users and hosts of configured URLs. */
export function secretsOf(urls: string[]): string[] {
  const out = new Set<string>();
  for (const u of urls) {
    try {
      const p = new URL(u);
      if (p.password) {
        out.add(p.password);
        out.add(decodeURIComponent(p.password));
      }
      if (p.hostname && p.hostname !== "localhost") out.add(p.hostname);
      out.add(u);
    } catch {
      // not a URL: nothing to add
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}
