import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { awsClientConfig } from "../aws-config.js";

type Where = { region: string; endpointUrl: string | undefined };

export interface Subscriber {
  queueUrl: string;
  /** SNS delivers the message as it is (raw) or wrapped in its JSON envelope. */
  raw: boolean;
  /** A subscription filter policy on the message attributes (status, state, creator). */
  filterPolicy?: Record<string, unknown>;
}

/**
 * A topic on the emulator with SQS queues subscribed, as an operator or a subscriber would set
 * them up: where the worker's task-finished events can be read back. Returns the topic's ARN
 * and each subscriber's queue URL.
 */
export async function topicWithQueues(
  where: Where,
  name: string,
  subscribers: { suffix: string; raw: boolean; filterPolicy?: Record<string, unknown> }[],
): Promise<{ topicArn: string; subscribers: Subscriber[] }> {
  const aws = awsClientConfig(where);
  const sns = new SNSClient(aws);
  const sqs = new SQSClient(aws);
  try {
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn as string;
    const out: Subscriber[] = [];
    for (const s of subscribers) {
      const queueUrl = (
        await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${s.suffix}` }))
      ).QueueUrl as string;
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
      );
      const queueArn = attrs.Attributes?.QueueArn as string;
      // What AWS needs (the emulator does not check it): the topic may send to the queue.
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: queueUrl,
          Attributes: {
            Policy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { Service: "sns.amazonaws.com" },
                  Action: "sqs:SendMessage",
                  Resource: queueArn,
                  Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
                },
              ],
            }),
          },
        }),
      );
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: "sqs",
          Endpoint: queueArn,
          Attributes: {
            RawMessageDelivery: String(s.raw),
            ...(s.filterPolicy ? { FilterPolicy: JSON.stringify(s.filterPolicy) } : {}),
          },
        }),
      );
      out.push({ queueUrl, raw: s.raw, filterPolicy: s.filterPolicy });
    }
    return { topicArn, subscribers: out };
  } finally {
    sns.destroy();
    sqs.destroy();
  }
}

/** A message as a subscriber reads it: the event, and the attributes SNS carried. */
export interface Received {
  event: Record<string, unknown>;
  attributes: Record<string, string>;
  /** The SQS body as it arrived (raw message, or SNS's envelope). */
  body: string;
}

/** Messages on a subscriber's queue, unwrapped from SNS's envelope unless delivered raw. */
export async function receiveEvents(
  where: Where,
  s: Subscriber,
  waitSeconds = 1,
): Promise<Received[]> {
  const sqs = new SQSClient(awsClientConfig(where));
  try {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: s.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ["All"],
      }),
    );
    return (res.Messages ?? []).map((m) => {
      const body = m.Body ?? "";
      if (s.raw) {
        const attributes = Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? ""]),
        );
        return { event: JSON.parse(body), attributes, body };
      }
      const envelope = JSON.parse(body) as {
        Message: string;
        MessageAttributes?: Record<string, { Value: string }>;
      };
      const attributes = Object.fromEntries(
        Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
      );
      return { event: JSON.parse(envelope.Message), attributes, body };
    });
  } finally {
    sqs.destroy();
  }
}
