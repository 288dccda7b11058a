import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { awsClientConfig } from "./aws-config.js";
import type { Config } from "./config.js";
import { createSqlClient, type SqlClient } from "./db/client.js";
import { secretsOf } from "./errors.js";
import type { ExportDeps } from "./export.js";
import { createLogger, type Logger } from "./logger.js";
import type { SchedulerDeps } from "./scheduler.js";
import { createDataSource } from "./sources/source.js";
import { TaskStore } from "./tasks/store.js";

export interface App {
  config: Config;
  taskDb: SqlClient;
  s3: S3Client;
  sqs: SQSClient;
  exportDeps: ExportDeps;
  schedulerDeps: SchedulerDeps;
  close(): Promise<void>;
}

/** Every client, created once from the config and passed down, so tests can point them anywhere. */
export function createApp(config: Config, logger: Logger = createLogger()): App {
  const taskDb = createSqlClient(config.taskDb);
  const tasks = new TaskStore(taskDb, config.taskTable);
  const s3 = new S3Client(awsClientConfig(config));
  const sqs = new SQSClient(awsClientConfig(config));
  const signer = config.linkSigner
    ? new S3Client({ ...awsClientConfig(config), credentials: config.linkSigner })
    : s3;
  const secrets = [
    ...secretsOf([config.taskDb.url, config.dataDb.url]),
    ...(config.linkSigner ? [config.linkSigner.secretAccessKey] : []),
  ];
  return {
    config,
    taskDb,
    s3,
    sqs,
    exportDeps: {
      tasks,
      source: createDataSource(config.dataDb, {
        statementTimeoutSeconds: config.statementTimeoutSeconds,
      }),
      s3,
      signer,
      settings: config,
      logger,
      secrets,
    },
    schedulerDeps: { tasks, sqs, s3, settings: config, logger, secrets },
    async close() {
      await taskDb.close();
      s3.destroy();
      if (signer !== s3) signer.destroy();
      sqs.destroy();
    },
  };
}
