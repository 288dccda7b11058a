/**
 * What went wrong, in the terms the failure policy acts on. Each engine classifies its own
 * driver's errors (lib/engines/<engine>/errors.ts); network errors are classified here.
 */
export type ErrorKind =
  /** The server could not be reached or was too busy to take us: try again later. */
  | "unreachable"
  /** The connection died while in use: try again later. */
  | "lost"
  /** The server refused us for good (bad password, missing database, unknown host). */
  | "refused"
  /** The statement ran past its time limit. */
  | "timeout"
  /** The statement waited too long for a lock another session holds (a schema change): try again later. */
  | "locked"
  /** The statement tried to write inside the read-only transaction. */
  | "read-only"
  /** The server refused a value (bad character for the column, too long). */
  | "data"
  | "other";

export interface Classified {
  kind: ErrorKind;
  /** A few words for msg ("connection refused"), where there is something better than the error. */
  reason?: string;
}

/**
 * How the worker's stop at the time limit ended (lib/sources/stop.ts): the query stopped when
 * cancelled; it did not, and its connection was terminated; or the database did not confirm it
 * was gone (an operator is alerted through the logs).
 */
export type StopOutcome = "cancelled" | "terminated" | "unconfirmed";

/** The fields drivers and the AWS SDK put on their errors. */
export interface ErrorLike {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  message?: string;
  name?: string;
  $metadata?: { httpStatusCode?: number };
  /** Set on the worker's own timeout error once its stop has finished. */
  stopped?: StopOutcome;
}

export const asErrorLike = (err: unknown): ErrorLike => (err ?? {}) as ErrorLike;

const NETWORK: Record<string, Classified> = {
  ECONNREFUSED: { kind: "unreachable", reason: "connection refused" },
  ETIMEDOUT: { kind: "unreachable", reason: "connection timed out" },
  EAI_AGAIN: { kind: "unreachable", reason: "host lookup failed" },
  EHOSTUNREACH: { kind: "unreachable", reason: "host unreachable" },
  ENETUNREACH: { kind: "unreachable", reason: "network unreachable" },
  ENOTFOUND: { kind: "refused", reason: "host not found" },
  ECONNRESET: { kind: "lost", reason: "connection reset" },
  EPIPE: { kind: "lost", reason: "connection closed" },
};

// How drivers word a connection that died mid-query when they give no code.
const LOST_WORDING = /connection terminated|server has gone away|lost connection|socket hang up/i;

// The worker's own verdicts on a task: their messages quote the task's text (an option's value,
// a function's name), which must never read as a lost connection and be retried.
const OWN_VERDICTS = new Set([
  "TaskSqlRejected",
  "OptionsRejected",
  "ValueTooLarge",
  "ResponseTooLarge",
  "CellTooLong",
]);

/** The worker's own statement timer fired (lib/sources/streams.ts): the query was cancelled. */
export const WORKER_TIMEOUT_CODE = "OE_STATEMENT_TIMEOUT";

/** Node's own socket errors, the drivers' code-less "connection lost" wording, our timer. */
export function classifyNetwork(err: unknown): Classified | undefined {
  const e = asErrorLike(err);
  if (e.code === WORKER_TIMEOUT_CODE) return { kind: "timeout" };
  if (e.code !== undefined && NETWORK[e.code]) return NETWORK[e.code];
  if (OWN_VERDICTS.has(String(e.name))) return undefined;
  if (LOST_WORDING.test(String(e.message))) return { kind: "lost" };
  return undefined;
}
