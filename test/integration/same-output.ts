// Two exports of the same query by two paths, compared: byte for byte with the first
// difference shown, or as workbooks part by part; and the steps those tests share.
import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import type { DbClient } from "../../lib/engines/dialect.js";
import { STATUS } from "../../lib/status.js";
import { download, type Harness, recordInputs } from "../helpers.js";
import { readZip } from "../unit/zip-read.js";

export function assertSameBytes(a: Buffer, b: Buffer, names = ["fast", "rows"]): void {
  if (a.equals(b)) return;
  let at = 0;
  while (a[at] === b[at]) at++;
  const near = (x: Buffer) => JSON.stringify(x.subarray(at - 60, at + 60).toString("latin1"));
  assert.fail(`differs at byte ${at}: ${names[0]} ${near(a)} | ${names[1]} ${near(b)}`);
}

/** Two XLSX files with the same parts, each part the same bytes. */
export function assertSameWorkbook(a: Buffer, b: Buffer): void {
  const x = readZip(a).entries;
  const y = readZip(b).entries;
  assert.deepEqual(
    x.map((e) => e.name),
    y.map((e) => e.name),
  );
  for (const [i, e] of y.entries())
    assert.ok(x[i]?.data.equals(e.data), `${e.name} is the same on both paths`);
}

/**
 * Reads a stream of the worker's session (its SQL holds `marker`) until 10 KB came, then
 * terminates that backend from `db`: what the stream ended with (an error, or undefined if it
 * ended cleanly).
 */
export async function terminateMidStream(
  db: DbClient,
  rows: Readable,
  marker: string,
): Promise<unknown> {
  let bytes = 0;
  const ended = new Promise<unknown>((resolve) => {
    rows.on("data", (c: Buffer) => {
      bytes += c.length;
    });
    rows.on("error", resolve);
    rows.on("end", () => resolve(undefined));
  });
  while (bytes < 10_000) await new Promise((r) => setTimeout(r, 20));
  await db.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'offline-export-worker' AND query LIKE $1",
    [`%${marker}%`],
  );
  return ended;
}

/**
 * Runs `task` on a harness's worker, one path of a comparison: the file's bytes and which input
 * the worker took ("fast" for the server's or our rendering, else "rows"). The task must
 * succeed with `rowCount` rows.
 */
export async function exportOn(
  h: Harness,
  path: string,
  task: { name: string; title: string; query: string; options?: string },
  rowCount: number,
): Promise<{ bytes: Buffer; taken: string[] }> {
  const { taken, restore } = recordInputs(h, "fast");
  try {
    const id = await h.insertTask(task);
    await h.runUntilIdle(120);
    const row = await h.app.exportDeps.tasks.get(id);
    assert.equal(row?.status, STATUS.succeeded, `${path}: task ended with msg: ${row?.msg}`);
    assert.equal(row.rowCount, rowCount);
    return { bytes: (await download(row.filepath as string)).bytes, taken };
  } finally {
    restore();
  }
}
