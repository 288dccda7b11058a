import type { S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../config.js";
import type { LinkSettings } from "../links/export-link.js";
import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/notifier.js";
import type { DataSource } from "../sources/types.js";
import type { TaskStore } from "../tasks/store.js";

export type ExportSettings = LinkSettings &
  Pick<
    Config,
    | "bucket"
    | "format"
    | "encoding"
    | "escapeFormulas"
    | "longDigitsAsText"
    | "splitRows"
    | "compress"
    | "maxInFlight"
    | "maxInFlightPerCreator"
    | "linkTtlSeconds"
    | "statementTimeoutSeconds"
    | "leaseSeconds"
    | "progressSeconds"
    | "maxAttempts"
    | "retryDelaySeconds"
    | "keyPrefix"
    | "partSizeBytes"
    | "uploadQueueSize"
  >;

export interface ExportDeps {
  tasks: TaskStore;
  source: DataSource;
  s3: S3Client;
  /** Signs download links; the same client as s3 unless LINK_SIGNER_* credentials are set. */
  signer: S3Client;
  settings: ExportSettings;
  /** Redacts every line (lib/logger.ts). */
  logger: Logger;
  /** Strings that must never reach `msg` (passwords, hosts). */
  secrets: readonly string[];
  /** Announces finished tasks (lib/notify); undefined when no channel is configured. */
  notifier?: Notifier;
}

export type ExportOutcome =
  | {
      kind: "exported";
      id: number;
      rows: number;
      bytes: number;
      key: string;
      url: string;
      seconds: number;
      /** Insert to claim: the pickup latency. */
      waitedSeconds: number | null;
    }
  | { kind: "failed"; id: number; msg: string }
  /** A transient failure (database or storage unreachable): back to pending for another attempt. */
  | { kind: "retrying"; id: number; msg: string }
  /** The claim was lost (lease expired and the task handed on): this attempt left no trace. */
  | { kind: "abandoned"; id: number }
  | { kind: "deferred"; id: number }
  | { kind: "skipped"; id: number; status: number | null };

export interface ExportOptions {
  /** Epoch ms by which the worker must have stopped: the Lambda's timeout less a margin. */
  deadline?: number;
}
