import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RowBatcher, rowBatchStream } from "../../lib/sources/row-batches.js";

describe("RowBatcher", () => {
  it("closes a batch at its byte size or its row count, whichever comes first", () => {
    const b = new RowBatcher({ bytes: 100, rows: 3 });
    assert.equal(b.empty, true);
    b.add(["a"], 60);
    assert.equal(b.full, false);
    b.add(["b"], 40);
    assert.equal(b.full, true, "100 bytes");
    assert.deepEqual(b.take(), [["a"], ["b"]]);
    assert.equal(b.empty, true);
    assert.equal(b.full, false);
    for (const v of ["c", "d"]) b.add([v], 1);
    assert.equal(b.full, false);
    b.add(["e"], 1);
    assert.equal(b.full, true, "3 rows");
    assert.deepEqual(b.take(), [["c"], ["d"], ["e"]]);
    // One row larger than a batch is a batch of its own.
    b.add(["huge"], 1000);
    assert.equal(b.full, true);
    assert.deepEqual(b.take(), [["huge"]]);
  });
});

/** A connection that produces `total` rows of `bytes` each while it is not paused. */
function fakeConnection(total: number, bytes: number) {
  let next = 0;
  let sink: ReturnType<typeof rowBatchStream> | undefined;
  const c = {
    paused: false,
    pauses: 0,
    // Rows delivered while paused: what one socket read already held when the pause came.
    lateRows: 0,
    pause() {
      c.paused = true;
      c.pauses += 1;
    },
    resume() {
      c.paused = false;
      setImmediate(produce);
    },
    attach(s: ReturnType<typeof rowBatchStream>) {
      sink = s;
      setImmediate(produce);
    },
  };
  // One "socket read": up to 5 rows at once, even if a pause comes in between.
  function produce() {
    if (!sink || c.paused) return;
    for (let i = 0; i < 5 && next < total; i++) {
      if (c.paused) c.lateRows += 1;
      sink.row([String(next++)], bytes);
    }
    if (next === total) sink.end();
    else setImmediate(produce);
  }
  return c;
}

describe("rowBatchStream", () => {
  it("hands on every row in order, in batches, with a slow async reader (no stall)", {
    timeout: 10_000,
  }, async () => {
    const conn = fakeConnection(1000, 10);
    const s = rowBatchStream({ bytes: 100, rows: 1000 }, conn);
    conn.attach(s);
    const seen: string[] = [];
    let largest = 0;
    for await (const batch of s.stream) {
      largest = Math.max(largest, (batch as unknown[]).length);
      for (const r of batch as string[][]) seen.push(r[0] as string);
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 1000 }, (_, i) => String(i)),
    );
    assert.ok(conn.pauses > 0, "the slow reader paused the connection");
    // A batch is 10 rows of 10 bytes, plus what one read still delivered after a pause.
    assert.ok(largest <= 10 + 5, `largest batch ${largest}`);
    assert.equal(conn.paused, false, "resumed at the end");
  });

  it("buffers at most one batch ahead of a reader that stops", { timeout: 10_000 }, async () => {
    const conn = fakeConnection(100_000, 10);
    const s = rowBatchStream({ bytes: 100, rows: 1000 }, conn);
    conn.attach(s);
    const first = await new Promise<unknown[]>((resolve) => s.stream.once("data", resolve));
    s.stream.pause();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(first.length, 10);
    assert.equal(conn.paused, true);
    assert.ok(s.stream.readableLength <= 1, `${s.stream.readableLength} batches buffered`);
    s.stream.destroy();
  });

  it("ends with the driver's error, and ignores rows after it", async () => {
    const s = rowBatchStream({ bytes: 100, rows: 10 }, { pause() {}, resume() {} });
    s.row(["a"], 1);
    const boom = new Error("boom");
    s.fail(boom);
    s.row(["b"], 1000);
    s.end();
    await assert.rejects(async () => {
      for await (const _ of s.stream) {
      }
    }, boom);
  });

  it("resumes a connection it paused when the end comes in the same read", async () => {
    let resumed = 0;
    const s = rowBatchStream(
      { bytes: 1, rows: 10 },
      {
        pause() {},
        resume() {
          resumed += 1;
        },
      },
    );
    // No reader yet: the first full batch fills the buffer and pauses; then the end arrives.
    s.row(["a"], 1);
    s.row(["b"], 1);
    s.end();
    assert.equal(resumed, 1);
    const all: unknown[] = [];
    for await (const batch of s.stream) all.push(...(batch as unknown[]));
    assert.deepEqual(all, [["a"], ["b"]]);
  });
});
