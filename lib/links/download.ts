import type { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "../logger.js";
import { STATUS } from "../status.js";
import { presignDownload } from "../storage.js";
import type { TaskStore } from "../tasks/store.js";
import { type LinkKeys, objectName, verifyStableLink } from "./stable-link.js";

export interface DownloadDeps {
  tasks: Pick<TaskStore, "get">;
  s3: S3Client;
  bucket: string;
  /** Read per click through a short cache, so a rotated secret takes effect within minutes. */
  linkKeys: () => Promise<LinkKeys>;
  /** How long the presigned URL that a click is redirected to stays valid. */
  redirectSeconds: number;
  /** The host app's download centre: the pages' "export list" links there when set. */
  downloadCentreUrl?: string | undefined;
  logger: Logger;
  now?: () => number;
}

export interface DownloadRequest {
  method: string;
  path: string;
  query: Readonly<Record<string, string | undefined>>;
}

export interface DownloadResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function page(statusCode: number, title: string, text: string): DownloadResponse {
  const body = `<!doctype html><html lang="en"><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;max-width:36em;margin:4em auto"><h1>${title}</h1><p>${text}</p></body></html>\n`;
  return {
    statusCode,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
    body,
  };
}

/** "export list", a link to the download centre when there is one (the URL escaped for an attribute). */
function exportList(url: string | undefined): string {
  if (url === undefined) return "export list";
  const href = url.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<a href="${href}">export list</a>`;
}

const tampered = (list: string) =>
  page(
    403,
    "This link is not valid",
    `The download link is incomplete or has been changed. Copy the whole link again from the ${list}.`,
  );
/** `link`: the export list as a link, or undefined when there is no download centre to name. */
const expired = (link: string | undefined) =>
  page(
    410,
    "This link has expired",
    `Download links last a limited time. Run the export again${link === undefined ? "" : ` from the ${link}`} to get a new file and link.`,
  );
const gone = (list: string) =>
  page(
    404,
    "This file is not available",
    `The export was not found, did not finish, or was run again and replaced by a newer file. Open the ${list} for its current link.`,
  );

const UNAVAILABLE = page(
  503,
  "Downloads are unavailable right now",
  "Please try again in a few minutes.",
);

/**
 * One click on a stable link: signature (403), expiry (410), the task still finished with the
 * same file (404), then 302 to a presigned URL valid for minutes. The signature is checked
 * before the database is touched, so no unsigned request reaches it.
 */
export async function handleDownload(
  deps: DownloadDeps,
  req: DownloadRequest,
): Promise<DownloadResponse> {
  try {
    return await answer(deps, req);
  } catch (error) {
    // The task table or secret unreachable: say so, and let the operator see why in the logs.
    deps.logger.error("download could not be answered", { path: req.path, error });
    return UNAVAILABLE;
  }
}

async function answer(deps: DownloadDeps, req: DownloadRequest): Promise<DownloadResponse> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    const refused = page(405, "Method not allowed", "Open the link in a browser.");
    refused.headers.allow = "GET, HEAD";
    return refused;
  }
  const list = exportList(deps.downloadCentreUrl);
  const nowSeconds = Math.floor((deps.now ?? Date.now)() / 1000);
  const check = verifyStableLink(await deps.linkKeys(), req.path, req.query, nowSeconds);
  if (check.kind === "tampered") {
    deps.logger.warn("download refused: bad signature", { path: req.path });
    return tampered(list);
  }
  const { id, object } = check.claims;
  if (check.kind === "expired") {
    deps.logger.info("download refused: link expired", { taskId: id });
    return expired(deps.downloadCentreUrl === undefined ? undefined : list);
  }
  const row = await deps.tasks.get(id);
  if (row?.status !== STATUS.succeeded || row.s3Key === null || objectName(row.s3Key) !== object) {
    deps.logger.info("download refused: task not finished with this file", {
      taskId: id,
      status: row?.status ?? null,
    });
    return gone(list);
  }
  const url = await presignDownload(deps.s3, deps.bucket, row.s3Key, deps.redirectSeconds);
  deps.logger.info("download redirected", { taskId: id });
  return {
    statusCode: 302,
    headers: { location: url, "cache-control": "no-store", "referrer-policy": "no-referrer" },
    body: "",
  };
}
