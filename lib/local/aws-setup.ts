import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { awsClientConfig } from "../aws-config.js";
import { DLQ_MAX_RECEIVE_COUNT } from "../failure/policy.js";

/**
 * The bucket and queues that serverless.yml declares, for local emulators (moto, LocalStack)
 * where CloudFormation does not run. Idempotent.
 */
export async function ensureBucket(s3: S3Client, bucket: string, expireDays = 30): Promise<void> {
  const exists = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    () => false,
  );
  if (!exists) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: "expire-exports-and-abort-incomplete-uploads",
            Status: "Enabled",
            Filter: { Prefix: "" },
            Expiration: { Days: expireDays },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    }),
  );
}

async function ensureQueues(
  sqs: SQSClient,
  name: string,
  o: { visibilityTimeoutSeconds: number; maxReceiveCount: number },
): Promise<{ queueUrl: string; dlqUrl: string }> {
  // Queues made elsewhere (the LocalStack hook, an earlier run) are used as they are:
  // CreateQueue refuses an existing name whose attributes differ.
  const existing = async (QueueName: string) =>
    sqs.send(new GetQueueUrlCommand({ QueueName })).then(
      (r) => r.QueueUrl,
      () => undefined,
    );
  const [foundQueue, foundDlq] = await Promise.all([existing(name), existing(`${name}-dlq`)]);
  if (foundQueue && foundDlq) return { queueUrl: foundQueue, dlqUrl: foundDlq };
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}-dlq`,
      Attributes: { MessageRetentionPeriod: "1209600" },
    }),
  );
  const dlqUrl = dlq.QueueUrl as string;
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
  );
  const q = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(o.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: attrs.Attributes?.QueueArn,
          maxReceiveCount: o.maxReceiveCount,
        }),
      },
    }),
  );
  return { queueUrl: q.QueueUrl as string, dlqUrl };
}

/**
 * Bucket and queues on an emulator, before the full config exists (it needs the queue URL).
 * Used by `npm run dev` and the tests.
 */
export async function provisionLocal(o: {
  region: string;
  endpointUrl: string | undefined;
  bucket: string;
  queueName: string;
  visibilityTimeoutSeconds: number;
}): Promise<{ queueUrl: string; dlqUrl: string }> {
  const aws = awsClientConfig(o);
  const s3 = new S3Client(aws);
  const sqs = new SQSClient(aws);
  try {
    await ensureBucket(s3, o.bucket);
    return await ensureQueues(sqs, o.queueName, {
      visibilityTimeoutSeconds: o.visibilityTimeoutSeconds,
      maxReceiveCount: DLQ_MAX_RECEIVE_COUNT,
    });
  } finally {
    s3.destroy();
    sqs.destroy();
  }
}
