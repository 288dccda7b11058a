import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";

/** SQS takes at most this many entries in one batch request. */
export const SQS_BATCH_MAX = 10;

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Sends `{"id": N}` per task, ten to a request; reports which ids did not go out, and the last
 * reason given (for an operator to act on; the scheduler only logs the ids).
 */
export async function sendTaskMessages(
  sqs: SQSClient,
  queueUrl: string,
  ids: number[],
): Promise<{ sent: number[]; failed: number[]; error?: string }> {
  const sent: number[] = [];
  const failed: number[] = [];
  let error: string | undefined;
  for (const group of chunks(ids, SQS_BATCH_MAX)) {
    try {
      const res = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: group.map((id) => ({ Id: String(id), MessageBody: JSON.stringify({ id }) })),
        }),
      );
      const bad = new Set((res.Failed ?? []).map((f) => Number(f.Id)));
      for (const id of group) (bad.has(id) ? failed : sent).push(id);
      const why = res.Failed?.[0];
      if (why) error = `${why.Code ?? "refused"}: ${why.Message ?? ""}`.trim();
    } catch (err) {
      failed.push(...group);
      error = err instanceof Error ? err.message : String(err);
    }
  }
  return error === undefined ? { sent, failed } : { sent, failed, error };
}

/** One message per slice of a sliced task (lib/slices): `{"id": N, "slice": n, "attempt": a}`. */
export async function sendSliceMessages(
  sqs: SQSClient,
  queueUrl: string,
  id: number,
  attempt: number,
  slices: number[],
  /** Before a slice's retry (SQS allows up to 900). */
  delaySeconds = 0,
): Promise<{ failed: number[]; error?: string }> {
  const failed: number[] = [];
  let error: string | undefined;
  for (const group of chunks(slices, SQS_BATCH_MAX)) {
    try {
      const res = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: group.map((slice) => ({
            Id: String(slice),
            MessageBody: JSON.stringify({ id, slice, attempt }),
            DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))),
          })),
        }),
      );
      for (const f of res.Failed ?? []) failed.push(Number(f.Id));
      const why = res.Failed?.[0];
      if (why) error = `${why.Code ?? "refused"}: ${why.Message ?? ""}`.trim();
    } catch (err) {
      failed.push(...group);
      error = err instanceof Error ? err.message : String(err);
    }
  }
  return error === undefined ? { failed } : { failed, error };
}
