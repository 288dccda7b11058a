// Two exports of the same query by two paths, compared: byte for byte with the first
// difference shown, or as workbooks part by part (helpers for the fast-path tests).
import assert from "node:assert/strict";
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
