import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { S3Client } from "@aws-sdk/client-s3";
import { type DownloadDeps, handleDownload } from "../../lib/links/download.js";
import { mintStableLink } from "../../lib/links/stable-link.js";
import { createLogger } from "../../lib/logger.js";
import { STATUS } from "../../lib/status.js";
import type { TaskRow } from "../../lib/tasks/store.js";

const KEYS = { current: "k".repeat(40) };
const NOW = 1_800_000_000_000;
const OBJECT = "task-5-a1-11111111-2222-4333-8444-555555555555.csv";

function deps(row: Partial<TaskRow> | undefined, reads: number[] = []): DownloadDeps {
  const silent = () => {};
  return {
    tasks: {
      get: async (id: number) => {
        reads.push(id);
        return row === undefined
          ? undefined
          : ({ status: STATUS.succeeded, s3Key: `exports/${OBJECT}`, ...row } as TaskRow);
      },
    },
    s3: new S3Client({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "x" },
    }),
    bucket: "b",
    linkKeys: async () => KEYS,
    redirectSeconds: 120,
    logger: createLogger([], "test", { debug: silent, info: silent, warn: silent, error: silent }),
    now: () => NOW,
  };
}

function request(link: string, method = "GET") {
  const u = new URL(link);
  return { method, path: u.pathname, query: Object.fromEntries(u.searchParams) };
}

const link = (o: { id?: number; object?: string; expires?: number } = {}) =>
  mintStableLink("https://dl.example", KEYS, {
    id: o.id ?? 5,
    object: o.object ?? OBJECT,
    expires: o.expires ?? NOW / 1000 + 3600,
  });

describe("download", () => {
  it("redirects a valid link to a presigned URL for the task's file, valid for minutes", async () => {
    const res = await handleDownload(deps({}), request(link()));
    assert.equal(res.statusCode, 302);
    const to = new URL(res.headers.location as string);
    assert.ok(to.pathname.endsWith(`/exports/${OBJECT}`), to.pathname);
    assert.equal(to.searchParams.get("X-Amz-Expires"), "120");
    assert.equal(res.headers["cache-control"], "no-store");
  });

  it("answers 403 to a tampered link without reading the database", async () => {
    const reads: number[] = [];
    const res = await handleDownload(deps({}, reads), request(link().replace("/d/5", "/d/6")));
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /not valid/);
    assert.deepEqual(reads, []);
  });

  it("answers 410 to an expired link", async () => {
    const res = await handleDownload(deps({}), request(link({ expires: NOW / 1000 - 1 })));
    assert.equal(res.statusCode, 410);
    assert.match(res.body, /expired/);
  });

  it("answers 404 to an unknown, unfinished, failed or re-run task", async () => {
    for (const row of [
      undefined,
      { status: STATUS.processing },
      { status: STATUS.failed },
      { s3Key: "exports/task-5-a2-99999999-2222-4333-8444-555555555555.csv" },
      { s3Key: null },
    ]) {
      const res = await handleDownload(deps(row), request(link()));
      assert.equal(res.statusCode, 404, JSON.stringify(row));
      assert.match(res.body, /not available/);
      assert.equal(res.headers["content-type"], "text/html; charset=utf-8");
    }
  });

  it("links the pages' export list to the download centre when DOWNLOAD_CENTRE_URL is set, and not otherwise", async () => {
    const centre = 'https://app.example/exports?tab=mine&x="1"';
    const href = '<a href="https://app.example/exports?tab=mine&#38;x=&#34;1&#34;">export list</a>';
    const cases = [
      [{ status: STATUS.failed }, link(), 404, "Open the export list for its current link."],
      [{}, link().replace("/d/5", "/d/6"), 403, "Copy the whole link again from the export list."],
      [
        {},
        link({ expires: NOW / 1000 - 1 }),
        410,
        "Run the export again to get a new file and link.",
      ],
    ] as const;
    for (const [row, url, status, plain] of cases) {
      const without = await handleDownload(deps(row), request(url));
      assert.equal(without.statusCode, status);
      assert.ok(without.body.includes(plain), without.body);
      assert.doesNotMatch(without.body, /<a /);
      const withCentre = await handleDownload(
        { ...deps(row), downloadCentreUrl: centre },
        request(url),
      );
      assert.equal(withCentre.statusCode, status);
      assert.ok(withCentre.body.includes(href), withCentre.body);
      assert.equal(withCentre.body.match(/<a /g)?.length, 1, "one link, the URL escaped");
    }
  });

  it("refuses methods other than GET and HEAD", async () => {
    const res = await handleDownload(deps({}), request(link(), "POST"));
    assert.equal(res.statusCode, 405);
    assert.equal((await handleDownload(deps({}), request(link(), "HEAD"))).statusCode, 302);
  });
});

describe("download when the task table is down", () => {
  it("answers 503 with a page, not an error", async () => {
    const d = deps({});
    d.tasks = {
      get: async () => {
        throw new Error("connect ECONNREFUSED 10.0.0.5:3306");
      },
    };
    const res = await handleDownload(d, request(link()));
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /try again/);
    assert.doesNotMatch(res.body, /10\.0\.0\.5/);
  });
});
