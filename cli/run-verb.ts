import { cancelTasks } from "../lib/ops/cancel.js";
import type { Ops } from "../lib/ops/context.js";
import { enqueueTasks } from "../lib/ops/enqueue.js";
import { listTasks, showTask } from "../lib/ops/inspect.js";
import { purgeFiles } from "../lib/ops/purge.js";
import { requeueStuck } from "../lib/ops/requeue-stuck.js";
import type { ItemResult } from "../lib/ops/results.js";
import { retryTasks } from "../lib/ops/retry.js";
import { taskJson } from "../lib/ops/task-view.js";
import type { FlagValue } from "./args.js";
import { EXIT } from "./exit-codes.js";
import { itemsText, purgeText, requeueText } from "./render-reports.js";
import { listTable, type Screen, showText } from "./render-tasks.js";

/** What a verb printed: the document for --json, the text otherwise, and the exit code. */
export interface VerbOutput {
  json: unknown;
  text: string;
  /** Hints for a person (on stderr, so a pipe gets only the table). */
  notes?: string[];
  code: number;
}

export interface VerbInput {
  verb: string;
  ids: number[];
  flags: Record<string, FlagValue>;
  screen: Screen;
  /** Who is cancelling when --by is not given. */
  user: string;
}

export const DEFAULT_LIST_LIMIT = 50;

/** Runs one verb against the task table, bucket and queue, and shapes what it found for printing. */
export async function runVerb(ops: Ops, v: VerbInput): Promise<VerbOutput> {
  const f = v.flags;
  switch (v.verb) {
    case "list": {
      const limit = (f.limit as number | undefined) ?? DEFAULT_LIST_LIMIT;
      const { rows, now } = await listTasks(ops, {
        limit,
        ...(f.status ? { statuses: f.status as number[] } : {}),
        ...(f.creator ? { creator: f.creator as string } : {}),
        ...(f["older-than"] ? { olderThanSeconds: f["older-than"] as number } : {}),
        ...(f["before-id"] ? { beforeId: f["before-id"] as number } : {}),
      });
      const next = rows.length === limit ? (rows[rows.length - 1]?.task.id ?? null) : null;
      return {
        json: {
          tasks: rows.map((r) => taskJson(r, now, { withQuery: false })),
          next_before_id: next,
          db_now: now.toISOString(),
        },
        text: rows.length === 0 ? "No tasks match." : listTable(rows, now, v.screen),
        notes: next === null ? [] : [`More: add --before-id ${next} for the next page.`],
        code: EXIT.ok,
      };
    }
    case "show": {
      const id = v.ids[0] as number;
      const { row, now } = await showTask(ops, id);
      if (!row) return { json: { task: null }, text: `No task ${id}.`, code: EXIT.partial };
      return {
        json: { task: taskJson(row, now, { withQuery: true }) },
        text: showText(row, now, ops.config.maxAttempts),
        code: EXIT.ok,
      };
    }
    case "enqueue":
      return items(await enqueueTasks(ops, v.ids));
    case "retry":
      return items(await retryTasks(ops, v.ids));
    case "cancel":
      return items(await cancelTasks(ops, v.ids, (f.by as string | undefined) ?? v.user));
    case "requeue-stuck": {
      const leaseSeconds = (f["lease-seconds"] as number | undefined) ?? ops.config.leaseSeconds;
      const r = await requeueStuck(ops, { leaseSeconds, dryRun: f["dry-run"] === true });
      return {
        json: {
          lease_seconds: r.leaseSeconds,
          dry_run: r.dryRun,
          stuck: r.stuck.map((s) => ({
            id: s.id,
            action: s.action,
            attempt: s.attempt,
            max_attempts: s.maxAttempts,
          })),
          redispatched: r.redispatched,
        },
        text: requeueText(r),
        code: EXIT.ok,
      };
    }
    case "purge": {
      const r = await purgeFiles(ops, {
        olderThanSeconds: f["older-than"] as number,
        dryRun: f["dry-run"] === true,
      });
      return {
        json: {
          older_than_seconds: r.olderThanSeconds,
          dry_run: r.dryRun,
          files: r.files.map((x) => ({
            id: x.id,
            s3_key: x.s3Key,
            bytes: x.bytes,
            result: x.result,
          })),
          skipped: r.skipped.map((x) => ({ id: x.id, s3_key: x.s3Key, why: x.why })),
          failed: r.failed.map((x) => ({ id: x.id, s3_key: x.s3Key, error: x.error })),
          bytes_freed: r.bytesFreed,
        },
        text: purgeText(r),
        code: r.failed.length > 0 ? EXIT.failure : r.skipped.length > 0 ? EXIT.partial : EXIT.ok,
      };
    }
    default:
      throw new Error(`no handler for verb ${v.verb}`);
  }
}

function items(results: ItemResult[]): VerbOutput {
  const code = results.some((r) => r.outcome === "error")
    ? EXIT.failure
    : results.some((r) => r.outcome === "skipped")
      ? EXIT.partial
      : EXIT.ok;
  return { json: { results }, text: itemsText(results), code };
}
