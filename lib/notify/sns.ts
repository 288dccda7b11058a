import { type MessageAttributeValue, PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { Permanent } from "./backoff.js";
import type { TaskFinishedEvent } from "./event.js";

/**
 * The event as the SNS message, with status, state and creator as message attributes so a
 * subscription's filter policy can pick, say, one creator's failures. Throws Permanent for
 * errors another try would get again (no such topic, not allowed, bad request).
 */
export async function publishEvent(
  sns: SNSClient,
  topicArn: string,
  event: TaskFinishedEvent,
  body: string,
  timeoutMs: number,
): Promise<void> {
  const attributes: Record<string, MessageAttributeValue> = {
    status: { DataType: "Number", StringValue: String(event.status) },
    state: { DataType: "String", StringValue: event.state },
  };
  // SNS refuses an empty attribute value.
  if (event.creator !== "") attributes.creator = { DataType: "String", StringValue: event.creator };
  try {
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: body, MessageAttributes: attributes }),
      { abortSignal: AbortSignal.timeout(timeoutMs) },
    );
  } catch (err) {
    const code = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const throttled = /throttl/i.test((err as Error).name ?? "");
    const again = code === undefined || code >= 500 || code === 408 || code === 429 || throttled;
    if (!again) throw new Permanent(`${(err as Error).name}: ${(err as Error).message}`);
    throw err;
  }
}
