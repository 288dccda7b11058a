import { randomUUID } from "node:crypto";
import { pipeline, Transform } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Config } from "./config.js";
import { createCopyCsvLayout } from "./csv/copy-csv.js";
import { contentTypeFor, createEncoder } from "./csv/encoding.js";
import { createCsvLayout, parseTitle } from "./csv/layout.js";
import { describeFailure, isTransient, MSG_MAX_CHARS, StageError, truncate } from "./errors.js";
import type { Logger } from "./logger.js";
import type { DataSource, RowStream } from "./sources/source.js";
import { contentDisposition, deleteObject, presignDownload, uploadStream } from "./storage.js";
import type { Task, TaskStore } from "./tasks/store.js";

export type ExportSettings = Pick<
  Config,
  | "bucket"
  | "csvEncoding"
  | "escapeFormulas"
  | "maxInFlight"
  | "linkTtlSeconds"
  | "statementTimeoutSeconds"
  | "leaseSeconds"
  | "maxAttempts"
  | "retryDelaySeconds"
  | "keyPrefix"
  | "partSizeBytes"
  | "uploadQueueSize"
  | "pgCopy"
>;

export interface ExportDeps {
  tasks: TaskStore;
  source: DataSource;
  s3: S3Client;
  /** Signs download links; the same client as s3 unless LINK_SIGNER_* credentials are set. */
  signer: S3Client;
  settings: ExportSettings;
  logger: Logger;
  /** Strings that must never reach `msg` or the logs (passwords, hosts). */
  secrets: string[];
}

/** S3's limit on parts in one multipart upload. */
export const MAX_PARTS = 10_000;

export type ExportOutcome =
  | { kind: "exported"; id: number; rows: number; bytes: number; key: string; url: string }
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

/** Why an export was stopped from outside the data path. */
class Interrupted extends Error {
  override name = "Interrupted";
  constructor(readonly why: "deadline" | "claim-lost") {
    super(why === "deadline" ? "stopped at the deadline" : "claim lost to another attempt");
  }
}

/**
 * Unique per attempt: two task tables sharing a bucket, or ids reused after a table is
 * recreated, must never overwrite (and so leak) an earlier file behind an old link. The id and
 * attempt in the key let the upload sweeper tell a live upload from a dead worker's.
 */
export function objectKey(prefix: string, id: number, attempt: number): string {
  return `${prefix}task-${id}-a${attempt}-${randomUUID()}.csv`;
}

/** The task id and attempt of a key made by objectKey; undefined for any other key. */
export function parseObjectKey(
  prefix: string,
  key: string,
): { id: number; attempt: number } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const m = /^task-(\d+)-a(\d+)-[0-9a-f-]{36}\.csv$/.exec(key.slice(prefix.length));
  return m ? { id: Number(m[1]), attempt: Number(m[2]) } : undefined;
}

/**
 * One task, start to finish: claim, stream the query into S3, store the link and status.
 * Export errors end the task in status 3 with a readable msg, or, when the database or
 * storage was only unreachable, send it back for another attempt. Only an error writing the
 * task row itself is thrown, so the message is retried by SQS.
 */
export async function exportTask(
  deps: ExportDeps,
  id: number,
  options: ExportOptions = {},
): Promise<ExportOutcome> {
  const { tasks, settings, logger } = deps;
  const claim = await tasks.claim(id, settings.maxInFlight);
  if (claim.kind === "deferred") {
    logger.info("in-flight cap reached; task left pending for the scheduler", { taskId: id });
    return { kind: "deferred", id };
  }
  if (claim.kind === "skipped") {
    logger.info("task not pending; duplicate or unknown message ignored", {
      taskId: id,
      status: claim.status,
    });
    return { kind: "skipped", id, status: claim.status };
  }
  const task = claim.task;
  const started = Date.now();
  logger.info("task claimed", { taskId: id, attempt: task.attempts });
  const stop = new AbortController();
  // The heartbeat keeps the lease; if it finds the task handed on (this worker was presumed
  // dead), it stops the export at once rather than racing the new attempt to the end.
  const heartbeat = setInterval(
    () => {
      tasks
        .heartbeat(task)
        .then((ours) => {
          if (!ours && !stop.signal.aborted) stop.abort(new Interrupted("claim-lost"));
        })
        .catch((err) => logger.warn("heartbeat failed", { taskId: id, error: String(err) }));
    },
    Math.max(1000, (settings.leaseSeconds * 1000) / 3),
  );
  const deadlineTimer =
    options.deadline === undefined
      ? undefined
      : setTimeout(
          () => stop.abort(new Interrupted("deadline")),
          Math.max(0, options.deadline - Date.now()),
        );
  try {
    const key = objectKey(settings.keyPrefix, id, task.attempts);
    let result: { rows: number; bytes: number };
    let url: string;
    try {
      result = await streamToS3(deps, task, key, stop);
      if (stop.signal.aborted) throw stop.signal.reason;
      url = await presignDownload(deps.signer, settings.bucket, key, settings.linkTtlSeconds).catch(
        (err) => {
          throw new StageError("upload", err);
        },
      );
    } catch (failure) {
      return await recordFailure(deps, task, failure, started);
    }
    const fields = { filepath: url, s3Key: key, rowCount: result.rows, byteCount: result.bytes };
    let ours: boolean;
    try {
      ours = await withRetries(() => tasks.complete(task, fields));
    } catch (err) {
      // The row could not be written: take the file away again, so the retry that the lease
      // reaper will start does not leave a second copy behind.
      await discard(deps, key);
      throw err;
    }
    if (!ours) {
      logger.warn("task was taken over before this attempt finished; file removed", { taskId: id });
      await discard(deps, key);
      return { kind: "abandoned", id };
    }
    const seconds = (Date.now() - started) / 1000;
    logger.info("export done", {
      taskId: id,
      rows: result.rows,
      bytes: result.bytes,
      seconds,
      key,
    });
    return { kind: "exported", id, rows: result.rows, bytes: result.bytes, key, url };
  } finally {
    clearInterval(heartbeat);
    clearTimeout(deadlineTimer);
  }
}

/** Status 3 with a reason, or back to pending when another attempt may well succeed. */
async function recordFailure(
  deps: ExportDeps,
  task: Task,
  failure: unknown,
  started: number,
): Promise<ExportOutcome> {
  const { tasks, settings, logger } = deps;
  const id = task.id;
  const fail = async (
    msg: string,
    log: Record<string, unknown>,
    what = "export failed",
  ): Promise<ExportOutcome> => {
    logger.warn(what, { taskId: id, ...log, msg });
    await tasks.fail(task, msg);
    return { kind: "failed", id, msg };
  };
  if (failure instanceof Interrupted && failure.why === "claim-lost") {
    logger.warn("claim lost to a newer attempt; export stopped and upload aborted", { taskId: id });
    return { kind: "abandoned", id };
  }
  if (failure instanceof Interrupted) {
    const seconds = Math.round((Date.now() - started) / 1000);
    return fail(
      `The export was stopped after ${seconds} seconds because it could not finish within the worker's time limit. Narrow the query (fewer rows or columns, an indexed filter) and try again, or ask an operator to raise the worker's timeout.`,
      { seconds },
      "deadline reached; upload aborted",
    );
  }
  const { stage, cause } =
    failure instanceof StageError ? failure : new StageError("export", failure);
  const reason = describeFailure(cause, stage, {
    timeoutSeconds: settings.statementTimeoutSeconds,
    secrets: deps.secrets,
  });
  if (isTransient(cause, stage)) {
    if (task.attempts < settings.maxAttempts) {
      const delay = settings.retryDelaySeconds * task.attempts;
      const msg = truncate(
        `Attempt ${task.attempts} of ${settings.maxAttempts} failed and will be retried in ${delay} s: ${reason}`,
        MSG_MAX_CHARS,
      );
      logger.warn("transient failure; task sent back for another attempt", {
        taskId: id,
        stage,
        msg,
      });
      await tasks.retry(task, msg, delay);
      return { kind: "retrying", id, msg };
    }
    return fail(truncate(`Gave up after ${task.attempts} attempts. ${reason}`, MSG_MAX_CHARS), {
      stage,
    });
  }
  return fail(reason, { stage });
}

/** The task row is the record of truth: a short outage of the task database must not lose a finished export. */
async function withRetries<T>(fn: () => Promise<T>, tries = 4, firstDelayMs = 500): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, firstDelayMs * 2 ** (i - 1)));
    }
  }
}

async function discard(deps: ExportDeps, key: string): Promise<void> {
  await deleteObject(deps.s3, deps.settings.bucket, key).catch((err) =>
    deps.logger.error(
      "could not delete an unrecorded export; the bucket lifecycle rule will expire it",
      {
        key,
        error: String(err),
      },
    ),
  );
}

/** The stream machinery's own error when a pipeline is torn down from the other end. */
function isTeardown(err: unknown): boolean {
  const e = err as { name?: string; code?: string };
  return (
    e?.name === "AbortError" || e?.code === "ABORT_ERR" || e?.code === "ERR_STREAM_PREMATURE_CLOSE"
  );
}

/** Query -> rows -> CSV -> encoding -> multipart upload, all streaming with backpressure. */
async function streamToS3(
  deps: ExportDeps,
  task: Task,
  key: string,
  stop: AbortController,
): Promise<{ rows: number; bytes: number }> {
  const { settings } = deps;
  // PostgreSQL writes the CSV itself when the SQL is safe to wrap in COPY; formula escaping
  // needs every cell, so it always takes the row path.
  let source: RowStream;
  let copy = false;
  try {
    const copied =
      deps.source.openCopy && settings.pgCopy && !settings.escapeFormulas
        ? await deps.source.openCopy(task.query)
        : undefined;
    copy = copied !== undefined;
    source = copied ?? (await deps.source.open(task.query));
  } catch (error) {
    throw new StageError("query", error);
  }
  if (stop.signal.aborted) {
    await source.close();
    throw stop.signal.reason;
  }
  // Stopping ends the query (and its transaction) and the upload. The upload gets its own
  // controller: lib-storage aborts it itself when a part fails, and that must not read as a
  // stop from outside (deadline, lost claim).
  const uploadAbort = new AbortController();
  const onStop = () => {
    uploadAbort.abort(stop.signal.reason);
    source.rows.destroy(stop.signal.reason as Error);
  };
  stop.signal.addEventListener("abort", onStop, { once: true });
  const onWidthMismatch = (labels: number, columns: number) =>
    deps.logger.warn(
      "title label count differs from the query's columns + 1; shorter side padded",
      {
        taskId: task.id,
        labels,
        columns,
      },
    );
  const header = parseTitle(task.title);
  const layout = copy
    ? createCopyCsvLayout({ header, onWidthMismatch })
    : createCsvLayout({ header, escapeFormulas: settings.escapeFormulas, onWidthMismatch });
  deps.logger.info("export started", { taskId: task.id, path: copy ? "copy" : "rows" });
  // S3 allows 10,000 parts: stop with a clear reason rather than fail at part 10,001.
  const maxBytes = settings.partSizeBytes * MAX_PARTS;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        const gb = (maxBytes / 1024 ** 3).toFixed(0);
        done(
          new Error(
            `the file would be larger than ${gb} GB, the most a single upload holds with ${settings.partSizeBytes / 1024 ** 2} MB parts (S3 allows 10,000). Narrow the query, or ask an operator to raise UPLOAD_PART_SIZE_MB.`,
          ),
        );
        return;
      }
      done(null, chunk);
    },
  });
  let queryError: unknown;
  source.rows.once("error", (err) => {
    queryError ??= err;
  });
  const piped = new Promise<void>((resolve, reject) => {
    pipeline(source.rows, ...layout.stages, createEncoder(settings.csvEncoding), counter, (err) =>
      err ? reject(err) : resolve(),
    );
  });
  const uploaded = uploadStream(deps.s3, {
    bucket: settings.bucket,
    key,
    body: counter,
    contentType: contentTypeFor(settings.csvEncoding),
    contentDisposition: contentDisposition(task.name),
    partSizeBytes: settings.partSizeBytes,
    queueSize: settings.uploadQueueSize,
    metadata: { "task-id": String(task.id) },
    abortController: uploadAbort,
  }).catch((err) => {
    // Nobody reads the CSV any more: stop the query instead of stalling on backpressure.
    source.rows.destroy();
    throw err;
  });
  const [p, u] = await Promise.allSettled([piped, uploaded]);
  stop.signal.removeEventListener("abort", onStop);
  await source.close();
  if (stop.signal.aborted) throw stop.signal.reason;
  // When the upload fails, lib-storage stops reading and the stream machinery tears the
  // pipeline down with an AbortError or premature close: a consequence, not the cause.
  if (queryError !== undefined && !(u.status === "rejected" && isTeardown(queryError)))
    throw new StageError("query", queryError);
  // A CSV or encoding error also fails the upload (its body broke): report where it started.
  if (p.status === "rejected" && (u.status === "fulfilled" || u.reason === p.reason))
    throw new StageError("export", p.reason);
  if (u.status === "rejected") throw new StageError("upload", u.reason);
  if (p.status === "rejected") throw new StageError("export", p.reason);
  return { rows: layout.rowCount(), bytes };
}
