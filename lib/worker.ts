import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { exportTask } from "./export/export-task.js";
import type { ExportDeps, ExportOptions, ExportOutcome } from "./export/types.js";
import { MAX_SLICES } from "./formats/options.js";
import type { ExportMetrics } from "./metrics.js";
import type { NotifyReport } from "./notify/notifier.js";
import { exportSlice, type SliceMessage } from "./slices/export-slice.js";

const MAX_BODY_CHARS = 1024;
export const MAX_TASK_ID = 2_147_483_647;

export class BadMessage extends Error {
  override name = "BadMessage";
}

/** `{"id": N}` from the scheduler or from PHP; anything else is a BadMessage. */
export function parseTaskMessage(body: string): number {
  if (body.length > MAX_BODY_CHARS)
    throw new BadMessage(`body is ${body.length} characters; expected {"id": N}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadMessage('body is not JSON; expected {"id": N}');
  }
  const raw = (parsed as { id?: unknown } | null)?.id;
  // PHP's json_encode may send the id as a string: accept "42" as well as 42.
  const id = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) {
    throw new BadMessage('expected {"id": N} with N a positive whole number');
  }
  // The task table's id is a 32-bit INT on both engines: a larger id names no task, and
  // PostgreSQL would refuse the query ("out of range"), sending the message round to the DLQ.
  if (id > MAX_TASK_ID) throw new BadMessage(`id ${id} is beyond the task table's id range`);
  return id;
}

/**
 * A slice message (`{"id": N, "slice": n, "attempt": a}`, sent by the worker that planned a
 * sliced task), or undefined for a task message. A slice field that is not a whole number is
 * a BadMessage.
 */
export function parseSliceMessage(body: string): SliceMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const m = parsed as { slice?: unknown; attempt?: unknown } | null;
  if (m === null || typeof m !== "object" || m.slice === undefined) return undefined;
  const id = parseTaskMessage(body);
  const whole = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;
  // slice -1: the join of a task's slices into its file (lib/slices/export-slice.ts).
  if (!whole(m.slice, -1) || !whole(m.attempt, 1) || (m.slice as number) >= MAX_SLICES)
    throw new BadMessage(
      'a slice message is {"id": N, "slice": n, "attempt": a} with whole numbers',
    );
  return { id, slice: m.slice as number, attempt: m.attempt as number };
}

/**
 * One SQS record. A malformed body is logged and dropped (retrying cannot fix it); an export
 * failure is recorded on the task; only a failure to reach the task table is thrown, so that
 * this record alone is retried and, after maxReceiveCount, dead-lettered.
 */
async function handleRecord(
  deps: ExportDeps,
  record: SQSRecord,
  options: WorkerOptions,
  notes: Promise<NotifyReport>[],
): Promise<ExportOutcome | undefined> {
  let id: number;
  let slice: SliceMessage | undefined;
  try {
    slice = parseSliceMessage(record.body);
    id = parseTaskMessage(record.body);
  } catch (err) {
    if (!(err instanceof BadMessage)) throw err;
    deps.logger.error("dropping malformed message", {
      messageId: record.messageId,
      reason: err.message,
      body: record.body.slice(0, 200),
    });
    return undefined;
  }
  try {
    const outcome =
      slice && deps.slicing
        ? await exportSlice(deps, deps.slicing, slice, options)
        : await exportTask(deps, id, options);
    options.metrics?.record(outcome);
    // Only once the row is final, and without waiting: the next record starts at once.
    if (deps.notifier && (outcome.kind === "exported" || outcome.kind === "failed"))
      notes.push(deps.notifier.taskFinished(id, options.notifyBy));
    return outcome;
  } catch (error) {
    // Powertools' batch processor records the failure without logging it: say here which task
    // goes back to SQS and why (redacted by the logger), before SQS retries it.
    deps.logger.error("task could not be handled; SQS will deliver it again", {
      messageId: record.messageId,
      taskId: id,
      receiveCount: record.attributes?.ApproximateReceiveCount,
      error,
    });
    throw error;
  }
}

export interface WorkerOptions extends ExportOptions {
  metrics?: ExportMetrics;
  /**
   * Epoch ms by which notifications give up: the Lambda's own end less a little. They start
   * after the row is final, so they may use the deadline margin that the export keeps free.
   */
  notifyBy?: number;
}

/**
 * The SQS batch, with partial batch failures: one bad record never fails the others. The
 * batch's notifications are awaited before returning (Lambda freezes the process after the
 * return); they never change the batch's result.
 */
export async function handleSqsBatch(
  deps: ExportDeps,
  event: SQSEvent,
  options: WorkerOptions = {},
): Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const notes: Promise<NotifyReport>[] = [];
  const result = await processPartialResponse(
    event,
    (r: SQSRecord) => handleRecord(deps, r, options, notes),
    processor,
    {
      throwOnFullBatchFailure: false,
    },
  );
  for (const report of await Promise.all(notes)) options.metrics?.notified(report);
  return result;
}
