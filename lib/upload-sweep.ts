import { AbortMultipartUploadCommand, type S3Client } from "@aws-sdk/client-s3";
import { parseObjectKey } from "./export/object-key.js";
import type { Logger } from "./logger.js";
import { parseSliceKey } from "./slices/objects.js";
import { STATUS } from "./status.js";
import { listUploads } from "./storage.js";
import type { TaskStore } from "./tasks/store.js";

export interface SweepDeps {
  s3: S3Client;
  tasks: TaskStore;
  bucket: string;
  keyPrefix: string;
  logger: Logger;
}

/**
 * Aborts multipart uploads that no live attempt owns: a worker killed mid-export (process
 * killed, Lambda timeout, storage unreachable when it tried to abort) cannot clean up after
 * itself. An upload is live only while its task is processing in the attempt named in its key.
 *
 * Uploads are listed before tasks are read: an upload that exists at listing time belongs to
 * a claim made before it, so a new attempt is never mistaken for a dead one.
 */
export async function sweepUploads(d: SweepDeps): Promise<string[]> {
  const uploads = await listUploads(d.s3, d.bucket, d.keyPrefix);

  const live = new Map<number, number | null>();
  const aborted: string[] = [];
  for (const u of uploads) {
    // A slice's upload lives while its task's attempt does (a retried slice writes anew).
    const owner = parseObjectKey(d.keyPrefix, u.key) ?? parseSliceKey(d.keyPrefix, u.key);
    if (!owner) continue; // not ours: leave it alone
    if (!live.has(owner.id)) {
      const row = await d.tasks.get(owner.id);
      live.set(owner.id, row?.status === STATUS.processing ? row.task.attempts : null);
    }
    if (live.get(owner.id) === owner.attempt) continue;
    await d.s3.send(
      new AbortMultipartUploadCommand({ Bucket: d.bucket, Key: u.key, UploadId: u.uploadId }),
    );
    aborted.push(u.key);
  }
  if (aborted.length > 0) {
    d.logger.warn("aborted multipart uploads left by stopped workers", { keys: aborted });
  }
  return aborted;
}
