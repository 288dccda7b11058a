import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";

/**
 * Where a task's slice objects live: one prefix per task, so every slice file of every attempt
 * (a retried slice, a worker that lost its lease) is found and deleted by listing it.
 */
export function slicePrefix(keyPrefix: string, id: number): string {
  return `${keyPrefix}slices/task-${id}-a`;
}

/** One slice's object: a retry of the slice writes the same key again. */
export function sliceObjectKey(keyPrefix: string, id: number, attempt: number, n: number): string {
  return `${slicePrefix(keyPrefix, id)}${attempt}/slice-${n}.part`;
}

/** The task id and attempt of a key made by sliceObjectKey; undefined for any other key. */
export function parseSliceKey(
  keyPrefix: string,
  key: string,
): { id: number; attempt: number } | undefined {
  if (!key.startsWith(keyPrefix)) return undefined;
  const m = /^slices\/task-(\d+)-a(\d+)\/slice-\d+\.part$/.exec(key.slice(keyPrefix.length));
  return m ? { id: Number(m[1]), attempt: Number(m[2]) } : undefined;
}

/** Deletes every slice object of the task; returns how many there were. */
export async function deleteSliceObjects(
  s3: S3Client,
  bucket: string,
  keyPrefix: string,
  id: number,
): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: slicePrefix(keyPrefix, id),
        ContinuationToken: token,
      }),
    );
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return deleted;
}
