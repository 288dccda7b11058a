import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import { describe, it } from "node:test";
import type mysql from "mysql2";
import type pg from "pg";
import { mysqlRowBatches } from "../../lib/engines/mysql/row-batches.js";
import { RowQuery } from "../../lib/engines/postgres/row-query.js";
import { VALUE_OVERHEAD_BYTES } from "../../lib/sources/row-batches.js";

async function batches(stream: Readable): Promise<unknown[][][]> {
  const out: unknown[][][] = [];
  for await (const b of stream) out.push(b as unknown[][]);
  return out;
}

/** A reader that keeps up: batch sizes as they are handed on, once `feed` has run. */
async function sizesWhileReading(stream: Readable, feed: () => void): Promise<number[]> {
  const sizes: number[] = [];
  stream.on("data", (b: unknown[][]) => sizes.push(b.length));
  const ended = new Promise((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  await new Promise((r) => setImmediate(r));
  feed();
  await ended;
  return sizes;
}

describe("PostgreSQL row query", () => {
  it("sends one unnamed statement, executed without a row limit, then Sync", () => {
    const sent: string[] = [];
    const connection = {
      stream: { cork() {}, uncork() {}, pause() {}, resume() {} },
      parse: (m: { name: string; text: string }) => sent.push(`parse ${m.name}|${m.text}`),
      bind: (m: { portal?: string }) => sent.push(`bind ${m.portal ?? ""}`),
      describe: (m: { type: string; name: string }) => sent.push(`describe ${m.type}${m.name}`),
      execute: (m: { rows?: number }) => sent.push(`execute ${m.rows ?? 0}`),
      sync: () => sent.push("sync"),
    };
    new RowQuery("SELECT 1", { bytes: 1000, rows: 10 }).submit(
      connection as unknown as pg.Connection,
    );
    assert.deepEqual(sent, ["parse |SELECT 1", "bind ", "describe P", "execute 0", "sync"]);
  });

  it("closes a batch by the rows' bytes and a cost per value, so many short values make small batches", async () => {
    const q = new RowQuery("SELECT", { bytes: 1000, rows: 1000 });
    // 10 values of 5 bytes: a DataRow of 4 + 2 + 10 x (4 + 5) = 96 bytes, and 10 values.
    const fields = Array<string>(10).fill("abcde");
    const sizes = await sizesWhileReading(q.rows, () => {
      for (let i = 0; i < 8; i++) q.handleDataRow({ fields, length: 96 });
      q.handleReadyForQuery();
    });
    assert.equal(96 + 10 * VALUE_OVERHEAD_BYTES, 336);
    // 3 rows reach 1,008 bytes: a batch; without the per-value cost it would take 11 rows.
    assert.deepEqual(sizes, [3, 3, 2]);
  });

  it("ends with the server's error", async () => {
    const q = new RowQuery("SELECT", { bytes: 1000, rows: 1000 });
    q.handleDataRow({ fields: ["a"], length: 10 });
    const err = Object.assign(new Error("relation does not exist"), { code: "42P01" });
    q.handleError(err);
    await assert.rejects(batches(q.rows), err);
  });
});

describe("MySQL row batches", () => {
  it("batches the query's rows by characters and a cost per value, pausing the connection while the reader is behind", async () => {
    const query = new EventEmitter();
    const calls: string[] = [];
    const conn = {
      query: (sql: string) => {
        calls.push(`query ${sql}`);
        return query;
      },
      pause: () => calls.push("pause"),
      resume: () => calls.push("resume"),
    };
    const stream = mysqlRowBatches(conn as unknown as mysql.Connection, "SELECT 1", {
      bytes: 200,
      rows: 1000,
    }).rows;
    // Two values: 2 x 24 + 3 + 50 = 101 bytes a row: two rows make a batch.
    const row = () => query.emit("result", ["abc", "x".repeat(50)]);
    const sizes = await sizesWhileReading(stream, () => {
      for (let i = 0; i < 5; i++) row();
      query.emit("end");
    });
    assert.deepEqual(sizes, [2, 2, 1]);
    assert.equal(calls[0], "query SELECT 1");
    assert.ok(!calls.includes("pause"), "a reader that keeps up never pauses the connection");
    // Nobody reading: the connection is paused once a batch waits, and resumed at the end.
    const late = new EventEmitter();
    const calls2: string[] = [];
    const conn2 = {
      query: () => late,
      pause: () => calls2.push("pause"),
      resume: () => calls2.push("resume"),
    };
    const unread = mysqlRowBatches(conn2 as unknown as mysql.Connection, "SELECT", {
      bytes: 200,
      rows: 1000,
    }).rows;
    for (let i = 0; i < 5; i++) late.emit("result", ["abc", "x".repeat(50)]);
    late.emit("end");
    assert.deepEqual(calls2, ["pause", "resume"]);
    assert.equal((await batches(unread)).flat().length, 5);
  });

  it("ends with the query's error", async () => {
    const query = new EventEmitter();
    const conn = { query: () => query, pause() {}, resume() {} };
    const stream = mysqlRowBatches(conn as unknown as mysql.Connection, "SELECT", {
      bytes: 200,
      rows: 10,
    }).rows;
    const err = Object.assign(new Error("no such table"), { code: "ER_NO_SUCH_TABLE" });
    query.emit("error", err);
    query.emit("end");
    await assert.rejects(batches(stream), err);
  });
});
