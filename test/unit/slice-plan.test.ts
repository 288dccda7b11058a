// planSlices over a stub source: the key's range is counted in parts at once, one connection
// each; the first part to fail stops the others; a stop of the task's stops them all.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { sqlTextOf } from "../../lib/engines/index.js";
import { postgresDialect } from "../../lib/engines/postgres/index.js";
import { sliceQueries } from "../../lib/slices/key-range.js";
import { PLAN_BUCKETS, planSlices } from "../../lib/slices/plan.js";
import type { DataSource, Row } from "../../lib/sources/types.js";

const text = sqlTextOf(postgresDialect);
const q = sliceQueries(text, "SELECT id FROM t", "id");

/** Keys 1..rows, one each. Part queries wait for `gate` before they answer. */
function stubSource(
  rows: number,
  o: { gate?: Promise<void>; failPart?: number; total?: number } = {},
) {
  let open = 0;
  let most = 0;
  let parts = 0;
  const closed: string[] = [];
  const destroyed: string[] = [];
  const source: DataSource = {
    label: "stub",
    sqlText: text,
    async open(sql) {
      open++;
      most = Math.max(most, open);
      const answer = async (): Promise<Row[]> => {
        if (sql.endsWith("LIMIT 0")) return [];
        if (sql.includes("MIN(")) return [["1", String(rows), "f"]];
        if (sql.includes("IS NULL")) return [["0"]];
        if (sql.endsWith(") oe_slice")) return [[String(o.total ?? rows)]];
        const part = parts++;
        if (part === o.failPart) throw new Error("part failed");
        await o.gate;
        // Bucket b of width w from 1: rows whose key lies in the part's range.
        const from = BigInt(/>= \((-?\d+)\)/.exec(sql)?.[1] ?? "1");
        const to = BigInt(/< \((-?\d+)\) GROUP/.exec(sql)?.[1] ?? String(rows + 1));
        const width = (BigInt(rows) + BigInt(PLAN_BUCKETS) - 1n) / BigInt(PLAN_BUCKETS);
        const out: Row[] = [];
        for (let k = from; k < to; k += width) {
          const end = k + width < to ? k + width : to;
          out.push([String((k - 1n) / width), String(end - k)]);
        }
        return out;
      };
      const stream = new Readable({ objectMode: true, read() {} });
      stream.on("close", () => {
        if (!stream.readableEnded) destroyed.push(sql);
      });
      answer().then(
        (r) => {
          stream.push(r);
          stream.push(null);
        },
        (err) => stream.destroy(err),
      );
      return {
        rows: stream,
        columns: Promise.resolve([{ name: "id", kind: "number" as const }]),
        close: async () => {
          open--;
          closed.push(sql);
          stream.destroy();
        },
      };
    },
  };
  return { source, most: () => most, closed, destroyed, parts: () => parts };
}

describe("planning counts the key's range in parts at once", () => {
  it("opens every part and the NULL count together, and plans balanced slices", async () => {
    const s = stubSource(1_000_000);
    const plan = await planSlices(s.source, q, "id", { wanted: 8, sliceRows: 1, concurrency: 4 });
    assert.equal(s.parts(), 4);
    // The four parts and the NULL count were open at the same time.
    assert.equal(s.most(), 5);
    assert.equal(plan.length, 8);
    assert.equal(
      plan.reduce((sum, x) => sum + x.rows, 0),
      1_000_000,
    );
    for (const x of plan) assert.ok(Math.abs(x.rows - 125_000) < 2000, `${x.rows}`);
    assert.equal(plan[0]?.lo, 1n);
    assert.equal(plan.at(-1)?.hi, 1_000_001n);
  });

  it("counts in one part when told to", async () => {
    const s = stubSource(10_000);
    const plan = await planSlices(s.source, q, "id", { sliceRows: 2500, concurrency: 1 });
    assert.equal(s.parts(), 1);
    assert.equal(plan.length, 4);
  });

  it("stops the other parts when one fails", async () => {
    // The other parts never answer: only the failure's stop ends them.
    const s = stubSource(1_000_000, { gate: new Promise(() => {}), failPart: 1 });
    await assert.rejects(
      planSlices(s.source, q, "id", { wanted: 4, sliceRows: 1, concurrency: 4 }),
      /part failed/,
    );
    assert.equal(s.destroyed.length, 4, "the failed part and the three others destroyed");
    // Every connection was closed: the probe, MIN/MAX, the NULL count and the four parts.
    assert.equal(s.closed.length, 7);
  });

  it("stops every part at the task's stop, with its reason", async () => {
    const s = stubSource(1_000_000, { gate: new Promise(() => {}) });
    const stop = new AbortController();
    const planning = planSlices(
      s.source,
      q,
      "id",
      { wanted: 4, sliceRows: 1, concurrency: 3 },
      stop.signal,
    );
    await new Promise((r) => setTimeout(r, 20));
    stop.abort(new Error("cancelled by 张三"));
    await assert.rejects(planning, /cancelled by 张三/);
    assert.equal(s.destroyed.length, 3, "the three parts destroyed before they answered");
    assert.equal(s.closed.length, 2 + 4);
  });

  it("refuses a key whose ranges miss rows, where the engine says they may (MySQL TIMESTAMP)", async () => {
    // MariaDB in a zone with daylight saving: rows of the repeated hour in no range.
    const tq = sliceQueries(
      { ...text, countsAll: (kind) => kind === "number" },
      "SELECT id FROM t",
      "id",
    );
    const s = stubSource(10_000, { total: 10_002 });
    await assert.rejects(
      planSlices(s.source, tq, "id", { wanted: 4, sliceRows: 1 }),
      /ranges hold 10,000 of the result's 10,002 rows.*DATETIME column/,
    );
    // The same counts, all placed: planned.
    const ok = stubSource(10_000);
    assert.equal((await planSlices(ok.source, tq, "id", { wanted: 4, sliceRows: 1 })).length, 4);
    // Where the engine's ranges hold every row (here PostgreSQL's), no whole count is made.
    const pg = stubSource(10_000, { total: 1 });
    assert.equal((await planSlices(pg.source, q, "id", { wanted: 4, sliceRows: 1 })).length, 4);
  });

  it("says why the plan needs its connections when the server has too few", async () => {
    const s = stubSource(1_000_000, { failPart: 0, gate: new Promise(() => {}) });
    const open = s.source.open.bind(s.source);
    s.source.open = async (sql) => {
      if (sql.includes("GROUP BY 1") && sql.includes(">= (1)"))
        throw new Error("User 'export_reader' has exceeded the 'max_user_connections' resource");
      return open(sql);
    };
    await assert.rejects(
      planSlices(s.source, q, "id", { wanted: 4, sliceRows: 1, concurrency: 3 }),
      /max_user_connections' resource \(planning a sliced task counts its key's range on 4 connections at once: lower PLAN_CONCURRENCY/,
    );
  });
});
