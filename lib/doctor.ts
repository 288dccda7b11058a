import type { DbUrl } from "./db/url.js";
import type { DbClient, RoleFacts } from "./engines/dialect.js";
import { createSqlClient } from "./engines/index.js";
import type { TableName } from "./identifiers.js";
import type { Logger } from "./logger.js";
import { controlTable } from "./tasks/control.js";

export interface Finding {
  level: "ok" | "warn" | "problem";
  text: string;
}

function userOf(db: DbUrl): string {
  const u = new URL(db.url);
  return `${decodeURIComponent(u.username)}@${u.hostname}:${u.port}${u.pathname}`;
}

/**
 * Whether task SQL runs as a real boundary: a user of its own that can only read its data,
 * cannot read the task tables, see or signal other sessions, or reach the server's files.
 * Each finding says what is wrong and the statement that fixes it (README "The data role").
 */
export function judgeDataRole(taskDb: DbUrl, dataDb: DbUrl, facts: RoleFacts): Finding[] {
  const out: Finding[] = [];
  const user = facts.user;
  if (userOf(taskDb) === userOf(dataDb)) {
    out.push({
      level: "problem",
      text: "Task SQL runs as the task-table user (DATA_DB_URL is TASK_DB_URL or the same user): it can read every task, link and query. Create a SELECT-only user and set DATA_DB_URL (deployed: DATA_DB_SECRET_ARN) to it.",
    });
  }
  if (facts.superuser) {
    out.push({
      level: "problem",
      text: `The data user ${user} is a superuser (or holds ALL/SUPER on *.*): the read-only transaction is its only limit. Use a user with SELECT only.`,
    });
  }
  for (const t of facts.readsTaskTables) {
    out.push({
      level: "problem",
      text: `The data user ${user} can read the task table (${t.held}): ${t.reaches}. Fix: ${t.fix}`,
    });
  }
  for (const p of facts.powers) {
    out.push({
      level: "problem",
      text: `The data user ${user} holds ${p.held}, which reaches ${p.reaches}. Fix: ${p.fix}`,
    });
  }
  if (facts.writes.length > 0) {
    out.push({
      level: "warn",
      text: `The data user ${user} may write (${facts.writes.slice(0, 3).join("; ")}). Exports only read: grant SELECT only.`,
    });
  }
  if (facts.seesOthersSql) {
    out.push({
      level: "warn",
      text: `Each task can read the SQL of other running tasks: ${facts.seesOthersSql.why}. Fix: ${facts.seesOthersSql.fix}`,
    });
  }
  for (const s of facts.unusualSettings) out.push({ level: "warn", text: s });
  if (out.length === 0) {
    out.push({
      level: "ok",
      text: `The data user ${user} is separate from the task user, can only read, cannot read the task table, and cannot see or signal other sessions.`,
    });
  }
  return out;
}

/** Connects as the data user (client) and judges it; `taskTable` is TASK_TABLE on taskDb. */
export async function checkDataRole(
  taskDb: DbUrl,
  dataDb: DbUrl,
  client: DbClient,
  taskTable: TableName,
): Promise<Finding[]> {
  const seen = client.dialect.taskTableSeenFrom(taskDb, dataDb, taskTable);
  const tables = seen ? [seen, controlTable(seen)] : [];
  return judgeDataRole(taskDb, dataDb, await client.dialect.roleFacts(client, tables));
}

/**
 * The worker's cold-start check: logs each problem as a warning (operators see it in the
 * logs and can alarm on it); never fails the cold start, never blocks an export.
 */
export async function warnAboutDataRole(
  taskDb: DbUrl,
  dataDb: DbUrl,
  taskTable: TableName,
  logger: Logger,
): Promise<void> {
  const client = createSqlClient(dataDb, 1);
  try {
    for (const f of await checkDataRole(taskDb, dataDb, client, taskTable)) {
      if (f.level !== "ok") logger.warn(`data role: ${f.text}`, { check: "npm run doctor" });
    }
  } catch (error) {
    logger.warn("data role: could not be checked", { error });
  } finally {
    await client.close().catch(() => {});
  }
}
