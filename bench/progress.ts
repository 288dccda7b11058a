// What progress costs a running task: the write the worker makes every PROGRESS_SECONDS (rows
// and bytes so far, with the heartbeat, fenced on the claim and on a cancel), timed on each real
// task database, and that cost as a share of the worker's time at the deployed interval. The
// write runs on a timer on the task database's pool, beside the data path, which never waits
// for it; its cost is this share of one core at most.

import { DEFAULTS } from "../lib/config.js";
import { parseDbUrl } from "../lib/db/url.js";
import { createSqlClient } from "../lib/engines/index.js";
import { parseTableName } from "../lib/identifiers.js";
import { insertTask } from "../lib/local/task-admin.js";
import { migrate } from "../lib/tasks/migrate.js";
import { TaskStore } from "../lib/tasks/store.js";

const RUNS = 300;
const engines = [
  ["mysql", process.env.OE_MYSQL_TASK_URL],
  ["postgres", process.env.OE_PG_TASK_URL],
] as const;

console.log(`progress writes, ${RUNS} each, every ${DEFAULTS.PROGRESS_SECONDS} s when deployed`);
console.log("engine    median ms  p95 ms  max ms  share of a worker's time");
for (const [engine, url] of engines) {
  if (!url)
    throw new Error(
      `OE_${engine === "mysql" ? "MYSQL" : "PG"}_TASK_URL is not set: run under scripts/with-services.sh`,
    );
  const db = createSqlClient(parseDbUrl(url), 2);
  const table = parseTableName(`oe_bench_progress_${process.pid}`);
  try {
    await migrate(db, table);
    const store = new TaskStore(db, table);
    const id = await insertTask(db, table, {
      name: "b",
      title: "a",
      query: "select 1",
      createrName: "bench",
    });
    const claim = await store.claim(id, 10);
    if (claim.kind !== "claimed") throw new Error("could not claim the bench task");
    const ms: number[] = [];
    for (let i = 0; i < RUNS + 10; i++) {
      const t0 = process.hrtime.bigint();
      const r = await store.progress(claim.task, i * 1000, i * 50_000);
      if (r.kind !== "ok") throw new Error(`progress write refused: ${r.kind}`);
      if (i >= 10) ms.push(Number(process.hrtime.bigint() - t0) / 1e6); // the first ten warm up
    }
    ms.sort((a, b) => a - b);
    const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] as number;
    const share = at(0.5) / (DEFAULTS.PROGRESS_SECONDS * 1000);
    console.log(
      `${engine.padEnd(9)} ${at(0.5).toFixed(2).padStart(9)} ${at(0.95).toFixed(2).padStart(7)} ${at(1).toFixed(2).padStart(7)}  ${(share * 100).toFixed(3)} %`,
    );
  } finally {
    await db.query(`DROP TABLE IF EXISTS ${table.name}`);
    await db.query(`DROP TABLE IF EXISTS ${table.name}_lock`);
    await db.close();
  }
}
