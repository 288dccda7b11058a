import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { classifyError } from "../../lib/engines/index.js";
import { describeFailure } from "../../lib/failure/describe.js";
import { createCopyCsvLayout } from "../../lib/formats/csv/copy-csv.js";
import { createCsvLayout } from "../../lib/formats/csv/layout.js";
import { MAX_CELL_CHARS, MAX_FIRST_RECORD_BYTES } from "../../lib/formats/csv/limits.js";

const header = ["序号", "编号", "备注"];
const sink = () => new Writable({ objectMode: true, write: (_c, _e, cb) => cb() });

describe("bounded memory for one row", () => {
  it("COPY path: a first record past the limit fails naming row 1 and its column, having held no more than the limit", async () => {
    let fed = 0;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    // 1,"aaaa... (a quoted field that never ends)
    const source = Readable.from(
      (function* () {
        yield Buffer.from('1,"');
        for (let i = 0; i < 64; i++) {
          fed += chunk.length;
          yield chunk;
        }
      })(),
    );
    const { stages } = createCopyCsvLayout({ header });
    const err = await pipeline(source, ...stages, sink()).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err, "failed");
    assert.equal(err.name, "ValueTooLarge");
    assert.ok(fed <= MAX_FIRST_RECORD_BYTES + 2 * chunk.length, `read ${fed} bytes before failing`);
    const msg = describeFailure(err, classifyError(err), "query", {
      timeoutSeconds: 1,
      secrets: [],
    });
    assert.match(msg, /^Row 1, column 2 \(备注\) holds more than 16 MB/);
    assert.match(msg, /LEFT\(column, 10000\)/);
  });

  it("COPY path: a large value after the first record streams through", async () => {
    const big = "b".repeat(MAX_FIRST_RECORD_BYTES + 10);
    const source = Readable.from([Buffer.from(`1,x\n2,${big}\n`)]);
    const { stages, rowCount } = createCopyCsvLayout({ header });
    await pipeline(source, ...stages, sink());
    assert.equal(rowCount(), 2);
  });

  it("row path: a cell past the limit fails naming its row and column", async () => {
    const rows = [
      ["1", "ok"],
      ["2", "x".repeat(MAX_CELL_CHARS + 1)],
    ];
    const { stages } = createCsvLayout({ header, escapeFormulas: false });
    const err = await pipeline(Readable.from(rows), ...stages, sink()).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.equal(err?.name, "ValueTooLarge");
    assert.match(err?.message ?? "", /^Row 2, column 2 \(备注\) holds more than 16 M characters/);
  });
});
