import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { awsClientConfig } from "./aws-config.js";
import { type Config, loadConfig, monitorFor, type Role } from "./config.js";
import type { DbClient } from "./engines/dialect.js";
import { createDataSource, createSqlClient } from "./engines/index.js";
import type { ExportDeps } from "./export/types.js";
import type { DownloadDeps } from "./links/download.js";
import type { LinkKeys } from "./links/stable-link.js";
import { parseLinkKeys } from "./links/stable-link.js";
import { createLogger, type Logger } from "./logger.js";
import { createNotifier } from "./notify/notifier.js";
import { sendSliceMessages } from "./queue.js";
import { secretsOf } from "./redact.js";
import type { SchedulerDeps } from "./scheduler.js";
import { resolveSecrets, type SecretReader, secretReaderFor } from "./secrets.js";
import { sliceInstead } from "./slices/auto-slice.js";
import { startSliced } from "./slices/start.js";
import { SliceStore } from "./tasks/slice-store.js";
import { TaskStore } from "./tasks/store.js";

export interface App {
  config: Config;
  taskDb: DbClient;
  s3: S3Client;
  sqs: SQSClient;
  logger: Logger;
  exportDeps: ExportDeps;
  schedulerDeps: SchedulerDeps;
  downloadDeps: DownloadDeps;
  close(): Promise<void>;
}

/** Strings that must never reach msg or the logs: the configured URLs' passwords and hosts, the signer's key. */
function configSecrets(config: Config): string[] {
  return [
    ...secretsOf([config.taskDb.url, config.dataDb.url, config.dataDbMonitor?.url ?? ""]),
    ...(config.linkSigner ? [config.linkSigner.secretAccessKey] : []),
    ...(config.linkKeys ? [config.linkKeys.current, config.linkKeys.previous ?? ""] : []),
    config.notify.webhookSecret ?? "",
  ].filter((s) => s !== "");
}

/** Every client, created once from the config and passed down, so tests can point them anywhere. */
export function createApp(
  config: Config,
  logger?: Logger,
  options: { linkKeys?: () => Promise<LinkKeys> } = {},
): App {
  const secrets = configSecrets(config);
  const log = logger ?? createLogger(secrets);
  const taskDb = createSqlClient(config.taskDb);
  const tasks = new TaskStore(taskDb, config.taskTable);
  const s3 = new S3Client(awsClientConfig(config));
  const sqs = new SQSClient(awsClientConfig(config));
  // Retries are the notifier's own (bounded by the Lambda's end), not the SDK's.
  const sns = config.notify.topicArn
    ? new SNSClient({ ...awsClientConfig(config), maxAttempts: 1 })
    : undefined;
  const notifier = createNotifier({ settings: config.notify, sns, tasks, logger: log });
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
        serverRendering: config.serverRendering,
        renderRows: config.pgFastPath,
        monitor: monitorFor(config),
        log,
      }),
      s3,
      signer,
      settings: config,
      logger: log,
      secrets,
      notifier,
      // Sliced tasks send their slices to the task queue; without its URL, tasks run whole.
      slicing:
        config.queueUrl === ""
          ? undefined
          : {
              store: new SliceStore(taskDb, config.taskTable),
              start: startSliced,
              instead: sliceInstead,
              send: (id, attempt, slices, delay) =>
                sendSliceMessages(sqs, config.queueUrl, id, attempt, slices, delay),
              sliceRows: config.sliceRows,
              planConcurrency: config.planConcurrency,
            },
    },
    schedulerDeps: {
      tasks,
      sqs,
      s3,
      slices: new SliceStore(taskDb, config.taskTable),
      settings: config,
      logger: log,
    },
    downloadDeps: {
      tasks,
      s3,
      bucket: config.bucket,
      linkKeys:
        options.linkKeys ??
        (async () => {
          if (!config.linkKeys) throw new Error("LINK_SECRET is not set");
          return config.linkKeys;
        }),
      redirectSeconds: config.downloadRedirectSeconds,
      downloadCentreUrl: config.downloadCentreUrl,
      logger: log,
    },
    async close() {
      await taskDb.close();
      s3.destroy();
      if (signer !== s3) signer.destroy();
      sqs.destroy();
      sns?.destroy();
    },
  };
}

/**
 * A deployed function's app: secrets named by *_SECRET_ARN read first (Powertools cache), then
 * the config for this function's role. The download function re-reads the link secret through
 * the cache, so a rotation reaches running containers within SECRET_CACHE_SECONDS.
 */
export function createDeployedApp(
  role: Role,
  env: Record<string, string | undefined> = process.env,
  reader?: SecretReader,
): Promise<App> {
  const ready = buildDeployedApp(role, env, reader);
  // Started at module load, awaited by the first call: a failure (a missing setting, an
  // unreadable secret) reaches that call with its name, never as an unhandled rejection.
  ready.catch(() => {});
  return ready;
}

async function buildDeployedApp(
  role: Role,
  env: Record<string, string | undefined>,
  reader: SecretReader | undefined,
): Promise<App> {
  let made = reader;
  const readerOnce = () => {
    made ??= secretReaderFor(env);
    return made;
  };
  const config = loadConfig(await resolveSecrets(env, readerOnce), role);
  const linkArn = env.LINK_SECRET_ARN?.trim();
  const linkKeys =
    linkArn && !env.LINK_SECRET?.trim()
      ? async () => parseLinkKeys(await readerOnce().read(linkArn))
      : undefined;
  return createApp(config, undefined, { linkKeys });
}
