// npm run migrate: create or upgrade the task table at TASK_DB_URL (TASK_TABLE). Idempotent.
import { loadTaskTableConfig } from "../lib/config.js";
import { createSqlClient } from "../lib/engines/index.js";
import { migrate } from "../lib/tasks/migrate.js";

async function main() {
  const { taskDb, taskTable } = loadTaskTableConfig();
  const db = createSqlClient(taskDb, 1);
  try {
    const name = taskTable.schema ? `${taskTable.schema}.${taskTable.name}` : taskTable.name;
    const r = await migrate(db, taskTable);
    const changes = [
      r.created ? "created the table" : "",
      r.added.length ? `added ${r.added.join(", ")}` : "",
      r.widened.length ? `widened ${r.widened.join(", ")}` : "",
      r.indexed ? "added the (status, id) index" : "",
    ].filter(Boolean);
    console.log(
      `[migrate] ${name} on ${taskDb.label}: ${changes.length ? changes.join("; ") : "already up to date"}`,
    );
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(`[migrate] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
