import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { chunks, SQS_BATCH_MAX } from "../queue.js";

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
