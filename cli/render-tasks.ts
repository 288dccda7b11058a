import { statusName } from "../lib/ops/statuses.js";
import { ageSeconds, runAttempt, runSeconds, timelineOf } from "../lib/ops/task-view.js";
import type { TaskRow } from "../lib/tasks/store.js";
import {
  type Column,
  humanBytes,
  humanDuration,
  localTime,
  oneLine,
  table,
  textWidth,
} from "./format.js";

export interface Screen {
  /** A terminal: long cells are cut to fit its width. Otherwise (a pipe) every cell is whole. */
  tty: boolean;
  width: number;
}

const count = (n: number | null) => (n === null ? "-" : n.toLocaleString("en-US"));

/** The list verb's table: the msg column takes what the terminal has left. */
export function listTable(rows: TaskRow[], now: Date, screen: Screen): string {
  const columns: Column[] = [
    { header: "id", right: true },
    { header: "status" },
    { header: "creator", ...(screen.tty ? { max: 16 } : {}) },
    { header: "name", ...(screen.tty ? { max: 24 } : {}) },
    { header: "rows", right: true },
    { header: "size", right: true },
    { header: "run", right: true },
    { header: "age", right: true },
  ];
  const cells = rows.map((r) => [
    String(r.task.id),
    statusName(r.status),
    oneLine(r.task.createrName),
    oneLine(r.task.name),
    count(r.rowCount),
    humanBytes(r.byteCount),
    humanDuration(runSeconds(r, now)),
    humanDuration(ageSeconds(r, now)),
  ]);
  const used = Math.max(...table(columns, cells).split("\n").map(textWidth));
  const msg: Column = {
    header: "msg",
    ...(screen.tty ? { max: Math.max(20, screen.width - used - 3) } : {}),
  };
  return table(
    [...columns, msg],
    cells.map((c, i) => [...c, oneLine(rows[i]?.msg ?? "")]),
  );
}

/** Every field of one task, its timeline and its query, for a person. */
export function showText(row: TaskRow, now: Date, maxAttempts: number): string {
  const t = row.task;
  const size =
    row.byteCount === null ? "-" : `${humanBytes(row.byteCount)} (${count(row.byteCount)} bytes)`;
  const fields: [string, string][] = [
    ["status", `${statusName(row.status)} (${row.status})`],
    ["creator", t.createrName],
    ["title", t.title],
    ["options", t.options ?? "(the deployment's defaults)"],
    ["rows", count(row.rowCount)],
    ["slices", row.slices ? `${row.slices.done} of ${row.slices.count} written` : "-"],
    ["size", size],
    [
      "attempts",
      `${runAttempt(row)} in this run, of at most ${maxAttempts}; ${t.attempts} in all${t.attemptBase ? ` (re-run after ${t.attemptBase})` : ""}`,
    ],
    ["age", humanDuration(ageSeconds(row, now))],
    ["run time", humanDuration(runSeconds(row, now))],
    ["cancelled by", row.cancelledBy ?? "-"],
    ["msg", row.msg ?? "-"],
    ["link", row.filepath ?? "-"],
    ["object", row.s3Key ?? "-"],
  ];
  const labelWidth = Math.max(...fields.map(([k]) => k.length));
  const indent = " ".repeat(labelWidth + 4);
  const lines = [`Task ${t.id}: ${oneLine(t.name)}`];
  for (const [k, v] of fields) {
    lines.push(`  ${k.padEnd(labelWidth)}  ${v.split(/\r?\n/).join(`\n${indent}`)}`);
  }
  lines.push("", "Timeline");
  const steps = timelineOf(row);
  const stepWidth = Math.max(0, ...steps.map((s) => s.label.length));
  for (const s of steps) {
    const after = s.afterPrevious === null ? "" : `  +${humanDuration(s.afterPrevious)}`;
    const ahead =
      s.at > now ? `  (in ${humanDuration((s.at.getTime() - now.getTime()) / 1000)})` : "";
    lines.push(`  ${s.label.padEnd(stepWidth)}  ${localTime(s.at)}${after}${ahead}`);
  }
  lines.push("", "Query", ...t.query.split(/\r?\n/).map((l) => `  ${l}`));
  return lines.join("\n");
}
