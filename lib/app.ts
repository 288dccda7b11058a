import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { awsClientConfig } from "./aws-config.js";
import type { Config } from "./config.js";
import { createSqlClient } from "./db/client.js";
import type { SqlClient } from "./db/sql-client.js";
import type { ExportDeps } from "./export/types.js";
import { createLogger, type Logger } from "./logger.js";
import { secretsOf } from "./redact.js";
import type { SchedulerDeps } from "./scheduler.js";
import { createDataSource } from "./sources/data-source.js";
import { TaskStore } from "./tasks/store.js";

export interface App {
  config: Config;
  taskDb: SqlClient;
  s3: S3Client;
  sqs: SQSClient;
  logger: Logger;
  exportDeps: ExportDeps;
  schedulerDeps: SchedulerDeps;
  close(): Promise<void>;
}

/** Strings that must never reach msg or the logs: the configured URLs' passwords and hosts, the signer's key. */
function configSecrets(config: Config): string[] {
  return [
    ...secretsOf([config.taskDb.url, config.dataDb.url]),
    ...(config.linkSigner ? [config.linkSigner.secretAccessKey] : []),
  ];
}

/** Every client, created once from the config and passed down, so tests can point them anywhere. */
export function createApp(config: Config, logger?: Logger): App {
  const secrets = configSecrets(config);
  const log = logger ?? createLogger(secrets);
  const taskDb = createSqlClient(config.taskDb);
  const tasks = new TaskStore(taskDb, config.taskTable);
  const s3 = new S3Client(awsClientConfig(config));
  const sqs = new SQSClient(awsClientConfig(config));
  const signer = config.linkSigner
    ? new S3Client({ ...awsClientConfig(config), credentials: config.linkSigner })
    : s3;
  return {
    config,
    taskDb,
    s3,
    sqs,
    logger: log,
    exportDeps: {
      tasks,
      source: createDataSource(config.dataDb, {
        statementTimeoutSeconds: config.statementTimeoutSeconds,
        serverRendering: config.pgCopy,
      }),
      s3,
      signer,
      settings: config,
      logger: log,
      secrets,
    },
    schedulerDeps: { tasks, sqs, s3, settings: config, logger: log },
    async close() {
      await taskDb.close();
      s3.destroy();
      if (signer !== s3) signer.destroy();
      sqs.destroy();
    },
  };
}
