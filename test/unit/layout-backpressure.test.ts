import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { createCsvLayout } from "../../lib/formats/csv/layout.js";

describe("CSV layout behind a slower stage", () => {
  it("holds about one chunk of text while the next stage takes nothing, then goes on", async () => {
    let batches = 0;
    const source = new Readable({
      objectMode: true,
      highWaterMark: 1,
      read() {
        if (batches === 200) {
          this.push(null);
          return;
        }
        batches += 1;
        // About 32 K characters a batch: half a chunk.
        this.push(Array.from({ length: 1000 }, (_, i) => ["订单号 ORD-000000001", String(i)]));
      },
    });
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let chunks = 0;
    const layout = createCsvLayout({ header: ["序号", "订单", "金额"], escapeFormulas: false });
    const piped = pipeline(
      source,
      ...layout.stages,
      new Writable({
        objectMode: true,
        highWaterMark: 1,
        write(_c: string, _e, done) {
          chunks += 1;
          released.then(() => done());
        },
      }),
    );
    let last = -1;
    for (let waited = 0; waited < 10_000 && batches !== last; waited += 200) {
      last = batches;
      await new Promise((r) => setTimeout(r, 200));
    }
    const held = batches;
    release();
    await piped;
    // The sink holds one chunk, the layout one more and the one it is filling, the source one
    // batch: about 8 batches. Sixteen waiting chunks would be over 30.
    assert.ok(held <= 10, `${held} batches read ahead of a stalled stage`);
    assert.equal(layout.rowCount(), 200_000);
    assert.ok(chunks > 0);
  });
});
