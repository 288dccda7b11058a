import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { textWidth } from "../../cli/format.js";
import { itemsText, purgeText, requeueText } from "../../cli/render-reports.js";
import { listTable, showText } from "../../cli/render-tasks.js";
import { taskRow } from "./task-row.js";

const now = new Date(Date.UTC(2026, 11, 2, 10, 3, 0));

describe("CLI output", () => {
  it("cuts long cells to the terminal's width, and keeps them whole in a pipe", () => {
    const long = taskRow(
      { msg: `Bad SQL:\n${"column x does not exist; ".repeat(10)}` },
      { name: "一".repeat(40) },
    );
    const tty = listTable([long], now, { tty: true, width: 100 });
    for (const line of tty.split("\n")) assert.ok(textWidth(line) <= 100, line);
    assert.match(tty, /一…/);
    assert.match(tty, / {2}Bad SQL: column .*…$/);
    const piped = listTable([long], now, { tty: false, width: 100 });
    assert.ok(piped.includes("一".repeat(40)));
    assert.ok(piped.endsWith("column x does not exist;"));
  });

  it("lists id, status, creator, name, rows, size, run, age, msg", () => {
    assert.equal(
      listTable([taskRow()], now, { tty: false, width: 80 }),
      [
        "id  status     creator  name       rows   size  run     age  msg",
        " 7  succeeded  alice    订单导出  1,000  56 KB   4s  3m 00s",
      ].join("\n"),
    );
  });

  it("shows every field, multi-line text indented, the timeline and the query", () => {
    const out = showText(
      taskRow(
        { msg: "line one\nline two", cancelledBy: "王五" },
        { attempts: 4, attemptBase: 3, options: '{"format":"xlsx"}' },
      ),
      now,
      3,
    );
    assert.match(out, /^Task 7: 订单导出\n {2}status {8}succeeded \(2\)\n/);
    assert.match(out, /^ {2}size {10}56 KB \(57,344 bytes\)$/m);
    assert.match(
      out,
      /^ {2}attempts {6}1 in this run, of at most 3; 4 in all \(re-run after 3\)$/m,
    );
    assert.match(out, /^ {2}msg {11}line one\n {16}line two$/m);
    assert.match(out, /^ {2}cancelled by {2}王五$/m);
    assert.match(out, /^ {2}options {7}\{"format":"xlsx"\}$/m);
    assert.match(out, /^ {2}finished {8}\d{4}-\d\d-\d\d \d\d:\d\d:05 {2}\+1s$/m);
    assert.match(out, /\nQuery\n {2}SELECT order_no\n {2}FROM orders$/);
  });

  it("says when a planned retry comes", () => {
    const waiting = taskRow({
      status: 0,
      timeline: {
        ...taskRow().timeline,
        retry_at: new Date(now.getTime() + 25_000),
        finished_at: null,
      },
    });
    assert.match(showText(waiting, now, 3), /^ {2}retry at .* {2}\(in 25s\)$/m);
  });

  it("reports items with counts, requeues and purges in words", () => {
    assert.equal(
      itemsText([
        { id: 3, outcome: "done", result: "cancelled", note: "it ends in 3" },
        { id: 12, outcome: "skipped", result: "not-found", note: "no such task" },
      ]),
      [
        "id  result     note",
        " 3  cancelled  it ends in 3",
        "12  not-found  no such task",
        "1 done, 1 left alone, 0 failed",
      ].join("\n"),
    );
    const requeue = requeueText({
      leaseSeconds: 180,
      dryRun: false,
      stuck: [
        { id: 4, action: "released", attempt: 1, maxAttempts: 3 },
        { id: 5, action: "cancelled", attempt: 2, maxAttempts: 3 },
        { id: 6, action: "unchanged", attempt: 1, maxAttempts: 3 },
      ],
      redispatched: [],
    });
    assert.match(requeue, /^ 4 +1\/3 +pending again, for attempt 2$/m);
    assert.match(requeue, /^ 5 +2\/3 +failed as cancelled \(a cancel was pending\)$/m);
    assert.match(requeue, /^ 6 +1\/3 +left alone: its worker wrote a heartbeat meanwhile$/m);
    assert.match(requeue, /never claimed: 0 task\(s\)$/);
    const purge = purgeText({
      olderThanSeconds: 86_400,
      dryRun: false,
      files: [{ id: 8, s3Key: "exports/a.csv", bytes: 0, result: "gone" }],
      skipped: [{ id: 9, s3Key: "elsewhere/b.csv", why: "not under EXPORT_KEY_PREFIX (exports/)" }],
      failed: [{ id: 10, s3Key: "exports/c.csv", error: "AccessDenied" }],
      bytesFreed: 0,
    });
    assert.match(purge, /^left alone: task 9 \(elsewhere\/b\.csv\): not under EXPORT_KEY_PREFIX/m);
    assert.match(purge, /^failed: task 10 \(exports\/c\.csv\): AccessDenied$/m);
    assert.match(
      purge,
      /removed 0 file\(s\) of tasks finished over 1 day ago, 0 B \(0 bytes\); 1 already gone from S3 \(rows cleared\); 1 left alone, 1 failed$/,
    );
  });
});
