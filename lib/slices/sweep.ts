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
  const ids = await d.slices.orphans();
  for (const id of ids) {
    await deleteSliceObjects(d.s3, d.bucket, d.keyPrefix, id);
    await d.slices.remove(id);
  }
  if (ids.length > 0)
    d.logger.warn("removed slices of tasks that ended without them", { taskIds: ids });
  return ids;
}
