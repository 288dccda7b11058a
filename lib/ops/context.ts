import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { awsClientConfig } from "../aws-config.js";
import { type Config, loadConfig } from "../config.js";
import { createSqlClient } from "../engines/index.js";
import { redact, secretsOf } from "../redact.js";
import { resolveSecrets, type SecretReader, secretReaderFor } from "../secrets.js";
import { TaskStore } from "../tasks/store.js";

/** What the operator's verbs act on: the task table, the bucket, the queue. */
export interface Ops {
  config: Config;
  tasks: TaskStore;
  s3: S3Client;
  sqs: SQSClient;
  /** Error text with the configured URLs' passwords and hosts removed, fit to print. */
  clean(text: string): string;
  close(): Promise<void>;
}

/**
 * The functions' environment, read as the operator's role: the task table's URL (or its secret
 * by TASK_DB_SECRET_ARN), TASK_TABLE, EXPORT_BUCKET, AWS_REGION; EXPORT_QUEUE_URL only where a
 * verb sends. Only the task-table secret is read: an operator need not be allowed to read the
 * data user's or the link key's.
 */
export async function loadOperatorConfig(
  env: Record<string, string | undefined>,
  reader?: SecretReader,
): Promise<Config> {
  const only = {
    ...env,
    DATA_DB_SECRET_ARN: undefined,
    DATA_DB_MONITOR_SECRET_ARN: undefined,
    LINK_SECRET_ARN: undefined,
  };
  return loadConfig(await resolveSecrets(only, () => reader ?? secretReaderFor(env)), "operator");
}

export function createOps(config: Config): Ops {
  // One connection is enough for one operator; two let a locked step and a read overlap.
  const db = createSqlClient(config.taskDb, 2);
  const s3 = new S3Client(awsClientConfig(config));
  const sqs = new SQSClient(awsClientConfig(config));
  const secrets = secretsOf([
    config.taskDb.url,
    config.dataDb.url,
    config.dataDbMonitor?.url ?? "",
  ]);
  return {
    config,
    tasks: new TaskStore(db, config.taskTable),
    s3,
    sqs,
    clean: (text) => redact(text, secrets),
    async close() {
      await db.close();
      s3.destroy();
      sqs.destroy();
    },
  };
}
