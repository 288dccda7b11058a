import { durationWords } from "../lib/ops/durations.js";
import type { PurgeReport } from "../lib/ops/purge.js";
import type { RequeueReport } from "../lib/ops/requeue-stuck.js";
import type { ItemResult } from "../lib/ops/results.js";
import { humanBytes, table } from "./format.js";

/** One line per task a verb acted on (or left alone), then the counts. */
export function itemsText(results: ItemResult[]): string {
  const body = table(
    [{ header: "id", right: true }, { header: "result" }, { header: "note" }],
    results.map((r) => [String(r.id), r.result, r.note]),
  );
  const n = (o: ItemResult["outcome"]) => results.filter((r) => r.outcome === o).length;
  return `${body}\n${n("done")} done, ${n("skipped")} left alone, ${n("error")} failed`;
}

const ACTIONS = {
  released: "pending again, for attempt",
  failed: "failed: out of attempts",
  cancelled: "failed as cancelled (a cancel was pending)",
  unchanged: "left alone: its worker wrote a heartbeat meanwhile",
} as const;

export function requeueText(r: RequeueReport): string {
  const would = r.dryRun ? "would be " : "";
  const lines = [
    `Processing, no heartbeat for over ${r.leaseSeconds} s: ${r.stuck.length} task(s)${r.dryRun ? " (dry run: nothing changed)" : ""}`,
  ];
  if (r.stuck.length > 0) {
    lines.push(
      table(
        [{ header: "id", right: true }, { header: "attempt", right: true }, { header: "what" }],
        r.stuck.map((s) => [
          String(s.id),
          `${s.attempt}/${s.maxAttempts}`,
          s.action === "released"
            ? `${would}${ACTIONS.released} ${s.attempt + 1}`
            : `${s.action === "unchanged" ? "" : would}${ACTIONS[s.action]}`,
        ]),
      ),
    );
  }
  lines.push(
    `Pending, sent over ${r.leaseSeconds} s ago and never claimed: ${r.redispatched.length} task(s)${r.redispatched.length > 0 ? `: ${r.redispatched.join(", ")} (${would}marked unsent: the scheduler sends them again at its next pass)` : ""}`,
  );
  return lines.join("\n");
}

export function purgeText(r: PurgeReport): string {
  const lines: string[] = [];
  if (r.files.length > 0) {
    lines.push(
      table(
        [
          { header: "id", right: true },
          { header: "result" },
          { header: "size", right: true },
          { header: "object" },
        ],
        r.files.map((f) => [String(f.id), f.result, humanBytes(f.bytes), f.s3Key]),
      ),
    );
  }
  for (const s of r.skipped) lines.push(`left alone: task ${s.id} (${s.s3Key}): ${s.why}`);
  for (const f of r.failed) lines.push(`failed: task ${f.id} (${f.s3Key}): ${f.error}`);
  const removed = r.files.filter((f) => f.result !== "gone").length;
  const gone = r.files.filter((f) => f.result === "gone").length;
  const verb = r.dryRun ? "would remove" : "removed";
  lines.push(
    `${r.dryRun ? "Dry run: " : ""}${verb} ${removed} file(s) of tasks finished over ${durationWords(r.olderThanSeconds)} ago, ${humanBytes(r.bytesFreed)} (${r.bytesFreed.toLocaleString("en-US")} bytes)${gone > 0 ? `; ${gone} already gone from S3 (rows cleared)` : ""}; ${r.skipped.length} left alone, ${r.failed.length} failed`,
  );
  return lines.join("\n");
}
