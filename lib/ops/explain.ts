import type { Config } from "../config.js";
import { classifyError, DIALECTS } from "../engines/index.js";
import { asErrorLike } from "../failure/kinds.js";

/** The error's own words; an AggregateError (a refused dual-stack connect) often has none. */
export function errorText(err: unknown): string {
  const e = asErrorLike(err);
  const inner = (err as { errors?: unknown[] } | null)?.errors?.[0];
  const text = e.message || (inner ? asErrorLike(inner).message : "") || e.code || String(err);
  return e.name && e.name !== "Error" && !text.startsWith(e.name) ? `${e.name}: ${text}` : text;
}

/** What an operator can do about a failure, or "" when there is nothing better than the error. */
export function failureHint(err: unknown, config: Pick<Config, "taskDb">): string {
  const e = asErrorLike(err);
  if (e.name === "CredentialsProviderError") {
    return "No AWS credentials were found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.";
  }
  if (DIALECTS[config.taskDb.engine].isMissingTable(err)) {
    return "The task table is not there: check TASK_TABLE, or create it with `npm run migrate`.";
  }
  if (e.$metadata?.httpStatusCode !== undefined) {
    return "S3 or SQS refused the request: check EXPORT_BUCKET, EXPORT_QUEUE_URL, AWS_REGION (AWS_ENDPOINT_URL for an emulator) and this identity's permissions.";
  }
  const kind = classifyError(err).kind;
  if (kind === "unreachable" || kind === "lost") {
    return "Could not reach it: is the task database (TASK_DB_URL) up and reachable from this machine? For S3 and SQS, check AWS_REGION and AWS_ENDPOINT_URL.";
  }
  if (kind === "refused") {
    return "The task database refused the login or the database name: check TASK_DB_URL (or the secret TASK_DB_SECRET_ARN names).";
  }
  return "";
}
