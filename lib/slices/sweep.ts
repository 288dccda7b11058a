import type { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "../logger.js";
import type { SliceStore } from "../tasks/slice-store.js";
import { deleteSliceObjects } from "./objects.js";

/**
 * Slices that no running attempt owns: their task failed or was cancelled by the lease reaper
 * (its workers died), or was re-run. Their objects and rows go; the scheduler runs this each pass,
 * so no ending of a sliced task leaves slices behind for long.
 */
export async function sweepSlices(d: {
  s3: S3Client;
  slices: SliceStore;
  bucket: string;
  keyPrefix: string;
  logger: Logger;
}): Promise<number[]> {
  // By attempt: a task re-run meanwhile keeps the slices of its new attempt.
  const orphans = await d.slices.orphans();
  for (const { id, attempt } of orphans) {
    await deleteSliceObjects(d.s3, d.bucket, d.keyPrefix, id, { attempt });
    await d.slices.remove(id, attempt);
  }
  const ids = orphans.map((o) => o.id);
  if (ids.length > 0)
    d.logger.warn("removed slices of tasks that ended without them", { taskIds: ids });
  return ids;
}
