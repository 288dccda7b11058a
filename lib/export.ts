import { randomUUID } from "node:crypto";
import { pipeline, Transform } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Config } from "./config.js";
import { contentTypeFor, createEncoder } from "./csv/encoding.js";
import { createCsvLayout, parseTitle } from "./csv/layout.js";
import { describeFailure, StageError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { DataSource } from "./sources/source.js";
import { contentDisposition, presignDownload, uploadStream } from "./storage.js";
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
  logger: Logger;
  /** Strings that must never reach `msg` or the logs (passwords, hosts). */
  secrets: string[];
}

export type ExportOutcome =
  | { kind: "exported"; id: number; rows: number; bytes: number; key: string; url: string }
  | { kind: "failed"; id: number; msg: string }
  | { kind: "deferred"; id: number }
  | { kind: "skipped"; id: number; status: number | null };

/**
 * Unique per export: two task tables sharing a bucket, or ids reused after a table is
 * recreated, must never overwrite (and so leak) an earlier file behind an old link.
 */
export function objectKey(prefix: string, id: number): string {
  return `${prefix}task-${id}-${randomUUID()}.csv`;
}

/**
 * One task, start to finish: claim, stream the query into S3, store the link and status.
 * Export errors end the task in status 3 with a readable msg; only an error writing the
 * task row itself is thrown, so the message is retried by SQS.
 */
export async function exportTask(deps: ExportDeps, id: number): Promise<ExportOutcome> {
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
  const heartbeat = setInterval(
    () => {
      tasks
        .heartbeat(task)
        .catch((err) => logger.warn("heartbeat failed", { taskId: id, error: String(err) }));
    },
    Math.max(1000, (settings.leaseSeconds * 1000) / 3),
  );
  try {
    const key = objectKey(settings.keyPrefix, id);
    let result: { rows: number; bytes: number };
    let url: string;
    try {
      result = await streamToS3(deps, task, key);
      url = await presignDownload(deps.signer, settings.bucket, key, settings.linkTtlSeconds).catch(
        (err) => {
          throw new StageError("upload", err);
        },
      );
    } catch (failure) {
      const { stage, cause } =
        failure instanceof StageError ? failure : new StageError("export", failure);
      const msg = describeFailure(cause, stage, {
        timeoutSeconds: settings.statementTimeoutSeconds,
        secrets: deps.secrets,
      });
      logger.warn("export failed", { taskId: id, stage, msg });
      await tasks.fail(task, msg);
      return { kind: "failed", id, msg };
    }
    const ours = await tasks.complete(task, {
      filepath: url,
      s3Key: key,
      rowCount: result.rows,
      byteCount: result.bytes,
    });
    const seconds = (Date.now() - started) / 1000;
    if (!ours)
      logger.warn("task was taken over before this attempt finished; not recorded", { taskId: id });
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
  }
}

/** Query -> rows -> CSV -> encoding -> multipart upload, all streaming with backpressure. */
async function streamToS3(
  deps: ExportDeps,
  task: Task,
  key: string,
): Promise<{ rows: number; bytes: number }> {
  const { settings } = deps;
  let source: Awaited<ReturnType<DataSource["open"]>>;
  try {
    source = await deps.source.open(task.query);
  } catch (error) {
    throw new StageError("query", error);
  }
  const layout = createCsvLayout({
    header: parseTitle(task.title),
    escapeFormulas: settings.escapeFormulas,
  });
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
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
  }).catch((err) => {
    // Nobody reads the CSV any more: stop the query instead of stalling on backpressure.
    source.rows.destroy();
    throw err;
  });
  const [p, u] = await Promise.allSettled([piped, uploaded]);
  await source.close();
  if (queryError !== undefined) throw new StageError("query", queryError);
  if (u.status === "rejected") throw new StageError("upload", u.reason);
  if (p.status === "rejected") throw new StageError("export", p.reason);
  return { rows: layout.rowCount(), bytes };
}
