import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

export interface UploadRequest {
  bucket: string;
  key: string;
  body: Readable;
  contentType: string;
  contentDisposition: string;
  partSizeBytes: number;
  queueSize: number;
  metadata?: Record<string, string>;
  /** Aborting it stops the part uploads in flight and aborts the multipart upload. */
  abortController?: AbortController;
}

/**
 * Streams body into S3 as a multipart upload while it is produced. On any failure the
 * multipart upload is aborted, so no parts are left to bill, and the error is rethrown.
 */
export async function uploadStream(s3: S3Client, r: UploadRequest): Promise<void> {
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: r.bucket,
      Key: r.key,
      Body: r.body,
      ContentType: r.contentType,
      ContentDisposition: r.contentDisposition,
      Metadata: r.metadata,
    },
    partSize: r.partSizeBytes,
    queueSize: r.queueSize,
    leavePartsOnError: false,
    abortController: r.abortController,
  });
  try {
    await upload.done();
  } catch (err) {
    // lib-storage aborts on its own, unless the abort call itself failed: try once more.
    if (upload.uploadId) {
      await s3
        .send(
          new AbortMultipartUploadCommand({
            Bucket: r.bucket,
            Key: r.key,
            UploadId: upload.uploadId,
          }),
        )
        .catch(() => {});
    }
    throw err;
  }
}

/** Every multipart upload open under `prefix`, page by page. */
export async function listUploads(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ key: string; uploadId: string }[]> {
  const uploads: { key: string; uploadId: string }[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const u of page.Uploads ?? []) {
      if (u.Key && u.UploadId) uploads.push({ key: u.Key, uploadId: u.UploadId });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return uploads;
}

/** Removes an object that must not be served (an export whose claim was lost). */
export async function deleteObject(s3: S3Client, bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/** A GET link for the object; the file name comes from the object's Content-Disposition. */
export function presignDownload(
  s3: S3Client,
  bucket: string,
  key: string,
  expiresInSeconds: number,
): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: expiresInSeconds,
  });
}

/**
 * attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded (RFC 6266 / 5987),
 * so browsers save 订单导出.csv under its own name and old clients still get something sane.
 */
export function contentDisposition(taskName: string, extension: string): string {
  const name = downloadFileName(taskName, extension);
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The task name as a safe file name ending in the format's extension. */
export function downloadFileName(taskName: string, extension: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip
  let name = taskName.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, "_").trim();
  if (name === "" || /^\.+$/.test(name)) name = "export";
  // Cut by code point: a cut between the halves of an emoji made encodeURIComponent throw
  // ("URI malformed") and failed the export.
  const chars = Array.from(name);
  if (chars.length > 180) name = chars.slice(0, 180).join("");
  const ext = `.${extension}`;
  return name.toLowerCase().endsWith(ext.toLowerCase()) ? name : `${name}${ext}`;
}
