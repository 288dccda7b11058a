// The fault-injection suite: every scenario against the real services, then one table.
// Exit code 1 unless every row reads zero stuck, zero duplicate exports, zero leftover
// multipart uploads, and the expected statuses.
import * as s from "./scenarios.js";

const scenarios: [string, s.Scenario][] = [
  ["duplicates", s.duplicateDelivery],
  ["simultaneous", s.simultaneousClaims],
  ["killed", s.workerKilled],
  ["killed-always", s.killedEveryAttempt],
  ["deadline", s.deadline],
  ["zombie", s.zombieWorker],
  ["restart-postgres", s.dataDbRestart("postgres")],
  ["restart-mysql", s.dataDbRestart("mysql")],
  ["storage-down", s.storageDown],
  ["taskdb-down", s.taskDbDown],
  ["load", s.load],
  ["writes-postgres", s.writesRefused("postgres")],
  ["writes-mysql", s.writesRefused("mysql")],
  ["bad-messages", s.badMessages],
  ["hostile-fields", s.hostileFields],
];

const only = process.argv.slice(2);
const rows: s.Row[] = [];
const failures: string[] = [];
const started = Date.now();
for (const [key, run] of scenarios) {
  if (only.length && !only.includes(key)) continue;
  const t0 = Date.now();
  process.stderr.write(`[faults] ${key} ... `);
  try {
    const row = await run();
    rows.push(row);
    const bad = [
      ...row.problems,
      ...(row.stuck ? [`${row.stuck} stuck`] : []),
      ...(row.duplicateExports ? [`${row.duplicateExports} duplicate exports`] : []),
      ...(row.leftoverUploads ? [`${row.leftoverUploads} leftover uploads`] : []),
      ...(row.ended2 !== row.expected.ended2 || row.ended3 !== row.expected.ended3
        ? [
            `ended 2/3 = ${row.ended2}/${row.ended3}, expected ${row.expected.ended2}/${row.expected.ended3}`,
          ]
        : []),
    ];
    if (bad.length) {
      const msgs = row.msgs.filter((m) => m).slice(0, 3);
      failures.push(`${key}: ${bad.join("; ")}${msgs.length ? ` (msg: ${msgs.join(" | ")})` : ""}`);
    }
    process.stderr.write(
      `${bad.length ? "FAIL" : "ok"} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
  } catch (err) {
    failures.push(`${key}: threw ${(err as Error).stack ?? err}`);
    process.stderr.write("ERROR\n");
  }
}

const header = [
  "scenario",
  "tasks",
  "dup delivered",
  "faults",
  "ended 2",
  "ended 3",
  "stuck",
  "dup exports",
  "leftover MPUs",
  "note",
];
const table = rows.map((r) =>
  [
    r.scenario,
    r.tasks,
    r.duplicatesDelivered,
    r.faults,
    r.ended2,
    r.ended3,
    r.stuck,
    r.duplicateExports,
    r.leftoverUploads,
    r.note,
  ].map(String),
);
console.log(`| ${header.join(" | ")} |`);
console.log(`|${header.map(() => "---").join("|")}|`);
for (const r of table) console.log(`| ${r.join(" | ")} |`);
console.log(`\n${rows.length} scenarios in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (failures.length) {
  console.log(`\nFAILED:\n${failures.map((f) => `- ${f}`).join("\n")}`);
  process.exit(1);
}
process.exit(0);
