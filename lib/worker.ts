import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type ExportDeps, type ExportOptions, type ExportOutcome, exportTask } from "./export.js";

const MAX_BODY_CHARS = 1024;

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
  return id;
}

/**
 * One SQS record. A malformed body is logged and dropped (retrying cannot fix it); an export
 * failure is recorded on the task; only a failure to reach the task table is thrown, so that
 * this record alone is retried and, after maxReceiveCount, dead-lettered.
 */
export async function handleRecord(
  deps: ExportDeps,
  record: SQSRecord,
  options: ExportOptions = {},
): Promise<ExportOutcome | undefined> {
  let id: number;
  try {
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
  return exportTask(deps, id, options);
}

/** The SQS batch, with partial batch failures: one bad record never fails the others. */
export function handleSqsBatch(
  deps: ExportDeps,
  event: SQSEvent,
  options: ExportOptions = {},
): Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(
    event,
    (r: SQSRecord) => handleRecord(deps, r, options),
    processor,
    {
      throwOnFullBatchFailure: false,
    },
  );
}
