import { MSG_MAX_CHARS, redact, truncate } from "../redact.js";
import { asErrorLike, type Classified, type StopOutcome } from "./kinds.js";
import type { Stage } from "./policy.js";
import { CellTooLong, ResponseTooLarge, ValueTooLarge } from "./too-large.js";

const mb = (bytes: number) => `${Math.round((bytes / 1024 ** 2) * 10) / 10} MB`;

/** Row, column and its title label: what to leave out or shorten. */
function tooLargeText(e: ValueTooLarge, labels: readonly string[]): string {
  const label = labels[e.column];
  return `Row ${e.row}, column ${e.column}${label ? ` (${label})` : ""} makes the row larger than ${mb(e.limitBytes)}, the most one exported row may hold. Leave that column out or shorten it in the SQL (for example LEFT(column, 10000) or substr(column, 1, 10000)) and create the task again.`;
}

/** Row, column and its label; what to change: the file type, or the column. */
function tooLongText(e: CellTooLong, labels: readonly string[]): string {
  const label = labels[e.column];
  const limit = e.limitChars.toLocaleString("en-US");
  return `Row ${e.row}, column ${e.column}${label ? ` (${label})` : ""} holds more than ${limit} characters, the most a spreadsheet cell holds. Export as CSV, or shorten that column in the SQL (for example LEFT(column, ${e.limitChars}) or substr(column, 1, ${e.limitChars})), and create the task again.`;
}

/** How a query past its time limit was stopped: by the server's own limit, or the worker's stop. */
const STOPPED: Record<StopOutcome | "server", string> = {
  server: "was stopped",
  cancelled: "was cancelled",
  terminated: "did not stop when cancelled, so its connection was terminated",
  unconfirmed:
    "was cancelled, but the database did not confirm that it stopped; an operator has been alerted",
};

/** Turns any error into a sentence a person can act on, without credentials or hosts. */
export function describeFailure(
  err: unknown,
  c: Classified,
  stage: Stage,
  o: {
    timeoutSeconds: number;
    secrets: readonly string[];
    /** The task's title labels; the first heads the row number, so labels[n] names column n. */
    labels?: readonly string[];
  },
): string {
  const e = asErrorLike(err);
  const raw = String(e.sqlMessage ?? e.message ?? err);
  const connection = c.kind === "unreachable" || c.kind === "lost" || c.kind === "refused";
  let text: string;
  if (e.name === "TaskSqlRejected") {
    text = `${raw} Fix the task's SQL and create the task again.`;
  } else if (e.name === "NotSliceable") {
    text = raw;
  } else if (e.name === "OptionsRejected") {
    text = `The task's options cannot be used: ${raw}. Fix the options and create the task again.`;
  } else if (err instanceof ValueTooLarge) {
    text = tooLargeText(err, o.labels ?? []);
  } else if (err instanceof CellTooLong) {
    text = tooLongText(err, o.labels ?? []);
  } else if (err instanceof ResponseTooLarge) {
    text = `The database answered with a message larger than ${mb(err.limitBytes)}, more than the worker can read (usually an error that quotes a very large value, such as a failed conversion of a long text). Fix the SQL and create the task again.`;
  } else if (connection && c.reason !== undefined) {
    const what = stage === "upload" ? "file storage" : "the database";
    text = `Could not reach ${what} (${c.reason}). Nothing was exported; try again later or ask an operator.`;
  } else if (stage !== "upload" && c.kind === "lost") {
    text =
      "Lost the connection to the database during the export. Nothing was exported; try again later or ask an operator.";
  } else if (c.kind === "timeout") {
    text = `The query ran longer than the ${o.timeoutSeconds}-second limit and ${STOPPED[e.stopped ?? "server"]}. Narrow the query (fewer rows, an indexed filter) and try again.`;
  } else if (c.kind === "locked") {
    text =
      "The query waited too long for a lock that another session holds on a table it reads (a schema change, a table lock). Try again later, or ask an operator what holds the table.";
  } else if (c.kind === "read-only") {
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
