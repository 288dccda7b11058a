import { asErrorLike, type Classified } from "../../failure/kinds.js";

const BY_SQLSTATE: Record<string, Classified> = {
  "57P01": { kind: "lost", reason: "the server shut down or restarted" },
  "57P02": { kind: "lost", reason: "the server crashed" },
  "57P03": { kind: "unreachable", reason: "the server is starting up" },
  "53300": { kind: "unreachable", reason: "too many connections" },
  "08000": { kind: "lost", reason: "connection lost" },
  "08003": { kind: "lost", reason: "connection lost" },
  "08006": { kind: "lost", reason: "connection lost" },
  "28P01": { kind: "refused", reason: "password authentication failed" },
  "28000": { kind: "refused", reason: "access denied" },
  "3D000": { kind: "refused", reason: "database does not exist" },
  "57014": { kind: "timeout" }, // query_canceled (statement_timeout)
  "55P03": { kind: "locked" }, // lock_not_available (lock_timeout)
  "25006": { kind: "read-only" },
};

/** node-postgres errors carry the SQLSTATE in `code`. */
export function classifyPostgres(err: unknown): Classified | undefined {
  const code = asErrorLike(err).code;
  if (code === undefined) return undefined;
  if (BY_SQLSTATE[code]) return BY_SQLSTATE[code];
  // Class 22: data_exception (a value the column refuses).
  if (/^22[0-9A-Z]{3}$/.test(code)) return { kind: "data" };
  return undefined;
}
