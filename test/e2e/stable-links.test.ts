// Stable links end to end: an inserted row, exported by the pipeline, clicked through the
// download function served on 127.0.0.1 exactly as its function URL serves it.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../lib/app.js";
import { loadConfig } from "../../lib/config.js";
import { mintStableLink } from "../../lib/links/stable-link.js";
import { serveDownloads } from "../../lib/local/download-server.js";
import { createLogger } from "../../lib/logger.js";
import { STATUS } from "../../lib/status.js";
import { type Harness, makeHarness } from "../helpers.js";
import { createOrders, ORDERS_TITLE, ordersQuery, parseExport } from "./fixtures.js";

const OLD_KEY = "old-link-key-".padEnd(40, "o");
const NEW_KEY = "new-link-key-".padEnd(40, "n");

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** What a browser gets: the first answer, and where following it ends. */
async function click(link: string) {
  const first = await fetch(link, { redirect: "manual" });
  const body = await first.text();
  if (first.status !== 302) return { status: first.status, body, file: undefined };
  const file = await fetch(first.headers.get("location") as string);
  return {
    status: 302,
    body,
    file: Buffer.from(await file.arrayBuffer()),
    fileStatus: file.status,
  };
}

describe("stable links: valid, tampered, expired, unknown, failed, re-run, rotated", () => {
  let h: Harness;
  let base: string;
  let closeServer: () => Promise<void>;
  let orders: string;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    h = await makeHarness({
      taskEngine: "mysql",
      dataEngine: "postgres",
      env: { LINK_MODE: "stable", LINK_SECRET: OLD_KEY, LINK_BASE_URL: base },
    });
    closeServer = (await serveDownloads(h.app.downloadDeps, port)).close;
    orders = await createOrders(h.dataDb, 50);
  });
  after(async () => {
    await closeServer();
    await h.dataDb.query(`DROP TABLE ${orders}`);
    await h.close();
  });

  it("stores a stable link that redirects to the file, and refuses every other case with its page", async () => {
    const id = await h.insertTask({
      name: "稳定链接",
      title: ORDERS_TITLE,
      query: ordersQuery(orders),
    });
    await h.runUntilIdle(120);
    const row = await h.app.exportDeps.tasks.get(id);
    assert.equal(row?.status, STATUS.succeeded, row?.msg ?? "");
    const link = row?.filepath as string;
    assert.ok(link.startsWith(`${base}/d/${id}?o=task-${id}-a1-`), link);
    assert.doesNotMatch(link, /X-Amz/, "no AWS credentials in the stored link");
    const expires = Number(new URL(link).searchParams.get("e"));
    const days = (expires - Date.now() / 1000) / 86_400;
    assert.ok(days > 29.9 && days <= 30, `valid for STABLE_LINK_TTL_DAYS (30), got ${days}`);

    // Valid: 302 to a short presigned URL, which downloads the file.
    const ok = await click(link);
    assert.equal(ok.status, 302);
    assert.equal(ok.fileStatus, 200);
    const { rows } = parseExport(ok.file as Buffer, "gb18030");
    assert.equal(rows.length, row?.rowCount);

    // Tampered: any part changed -> 403.
    const u = new URL(link);
    for (const [k, v] of [
      ["e", String(expires + 86_400)],
      ["o", (u.searchParams.get("o") as string).replace("-a1-", "-a2-")],
      ["s", "0".repeat(64)],
    ] as const) {
      const t = new URL(link);
      t.searchParams.set(k, v);
      const r = await click(t.toString());
      assert.equal(r.status, 403, k);
      assert.match(r.body, /This link is not valid/);
    }
    const otherTask = await click(link.replace(`/d/${id}?`, `/d/${id + 1}?`));
    assert.equal(otherTask.status, 403);

    // Expired: correctly signed, expiry passed -> 410.
    const object = u.searchParams.get("o") as string;
    const past = mintStableLink(
      base,
      { current: OLD_KEY },
      { id, object, expires: Math.floor(Date.now() / 1000) - 5 },
    );
    const expired = await click(past);
    assert.equal(expired.status, 410);
    assert.match(expired.body, /expired/);

    // Unknown task: correctly signed -> 404.
    const unknown = await click(
      mintStableLink(base, { current: OLD_KEY }, { id: 987_654, object, expires: expires }),
    );
    assert.equal(unknown.status, 404);

    // Failed task -> 404.
    const bad = await h.insertTask({
      name: "坏",
      title: "a",
      query: "SELECT no_such_column FROM no_such_table",
    });
    await h.runUntilIdle(60);
    assert.equal((await h.app.exportDeps.tasks.get(bad))?.status, STATUS.failed);
    const failed = await click(
      mintStableLink(
        base,
        { current: OLD_KEY },
        { id: bad, object: `task-${bad}-a1-x.csv`, expires },
      ),
    );
    assert.equal(failed.status, 404);

    // Re-run (the PHP panel sets the row back to pending): the old link stops, the new one works.
    await h.taskDb.query(
      `UPDATE ${h.config.taskTable.name} SET status = 0, dispatched_at = NULL WHERE id = ${Number(id)}`,
    );
    await h.runUntilIdle(120);
    const rerun = await h.app.exportDeps.tasks.get(id);
    assert.equal(rerun?.status, STATUS.succeeded);
    assert.notEqual(rerun?.filepath, link);
    const old = await click(link);
    assert.equal(old.status, 404);
    assert.match(old.body, /replaced by a newer file/);
    assert.equal((await click(rerun?.filepath as string)).fileStatus, 200);
  });

  it("serves gzip, ZIP and XLSX files through the same link, with their types and names", async () => {
    for (const [options, ext, type, magic] of [
      ['{"compress": "gzip"}', "csv.gz", "application/gzip", "1f8b"],
      ['{"compress": "zip"}', "zip", "application/zip", "504b0304"],
      [
        '{"format": "xlsx"}',
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "504b0304",
      ],
    ] as const) {
      const id = await h.insertTask({
        name: "压缩",
        title: ORDERS_TITLE,
        query: ordersQuery(orders),
        options,
      });
      await h.runUntilIdle(120);
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.succeeded, row?.msg ?? "");
      const link = row?.filepath as string;
      assert.match(
        new URL(link).searchParams.get("o") ?? "",
        new RegExp(`\\.${ext.replace(".", "\\.")}$`),
      );
      const first = await fetch(link, { redirect: "manual" });
      assert.equal(first.status, 302, options);
      const file = await fetch(first.headers.get("location") as string);
      assert.equal(file.status, 200);
      assert.equal(file.headers.get("content-type"), type);
      assert.match(
        file.headers.get("content-disposition") ?? "",
        new RegExp(
          `filename\\*=UTF-8''${encodeURIComponent("压缩")}\\.${ext.replace(".", "\\.")}$`,
        ),
      );
      const bytes = Buffer.from(await file.arrayBuffer());
      assert.equal(bytes.length, row?.byteCount);
      assert.equal(bytes.subarray(0, magic.length / 2).toString("hex"), magic);
    }
  });

  it("keeps old links working during a rotation, and only then", async () => {
    const id = await h.insertTask({
      name: "rotation",
      title: ORDERS_TITLE,
      query: ordersQuery(orders),
    });
    await h.runUntilIdle(120);
    const link = (await h.app.exportDeps.tasks.get(id))?.filepath as string;
    const serveWith = async (secret: string) => {
      const port = await freePort();
      const config = loadConfig(
        {
          TASK_DB_URL: h.config.taskDb.url,
          TASK_TABLE: h.config.taskTable.name,
          EXPORT_BUCKET: h.config.bucket,
          AWS_REGION: h.config.region,
          AWS_ENDPOINT_URL: h.config.endpointUrl,
          LINK_SECRET: secret,
        },
        "download",
      );
      const app = createApp(config, createLogger([], "test"));
      const server = await serveDownloads(app.downloadDeps, port);
      const status = (await click(link.replace(base, server.url))).status;
      await server.close();
      await app.close();
      return status;
    };
    assert.equal(await serveWith(JSON.stringify({ current: NEW_KEY, previous: OLD_KEY })), 302);
    assert.equal(await serveWith(NEW_KEY), 403);
  });
});
