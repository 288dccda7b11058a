import { type DbUrl, parseDbUrl, sameServer } from "./db/url.js";
import { TEXT_ENCODINGS, type TextEncoding } from "./formats/encoding/encoder.js";
import { DEFAULT_FORMAT, FORMAT_NAMES, type FormatName } from "./formats/index.js";
import { COMPRESSIONS, type OutputOptions } from "./formats/options.js";
import { parseTableName, type TableName } from "./identifiers.js";
import { LINK_MODES, type LinkMode } from "./links/export-link.js";
import { type LinkKeys, parseLinkKeys } from "./links/stable-link.js";
import { loadNotifySettings, type NotifySettings } from "./notify/settings.js";

/** S3 refuses presigned URLs that live longer than 7 days. */
export const MAX_LINK_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The one source of every default. serverless.yml repeats the ones it passes through as
 * `${env:NAME, 'default'}`; test/unit/defaults.test.ts checks that the two agree.
 */
export const DEFAULTS = {
  TASK_TABLE: "box_download_task",
  EXPORT_FORMAT: DEFAULT_FORMAT,
  CSV_ENCODING: "gb18030",
  // On: a cell starting = + - @ runs as a formula when Excel opens the file (CWE-1236).
  CSV_ESCAPE_FORMULAS: true,
  // On: ID card, order and phone numbers keep every digit in Excel.
  CSV_LONG_DIGITS_AS_TEXT: true,
  CSV_SPLIT_ROWS: false,
  EXPORT_COMPRESS: "none",
  MAX_IN_FLIGHT: 6,
  // Half the slots: one person's batch of exports cannot hold them all.
  MAX_IN_FLIGHT_PER_CREATOR: 3,
  LINK_TTL_SECONDS: MAX_LINK_TTL_SECONDS,
  // The code's default keeps setups without a download endpoint working; the deploy template
  // creates the endpoint and the secret and passes "stable".
  LINK_MODE: "presigned",
  // Stable links may outlive S3's 7-day cap; the template ties this to the bucket's expiry rule.
  STABLE_LINK_TTL_DAYS: 30,
  DOWNLOAD_REDIRECT_SECONDS: 300,
  // Under the worker's 900 s Lambda timeout less DEADLINE_MARGIN_SECONDS.
  STATEMENT_TIMEOUT_SECONDS: 840,
  TASK_EXCLUDE_TYPES: "",
  SCHEDULER_POLL_SECONDS: 5,
  SCHEDULER_RUN_SECONDS: 50,
  REDISPATCH_SECONDS: 900,
  LEASE_SECONDS: 180,
  // How often a running task writes its rows and bytes so far (and sees a cancel).
  PROGRESS_SECONDS: 3,
  MAX_ATTEMPTS: 3,
  RETRY_DELAY_SECONDS: 30,
  DEADLINE_MARGIN_SECONDS: 30,
  EXPORT_KEY_PREFIX: "exports/",
  UPLOAD_PART_SIZE_MB: 5,
  UPLOAD_QUEUE_SIZE: 2,
  // Rows per slice of a task with a slice_key that does not say how many (lib/slices).
  SLICE_ROWS: 2_000_000,
  // Parts of a sliced task's key range counted at once while it is planned, a connection each.
  PLAN_CONCURRENCY: 8,
  PG_COPY: true,
  PG_FAST_PATH: true,
  MYSQL_FAST_PATH: true,
  // One try of a notification (README, "Notifications"); three tries fit in 20 s.
  NOTIFY_TIMEOUT_SECONDS: 5,
} as const;

/**
 * Which function reads the config: each is deployed with only the settings it uses. "operator"
 * is the operator CLI: it mints no links and sends to the queue only for some verbs, so neither
 * the link settings nor EXPORT_QUEUE_URL are required (the verbs that send check for it).
 */
export type Role = "scheduler" | "worker" | "download" | "operator" | "all";

export interface Config {
  taskDb: DbUrl;
  dataDb: DbUrl;
  /**
   * A login that may stop the data user's queries (DATA_DB_MONITOR_URL): the stop at the time
   * limit comes from it, where the task's SQL can neither see nor signal it. Unset: the task-table
   * user when the data is on the task table's server, else the data user itself (monitorFor).
   */
  dataDbMonitor: DbUrl | undefined;
  taskTable: TableName;
  bucket: string;
  /** "" where the function does not send to the queue (worker, download). */
  queueUrl: string;
  region: string;
  endpointUrl: string | undefined;
  format: FormatName;
  encoding: TextEncoding;
  escapeFormulas: boolean;
  /** Defaults for a task's options (formats/options.ts); a task's `options` column overrides them. */
  longDigitsAsText: boolean;
  splitRows: boolean;
  compress: OutputOptions["compress"];
  maxInFlight: number;
  /** Tasks one creater_name may have processing or queued at once. */
  maxInFlightPerCreator: number;
  linkTtlSeconds: number;
  statementTimeoutSeconds: number;
  /** Values of the optional `type` column whose tasks the scheduler leaves alone (the seed skipped 4). */
  excludeTypes: string[];
  schedulerPollSeconds: number;
  schedulerRunSeconds: number;
  /** A task sent to SQS but still pending after this long is sent again (lost or deferred message). */
  redispatchSeconds: number;
  /** A processing task whose heartbeat is older than this is taken to be dead. */
  leaseSeconds: number;
  /** A running task writes its progress (and sees a cancel) this often. */
  progressSeconds: number;
  maxAttempts: number;
  /** After a transient failure (database or storage unreachable) the task waits this long, times the attempt number, before its next try. */
  retryDelaySeconds: number;
  /** The worker stops this long before the Lambda's timeout, to abort the upload and record why. */
  deadlineMarginSeconds: number;
  /**
   * Long-lived credentials (an IAM user allowed only s3:GetObject on the bucket) to sign links
   * with. A Lambda role's temporary credentials expire within hours, and so would the link.
   */
  linkSigner: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** presigned: filepath is an S3 presigned URL (lives <= 7 days, or less: the signer's session). stable: a signed link to the download function. */
  linkMode: LinkMode;
  /** Stable links: where the download function answers (its function URL or a custom domain). */
  linkBaseUrl: string | undefined;
  /** Stable links: the HMAC secret(s); set where links are minted or checked. */
  linkKeys: LinkKeys | undefined;
  stableLinkTtlSeconds: number;
  downloadRedirectSeconds: number;
  /** The host app's download centre (php/panel): the download function's error pages link to it. */
  downloadCentreUrl: string | undefined;
  keyPrefix: string;
  partSizeBytes: number;
  uploadQueueSize: number;
  /** Let the data database render the file itself where it can (PostgreSQL COPY). */
  pgCopy: boolean;
  /** PostgreSQL data, COPY off or not possible: CSV rendered from the DataRow bytes (engines/postgres/rendered-rows.ts). */
  pgFastPath: boolean;
  /** Rows per slice of a sliced task that does not say how many slices (SLICE_ROWS). */
  sliceRows: number;
  /** Connections a sliced task's plan counts its key range on at once (PLAN_CONCURRENCY). */
  planConcurrency: number;
  /** MySQL data: CSV rendered from the row packets' bytes (engines/mysql/rendered-rows.ts). */
  mysqlFastPath: boolean;
  /** Whether the data source renders the file's CSV itself: PG_COPY or MYSQL_FAST_PATH, by engine. */
  serverRendering: boolean;
  /** Where finished tasks are announced (NOTIFY_*; lib/notify/settings.ts checks them). */
  notify: NotifySettings;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
}

function required(env: Env, name: string): string {
  const v = raw(env, name);
  if (v === undefined) throw new ConfigError(`${name} is required but not set.`);
  return v;
}

type IntegerName = {
  [K in keyof typeof DEFAULTS]: (typeof DEFAULTS)[K] extends number ? K : never;
}[keyof typeof DEFAULTS];

function integer(env: Env, name: IntegerName, min: number, max: number): number {
  const v = raw(env, name);
  if (v === undefined) return DEFAULTS[name];
  if (!/^\d+$/.test(v)) throw new ConfigError(`${name} must be a whole number, got "${v}".`);
  const n = Number(v);
  if (n < min || n > max)
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}.`);
  return n;
}

function boolean(
  env: Env,
  name:
    | "CSV_ESCAPE_FORMULAS"
    | "CSV_LONG_DIGITS_AS_TEXT"
    | "CSV_SPLIT_ROWS"
    | "PG_COPY"
    | "PG_FAST_PATH"
    | "MYSQL_FAST_PATH",
): boolean {
  const v = raw(env, name)?.toLowerCase();
  if (v === undefined) return DEFAULTS[name];
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${v}".`);
}

function oneOf<T extends string>(
  env: Env,
  name: "EXPORT_FORMAT" | "CSV_ENCODING" | "LINK_MODE" | "EXPORT_COMPRESS",
  allowed: readonly T[],
): T {
  const v = (raw(env, name) ?? DEFAULTS[name]).toLowerCase();
  if (!allowed.includes(v as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${v}".`);
  }
  return v as T;
}

function dbUrl(name: string, value: string): DbUrl {
  try {
    return parseDbUrl(value);
  } catch (err) {
    throw new ConfigError(`${name}: ${(err as Error).message}`);
  }
}

/** Just where the task table is: all that `npm run migrate` needs. */
export function loadTaskTableConfig(env: Env = process.env): Pick<Config, "taskDb" | "taskTable"> {
  const taskDb = dbUrl("TASK_DB_URL", required(env, "TASK_DB_URL"));
  try {
    return { taskDb, taskTable: parseTableName(raw(env, "TASK_TABLE") ?? DEFAULTS.TASK_TABLE) };
  } catch (err) {
    throw new ConfigError(`TASK_TABLE: ${(err as Error).message}`);
  }
}

/** Reads and checks every setting once; a bad or missing one throws a ConfigError naming it. */
export function loadConfig(env: Env = process.env, role: Role = "all"): Config {
  const { taskDb, taskTable } = loadTaskTableConfig(env);
  const dataDbRaw = raw(env, "DATA_DB_URL");
  const dataDb = dataDbRaw === undefined ? taskDb : dbUrl("DATA_DB_URL", dataDbRaw);
  const monitorRaw = raw(env, "DATA_DB_MONITOR_URL");
  const dataDbMonitor =
    monitorRaw === undefined ? undefined : dbUrl("DATA_DB_MONITOR_URL", monitorRaw);
  if (dataDbMonitor && !sameServer(dataDbMonitor, dataDb)) {
    throw new ConfigError(
      "DATA_DB_MONITOR_URL must name the same server (engine, host and port) as DATA_DB_URL.",
    );
  }

  const format = oneOf(env, "EXPORT_FORMAT", FORMAT_NAMES);
  const encoding = oneOf(env, "CSV_ENCODING", TEXT_ENCODINGS);

  const queueUrl =
    role === "scheduler" || role === "all"
      ? required(env, "EXPORT_QUEUE_URL")
      : (raw(env, "EXPORT_QUEUE_URL") ?? "");
  if (queueUrl !== "" && !/^https?:\/\//.test(queueUrl)) {
    throw new ConfigError(`EXPORT_QUEUE_URL must be an http(s) SQS queue URL, got "${queueUrl}".`);
  }

  const keyPrefix = raw(env, "EXPORT_KEY_PREFIX") ?? DEFAULTS.EXPORT_KEY_PREFIX;
  if (keyPrefix.startsWith("/") || keyPrefix.includes("..")) {
    throw new ConfigError(
      `EXPORT_KEY_PREFIX must be a relative S3 key prefix, got "${keyPrefix}".`,
    );
  }

  const signerId = raw(env, "LINK_SIGNER_ACCESS_KEY_ID");
  const signerSecret = raw(env, "LINK_SIGNER_SECRET_ACCESS_KEY");
  if ((signerId === undefined) !== (signerSecret === undefined)) {
    throw new ConfigError(
      "LINK_SIGNER_ACCESS_KEY_ID and LINK_SIGNER_SECRET_ACCESS_KEY must be set together.",
    );
  }

  const linkMode = oneOf(env, "LINK_MODE", LINK_MODES);
  const needsLinkKeys =
    role === "download" || (linkMode === "stable" && role !== "scheduler" && role !== "operator");
  let linkKeys: LinkKeys | undefined;
  const linkSecret = raw(env, "LINK_SECRET");
  if (linkSecret !== undefined || needsLinkKeys) {
    if (linkSecret === undefined) {
      throw new ConfigError(
        "LINK_SECRET (or LINK_SECRET_ARN) is required for stable links (LINK_MODE=stable and the download function).",
      );
    }
    try {
      linkKeys = parseLinkKeys(linkSecret);
    } catch (err) {
      throw new ConfigError(`LINK_SECRET: ${(err as Error).message}`);
    }
  }
  const linkBaseUrl = raw(env, "LINK_BASE_URL");
  if (linkMode === "stable" && (role === "worker" || role === "all")) {
    if (linkBaseUrl === undefined)
      throw new ConfigError("LINK_BASE_URL is required when LINK_MODE=stable.");
    if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(linkBaseUrl))
      throw new ConfigError(
        `LINK_BASE_URL must be an http(s) URL without query, got "${linkBaseUrl}".`,
      );
  }

  const downloadCentreUrl = raw(env, "DOWNLOAD_CENTRE_URL");
  if (downloadCentreUrl !== undefined && !/^https?:\/\/[^\s"'<>]+$/.test(downloadCentreUrl)) {
    throw new ConfigError(
      `DOWNLOAD_CENTRE_URL must be an http(s) URL, got "${downloadCentreUrl}".`,
    );
  }

  const pgCopy = boolean(env, "PG_COPY");
  const pgFastPath = boolean(env, "PG_FAST_PATH");
  const mysqlFastPath = boolean(env, "MYSQL_FAST_PATH");
  return {
    taskDb,
    dataDb,
    dataDbMonitor,
    taskTable,
    bucket: required(env, "EXPORT_BUCKET"),
    queueUrl,
    region: required(env, "AWS_REGION"),
    endpointUrl: raw(env, "AWS_ENDPOINT_URL"),
    format,
    encoding,
    escapeFormulas: boolean(env, "CSV_ESCAPE_FORMULAS"),
    longDigitsAsText: boolean(env, "CSV_LONG_DIGITS_AS_TEXT"),
    splitRows: boolean(env, "CSV_SPLIT_ROWS"),
    compress: oneOf(env, "EXPORT_COMPRESS", COMPRESSIONS),
    maxInFlight: integer(env, "MAX_IN_FLIGHT", 1, 1000),
    maxInFlightPerCreator: integer(env, "MAX_IN_FLIGHT_PER_CREATOR", 1, 1000),
    linkTtlSeconds: integer(env, "LINK_TTL_SECONDS", 1, MAX_LINK_TTL_SECONDS),
    statementTimeoutSeconds: integer(env, "STATEMENT_TIMEOUT_SECONDS", 1, 86_400),
    excludeTypes: (raw(env, "TASK_EXCLUDE_TYPES") ?? DEFAULTS.TASK_EXCLUDE_TYPES)
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
    schedulerPollSeconds: integer(env, "SCHEDULER_POLL_SECONDS", 1, 60),
    schedulerRunSeconds: integer(env, "SCHEDULER_RUN_SECONDS", 0, 840),
    redispatchSeconds: integer(env, "REDISPATCH_SECONDS", 10, 86_400),
    leaseSeconds: integer(env, "LEASE_SECONDS", 3, 86_400),
    progressSeconds: integer(env, "PROGRESS_SECONDS", 1, 600),
    maxAttempts: integer(env, "MAX_ATTEMPTS", 1, 100),
    retryDelaySeconds: integer(env, "RETRY_DELAY_SECONDS", 0, 3600),
    deadlineMarginSeconds: integer(env, "DEADLINE_MARGIN_SECONDS", 1, 600),
    linkSigner:
      signerId && signerSecret
        ? { accessKeyId: signerId, secretAccessKey: signerSecret }
        : undefined,
    linkMode,
    linkBaseUrl,
    linkKeys,
    stableLinkTtlSeconds: integer(env, "STABLE_LINK_TTL_DAYS", 1, 3650) * 86_400,
    downloadRedirectSeconds: integer(env, "DOWNLOAD_REDIRECT_SECONDS", 10, 3600),
    downloadCentreUrl,
    keyPrefix: keyPrefix.endsWith("/") || keyPrefix === "" ? keyPrefix : `${keyPrefix}/`,
    partSizeBytes: integer(env, "UPLOAD_PART_SIZE_MB", 5, 512) * 1024 * 1024,
    uploadQueueSize: integer(env, "UPLOAD_QUEUE_SIZE", 1, 32),
    pgCopy,
    pgFastPath,
    mysqlFastPath,
    sliceRows: integer(env, "SLICE_ROWS", 1000, 1_000_000_000),
    planConcurrency: integer(env, "PLAN_CONCURRENCY", 1, 64),
    serverRendering: dataDb.engine === "postgres" ? pgCopy : mysqlFastPath,
    notify: notifyConfig(env),
  };
}

function notifyConfig(env: Env): NotifySettings {
  const timeout = integer(env, "NOTIFY_TIMEOUT_SECONDS", 1, 30);
  try {
    return loadNotifySettings(env, timeout);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/**
 * Where the stop at the time limit comes from: the monitor login if one is set, else the
 * task-table user when the data database is on the same server (it is not the data user, so
 * the task's SQL cannot signal it), else none (the data user's own login, with a warning).
 */
export function monitorFor(
  c: Pick<Config, "taskDb" | "dataDb" | "dataDbMonitor">,
): DbUrl | undefined {
  if (c.dataDbMonitor) return c.dataDbMonitor;
  return sameServer(c.taskDb, c.dataDb) && c.taskDb.url !== c.dataDb.url ? c.taskDb : undefined;
}
