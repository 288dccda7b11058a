import type { S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../config.js";
import type { OutputOptions } from "../formats/options.js";
import type { LinkSettings } from "../links/export-link.js";
import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/notifier.js";
import type { DataSource } from "../sources/types.js";
import type { SliceStore } from "../tasks/slice-store.js";
import type { Task, TaskStore } from "../tasks/store.js";

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
  /** Splitting tasks with a slice_key across workers (lib/slices); undefined: tasks run whole. */
  slicing?: Slicing;
}

export interface Slicing {
  store: SliceStore;
  /**
   * Plans a claimed task with a slice_key and sends its slices (lib/slices/start.ts); undefined
   * when it is to run whole. A hook, so lib/export does not depend on lib/slices above it.
   */
  start(
    deps: ExportDeps,
    task: Task,
    options: OutputOptions,
    started: number,
    signal: AbortSignal,
  ): Promise<ExportOutcome | undefined>;
  /**
   * A whole task stopped at the deadline, sent back to run sliced by the column its SQL is
   * ordered by (lib/slices/auto-slice.ts); undefined when that does not apply.
   */
  instead(
    deps: ExportDeps,
    task: Task,
    failure: unknown,
    started: number,
    rows: number,
  ): Promise<ExportOutcome | undefined>;
  /** Sends one message per slice; returns the slices whose message did not go out. */
  send(
    id: number,
    attempt: number,
    slices: number[],
    /** Before a retried slice's message is delivered. */
    delaySeconds?: number,
  ): Promise<{ failed: number[]; error?: string }>;
  /** Rows per slice when a task does not say how many slices (SLICE_ROWS). */
  sliceRows: number;
  /** Connections the plan counts the key's range on at once (PLAN_CONCURRENCY). */
  planConcurrency?: number;
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
  /** Split into slices, each sent to the queue; the last slice to finish builds the file. */
  | { kind: "sliced"; id: number; slices: number }
  /** One slice written; `assembled` when this slice built the final file too. */
  | { kind: "slice-done"; id: number; slice: number; rows: number }
  | { kind: "skipped"; id: number; status: number | null };

export interface ExportOptions {
  /** Epoch ms by which the worker must have stopped: the Lambda's timeout less a margin. */
  deadline?: number;
}
