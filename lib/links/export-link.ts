import type { S3Client } from "@aws-sdk/client-s3";
import { presignDownload } from "../storage.js";
import { type LinkKeys, mintStableLink, objectName } from "./stable-link.js";

/** presigned: filepath is an S3 presigned URL. stable: a signed link to the download function. */
export const LINK_MODES = ["presigned", "stable"] as const;
export type LinkMode = (typeof LINK_MODES)[number];

/** What minting a finished export's link needs (config.ts documents each). */
export interface LinkSettings {
  bucket: string;
  linkMode: LinkMode;
  linkTtlSeconds: number;
  linkBaseUrl: string | undefined;
  linkKeys: LinkKeys | undefined;
  stableLinkTtlSeconds: number;
}

/** The link stored in `filepath` for a finished export, in the configured mode. */
export async function exportLink(
  signer: S3Client,
  s: LinkSettings,
  id: number,
  key: string,
  now: number = Date.now(),
): Promise<string> {
  if (s.linkMode === "presigned") return presignDownload(signer, s.bucket, key, s.linkTtlSeconds);
  if (s.linkBaseUrl === undefined || s.linkKeys === undefined) {
    // loadConfig refuses this for the worker; reaching here is a wiring mistake.
    throw new Error("stable links need LINK_BASE_URL and LINK_SECRET");
  }
  return mintStableLink(s.linkBaseUrl, s.linkKeys, {
    id,
    object: objectName(key),
    expires: Math.floor(now / 1000) + s.stableLinkTtlSeconds,
  });
}
