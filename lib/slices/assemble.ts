import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import {
  type ByteRange,
  MAX_COPY_BYTES,
  MAX_PARTS,
  MIN_PART_BYTES,
  type PartStep,
  planParts,
  type SliceObject,
  stepBytes,
} from "./plan-parts.js";

export type { SliceObject } from "./plan-parts.js";

export interface AssembleRequest {
  bucket: string;
  /** The final object's key. */
  key: string;
  /** In file order; all in `bucket`. */
  slices: SliceObject[];
  contentType: string;
  contentDisposition: string;
  metadata?: Record<string, string>;
  /** S3's minimum size of every part but the last (5 MiB); S3 refuses less. */
  minPartBytes?: number;
  /** The largest single UploadPartCopy (S3 allows 5 GiB); tests lower it to exercise ranges. */
  maxCopyBytes?: number;
  abortSignal?: AbortSignal;
  /** Part requests in flight at once (COPY_CONCURRENCY); buffered parts still go one at a time. */
  concurrency?: number;
}

export interface AssembleResult {
  bytes: number;
  /** Parts of the multipart upload; 0 when the object is empty (one PutObject). */
  parts: number;
}

/**
 * Builds `key` from the slice objects, in order, without passing the large ones through this
 * process: slices of at least minPartBytes are copied inside S3 (UploadPartCopy), smaller ones
 * are read and merged into parts of at least minPartBytes, so memory stays under about
 * 2 * minPartBytes. On any failure the multipart upload is aborted and the error rethrown.
 * The slices are left in place: the caller deletes them once it has recorded the result.
 */
export async function assembleObject(s3: S3Client, r: AssembleRequest): Promise<AssembleResult> {
  const min = r.minPartBytes ?? MIN_PART_BYTES;
  const max = r.maxCopyBytes ?? MAX_COPY_BYTES;
  // Planned before any request, so a file that needs too many parts leaves nothing behind.
  const steps = planParts(r.slices, min, max);
  if (steps.length > MAX_PARTS) {
    throw new RangeError(
      `${r.key}: ${steps.length} parts needed, S3 allows ${MAX_PARTS}; fewer, larger slices are needed`,
    );
  }
  const opts = { abortSignal: r.abortSignal };
  const headers = {
    Bucket: r.bucket,
    Key: r.key,
    ContentType: r.contentType,
    ContentDisposition: r.contentDisposition,
    Metadata: r.metadata,
  };
  r.abortSignal?.throwIfAborted();
  if (steps.length === 0) {
    // A multipart upload needs at least one part; an empty file is one plain PUT instead.
    await s3.send(new PutObjectCommand({ ...headers, Body: new Uint8Array(0) }), opts);
    return { bytes: 0, parts: 0 };
  }

  const created = await s3.send(new CreateMultipartUploadCommand(headers), opts);
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`${r.key}: CreateMultipartUpload returned no UploadId`);
  const target = { Bucket: r.bucket, Key: r.key, UploadId: uploadId };
  // The first failure stops the other lanes before the upload is aborted, so no part lands
  // after the abort.
  const failed = new AbortController();
  const signal = r.abortSignal ? AbortSignal.any([r.abortSignal, failed.signal]) : failed.signal;
  const lanes: Promise<void>[] = [];
  try {
    const parts: CompletedPart[] = new Array(steps.length);
    let next = 0;
    // Parts read into memory go one at a time (each up to about 2 x minPartBytes).
    let buffering: Promise<unknown> = Promise.resolve();
    const lane = async () => {
      while (next < steps.length) {
        const i = next++;
        const step = steps[i] as PartStep;
        signal.throwIfAborted();
        const send = () => sendPart(s3, { ...r, abortSignal: signal }, target, i + 1, step);
        let sent: Promise<string>;
        if ("copy" in step) sent = send();
        else {
          sent = buffering.then(send);
          buffering = sent.catch(() => {});
        }
        parts[i] = { PartNumber: i + 1, ETag: await sent };
      }
    };
    const width = Math.max(1, Math.min(r.concurrency ?? COPY_CONCURRENCY, steps.length));
    for (let l = 0; l < width; l++)
      lanes.push(
        lane().catch((err) => {
          failed.abort(err);
          throw err;
        }),
      );
    await Promise.all(lanes);
    r.abortSignal?.throwIfAborted();
    await s3.send(
      new CompleteMultipartUploadCommand({ ...target, MultipartUpload: { Parts: parts } }),
      opts,
    );
    return { bytes: steps.reduce((sum, step) => sum + stepBytes(step), 0), parts: parts.length };
  } catch (err) {
    failed.abort(err);
    await Promise.allSettled(lanes);
    // Without the caller's signal: an aborted assembly must still abort its upload.
    await s3.send(new AbortMultipartUploadCommand(target)).catch(() => {});
    throw err;
  }
}

/**
 * Part requests in flight at once. S3 copies inside itself, and one UploadPartCopy of a large
 * slice takes seconds: one at a time, 100 slices of 1 GB would not join in 15 minutes.
 */
export const COPY_CONCURRENCY = 8;

async function sendPart(
  s3: S3Client,
  r: AssembleRequest,
  target: { Bucket: string; Key: string; UploadId: string },
  partNumber: number,
  step: PartStep,
): Promise<string> {
  const opts = { abortSignal: r.abortSignal };
  if ("copy" in step) {
    const { key, start, end } = step.copy;
    const res = await s3.send(
      new UploadPartCopyCommand({
        ...target,
        PartNumber: partNumber,
        CopySource: copySource(r.bucket, key),
        CopySourceRange: `bytes=${start}-${end - 1}`,
      }),
      opts,
    );
    return etag(res.CopyPartResult?.ETag, partNumber);
  }
  const body = Buffer.allocUnsafe(stepBytes(step));
  let at = 0;
  for (const range of step.buffer) at = await readRange(s3, r, range, body, at);
  const res = await s3.send(
    new UploadPartCommand({ ...target, PartNumber: partNumber, Body: body }),
    opts,
  );
  return etag(res.ETag, partNumber);
}

/** Reads one slice range into `into` at `at`; the next offset. The count is checked, so a
 * slice whose size differs from what the caller said fails instead of shifting the file. */
async function readRange(
  s3: S3Client,
  r: AssembleRequest,
  { key, start, end }: ByteRange,
  into: Buffer,
  at: number,
): Promise<number> {
  const res = await s3.send(
    new GetObjectCommand({ Bucket: r.bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
    { abortSignal: r.abortSignal },
  );
  const want = at + end - start;
  let pos = at;
  for await (const chunk of res.Body as AsyncIterable<Uint8Array>) {
    if (pos + chunk.length > want) throw new Error(`slice ${key}: more bytes than ${end}`);
    into.set(chunk, pos);
    pos += chunk.length;
  }
  if (pos !== want) throw new Error(`slice ${key}: ${pos - at} bytes read of ${end - start}`);
  return pos;
}

/**
 * x-amz-copy-source is "bucket/key", URL-encoded. Each path segment is encoded and the
 * slashes kept, which S3 and the emulators read the same way for keys with `/`, spaces or
 * non-ASCII characters.
 */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

function etag(value: string | undefined, partNumber: number): string {
  if (!value) throw new Error(`part ${partNumber}: S3 returned no ETag`);
  return value;
}
