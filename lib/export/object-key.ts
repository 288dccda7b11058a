import { randomUUID } from "node:crypto";
import { FORMAT_EXTENSIONS } from "../formats/index.js";

/**
 * Unique per attempt: two task tables sharing a bucket, or ids reused after a table is
 * recreated, must never overwrite (and so leak) an earlier file behind an old link. The id and
 * attempt in the key let the upload sweeper tell a live upload from a dead worker's; the
 * extension is the format's.
 */
export function objectKey(prefix: string, id: number, attempt: number, extension: string): string {
  return `${prefix}task-${id}-a${attempt}-${randomUUID()}.${extension}`;
}

/** The task id and attempt of a key made by objectKey (any format, any container); undefined for any other key. */
export function parseObjectKey(
  prefix: string,
  key: string,
): { id: number; attempt: number } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  // The extension may have several parts (csv.gz).
  const m = /^task-(\d+)-a(\d+)-[0-9a-f-]{36}\.([a-z0-9]+(?:\.[a-z0-9]+)*)$/.exec(
    key.slice(prefix.length),
  );
  if (!m || !FORMAT_EXTENSIONS.includes(m[3] as string)) return undefined;
  return { id: Number(m[1]), attempt: Number(m[2]) };
}
