import type { DbUrl } from "./db/url.js";
import type { DbClient, RoleFacts } from "./engines/dialect.js";
import { createSqlClient } from "./engines/index.js";
import type { Logger } from "./logger.js";

export interface Finding {
  level: "ok" | "warn" | "problem";
  text: string;
}

function userOf(db: DbUrl): string {
  const u = new URL(db.url);
  return `${decodeURIComponent(u.username)}@${u.hostname}:${u.port}${u.pathname}`;
}

/**
 * Whether task SQL runs as a real boundary: a user of its own that can only read. Each finding
 * says what to do; README "The data role" has the GRANT script.
 */
export function judgeDataRole(taskDb: DbUrl, dataDb: DbUrl, facts: RoleFacts): Finding[] {
  const out: Finding[] = [];
  if (userOf(taskDb) === userOf(dataDb)) {
    out.push({
      level: "problem",
      text: "Task SQL runs as the task-table user (DATA_DB_URL is TASK_DB_URL or the same user): it can read every task, link and query. Create a SELECT-only user and set DATA_DB_URL (deployed: DATA_DB_SECRET_ARN) to it.",
    });
  }
  if (facts.superuser) {
    out.push({
      level: "problem",
      text: `The data user ${facts.user} is a superuser (or holds ALL/SUPER on *.*): the read-only transaction is its only limit. Use a user with SELECT only.`,
    });
  }
  if (facts.serverFiles.length > 0) {
    out.push({
      level: "problem",
      text: `The data user ${facts.user} holds ${[...new Set(facts.serverFiles)].join(", ")}: it can reach server files, programs or other sessions. Revoke them.`,
    });
  }
  if (facts.writes.length > 0) {
    out.push({
      level: "warn",
      text: `The data user ${facts.user} may write (${facts.writes.slice(0, 3).join("; ")}). Exports only read: grant SELECT only.`,
    });
  }
  for (const s of facts.unusualSettings) out.push({ level: "warn", text: s });
  if (out.length === 0) {
    out.push({
      level: "ok",
      text: `The data user ${facts.user} is separate from the task user and can only read.`,
    });
  }
  return out;
}

/** Connects as the data user and judges it. */
export async function checkDataRole(
  taskDb: DbUrl,
  dataDb: DbUrl,
  client: DbClient,
): Promise<Finding[]> {
  return judgeDataRole(taskDb, dataDb, await client.dialect.roleFacts(client));
}

/**
 * The worker's cold-start check: logs each problem as a warning (operators see it in the
 * logs and can alarm on it); never fails the cold start, never blocks an export.
 */
export async function warnAboutDataRole(
  taskDb: DbUrl,
  dataDb: DbUrl,
  logger: Logger,
): Promise<void> {
  const client = createSqlClient(dataDb, 1);
  try {
    for (const f of await checkDataRole(taskDb, dataDb, client)) {
      if (f.level !== "ok") logger.warn(`data role: ${f.text}`, { check: "npm run doctor" });
    }
  } catch (error) {
    logger.warn("data role: could not be checked", { error });
  } finally {
    await client.close().catch(() => {});
  }
}
