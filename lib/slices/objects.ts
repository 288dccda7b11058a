import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { listUploads } from "../storage.js";

/**
 * Where a task's slice objects live: one prefix per task, and under it one per attempt of the
 * task, so clean-up finds every slice file of an attempt (every try of every slice) by listing.
 */
export function slicePrefix(keyPrefix: string, id: number, attempt?: number): string {
  return `${keyPrefix}slices/task-${id}-a${attempt === undefined ? "" : `${attempt}/`}`;
}

/**
 * One try of one slice: its own key, so a try that lost its claim (its worker presumed dead)
 * can delete what it wrote without touching the try that took over.
 */
export function sliceObjectKey(
  keyPrefix: string,
  id: number,
  attempt: number,
  n: number,
  sliceAttempt: number,
): string {
  return `${slicePrefix(keyPrefix, id, attempt)}slice-${n}-s${sliceAttempt}.part`;
}

/** The task id and attempt of a key made by sliceObjectKey; undefined for any other key. */
export function parseSliceKey(
  keyPrefix: string,
  key: string,
): { id: number; attempt: number } | undefined {
  if (!key.startsWith(keyPrefix)) return undefined;
  const m = /^slices\/task-(\d+)-a(\d+)\/slice-\d+-s\d+\.part$/.exec(key.slice(keyPrefix.length));
  return m ? { id: Number(m[1]), attempt: Number(m[2]) } : undefined;
}

/**
 * Deletes the slice objects of one attempt of the task, or, with `except`, of every attempt but
 * that one (a new plan clears what earlier attempts left); returns how many there were.
 */
export async function deleteSliceObjects(
  s3: S3Client,
  bucket: string,
  keyPrefix: string,
  id: number,
  which: { attempt: number } | { except: number },
): Promise<number> {
  const prefix = slicePrefix(keyPrefix, id, "attempt" in which ? which.attempt : undefined);
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).flatMap((o) =>
      o.Key && !("except" in which && parseSliceKey(keyPrefix, o.Key)?.attempt === which.except)
        ? [{ Key: o.Key }]
        : [],
    );
    if (keys.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return deleted;
}

/**
 * Aborts the uploads still open under one attempt of the task's slices: a try whose worker was
 * killed mid-stream leaves its multipart upload open (lib-storage never got to abort it).
 * Returns how many there were.
 */
export async function abortSliceUploads(
  s3: S3Client,
  bucket: string,
  keyPrefix: string,
  id: number,
  attempt: number,
): Promise<number> {
  const uploads = await listUploads(s3, bucket, slicePrefix(keyPrefix, id, attempt));
  for (const u of uploads)
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId }),
    );
  return uploads.length;
}
