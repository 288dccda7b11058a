import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";

const SQS_BATCH_MAX = 10;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Sends `{"id": N}` per task, ten to a request; reports which ids did not go out. */
export async function sendTaskMessages(
  sqs: SQSClient,
  queueUrl: string,
  ids: number[],
): Promise<{ sent: number[]; failed: number[] }> {
  const sent: number[] = [];
  const failed: number[] = [];
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
    } catch {
      failed.push(...group);
    }
  }
  return { sent, failed };
}

/**
 * Receives up to `max` messages shaped as Lambda's SQS event records, so the local runner
 * drives the same handler the cloud does.
 */
export async function receiveRecords(
  sqs: SQSClient,
  queueUrl: string,
  max: number,
  waitSeconds: number,
): Promise<SQSRecord[]> {
  const res = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(max, SQS_BATCH_MAX),
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
    }),
  );
  return (res.Messages ?? []).map((m) => ({
    messageId: m.MessageId ?? "",
    receiptHandle: m.ReceiptHandle ?? "",
    body: m.Body ?? "",
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
      SentTimestamp: m.Attributes?.SentTimestamp ?? "0",
      SenderId: "",
      ApproximateFirstReceiveTimestamp: "0",
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: "",
    awsRegion: "",
  }));
}

/** Deletes handled messages, as Lambda does for records not listed in batchItemFailures. */
export async function deleteRecords(
  sqs: SQSClient,
  queueUrl: string,
  records: SQSRecord[],
): Promise<void> {
  for (const group of chunks(records, SQS_BATCH_MAX)) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: group.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
}
