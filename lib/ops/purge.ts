import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { asErrorLike } from "../failure/kinds.js";
import { deleteObject } from "../storage.js";
import type { StoredFile } from "../tasks/store.js";
import type { Ops } from "./context.js";
import { durationWords } from "./durations.js";

export interface PurgedFile {
  id: number;
  s3Key: string;
  /** The object's size as S3 reported it (a dry run: byte_count, as the worker recorded it). */
  bytes: number;
  /** removed; gone (S3 no longer had it: the bucket's expiry came first; the row is cleared all the same); would-remove (dry run). */
  result: "removed" | "gone" | "would-remove";
}

export interface PurgeReport {
  olderThanSeconds: number;
  dryRun: boolean;
  files: PurgedFile[];
  /** Left alone: the key is outside EXPORT_KEY_PREFIX, or the task got a new file meanwhile. */
  skipped: { id: number; s3Key: string; why: string }[];
  /** Storage or the database failed on these; a second run picks them up again. */
  failed: { id: number; s3Key: string; error: string }[];
  bytesFreed: number;
}

const PAGE = 200;

/** The msg a purged task keeps, in place of its link. */
export function purgedMsg(on: Date, olderThanSeconds: number): string {
  const day = on.toISOString().slice(0, 10);
  return `The file was removed on ${day} (older than ${durationWords(olderThanSeconds)}); create the task again to export anew.`;
}

/**
 * Deletes the files of tasks that finished more than `olderThanSeconds` ago, then clears
 * their filepath and s3_key and says so in msg. The row update is fenced on the deleted key:
 * a task that got a new file meanwhile keeps it. Only keys under EXPORT_KEY_PREFIX are
 * deleted, so a hand-edited row cannot point the purge at another object.
 */
export async function purgeFiles(
  ops: Ops,
  o: { olderThanSeconds: number; dryRun: boolean; now?: Date },
): Promise<PurgeReport> {
  const report: PurgeReport = {
    olderThanSeconds: o.olderThanSeconds,
    dryRun: o.dryRun,
    files: [],
    skipped: [],
    failed: [],
    bytesFreed: 0,
  };
  const msg = purgedMsg(o.now ?? new Date(), o.olderThanSeconds);
  let afterId = 0;
  for (;;) {
    const page = await ops.tasks.filesOlderThan(o.olderThanSeconds, afterId, PAGE);
    for (const f of page) await purgeOne(ops, f, msg, o.dryRun, report);
    if (page.length < PAGE) return report;
    afterId = page[page.length - 1]?.id ?? afterId;
  }
}

async function purgeOne(
  ops: Ops,
  f: StoredFile,
  msg: string,
  dryRun: boolean,
  report: PurgeReport,
): Promise<void> {
  const { bucket, keyPrefix } = ops.config;
  if (!f.s3Key.startsWith(keyPrefix)) {
    report.skipped.push({
      id: f.id,
      s3Key: f.s3Key,
      why: `not under EXPORT_KEY_PREFIX (${keyPrefix})`,
    });
    return;
  }
  if (dryRun) {
    report.files.push({
      id: f.id,
      s3Key: f.s3Key,
      bytes: f.byteCount ?? 0,
      result: "would-remove",
    });
    report.bytesFreed += f.byteCount ?? 0;
    return;
  }
  try {
    const size = await objectSize(ops, bucket, f.s3Key);
    if (size !== undefined) await deleteObject(ops.s3, bucket, f.s3Key);
    if (!(await ops.tasks.clearFile(f.id, f.s3Key, msg))) {
      report.skipped.push({
        id: f.id,
        s3Key: f.s3Key,
        why: "the task got a new file meanwhile; its row was left as it is",
      });
      return;
    }
    report.files.push({
      id: f.id,
      s3Key: f.s3Key,
      bytes: size ?? 0,
      result: size === undefined ? "gone" : "removed",
    });
    report.bytesFreed += size ?? 0;
  } catch (err) {
    report.failed.push({
      id: f.id,
      s3Key: f.s3Key,
      error: ops.clean(asErrorLike(err).message ?? String(err)),
    });
  }
}

/** The object's size, or undefined when S3 no longer has it. */
async function objectSize(ops: Ops, bucket: string, key: string): Promise<number | undefined> {
  try {
    const head = await ops.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return Number(head.ContentLength ?? 0);
  } catch (err) {
    if (asErrorLike(err).$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}
