import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { classifyError } from "../../lib/engines/index.js";
import { describeFailure } from "../../lib/failure/describe.js";
import { isTransient } from "../../lib/failure/policy.js";
import { ResponseTooLarge, ValueTooLarge } from "../../lib/failure/too-large.js";
import { createCopyCsvLayout } from "../../lib/formats/csv/copy-csv.js";
import { MAX_FIRST_RECORD_BYTES } from "../../lib/formats/csv/limits.js";

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
    assert.ok(err instanceof ValueTooLarge, String(err));
    assert.deepEqual([err.row, err.column], [1, 2]);
    assert.ok(fed <= MAX_FIRST_RECORD_BYTES + 2 * chunk.length, `read ${fed} bytes before failing`);
    const msg = describeFailure(err, classifyError(err), "query", {
      timeoutSeconds: 1,
      secrets: [],
      labels: header,
    });
    assert.match(msg, /^Row 1, column 2 \(备注\) makes the row larger than 8 MB/);
    assert.match(msg, /LEFT\(column, 10000\)/);
  });

  it("COPY path: a large value after the first record streams through", async () => {
    const big = "b".repeat(MAX_FIRST_RECORD_BYTES + 10);
    const source = Readable.from([Buffer.from(`1,x\n2,${big}\n`)]);
    const { stages, rowCount } = createCopyCsvLayout({ header });
    await pipeline(source, ...stages, sink());
    assert.equal(rowCount(), 2);
  });

  it("the msg names the row, the column and its label, and what to do", () => {
    const say = (err: Error, labels?: string[]) =>
      describeFailure(err, classifyError(err), "query", { timeoutSeconds: 1, secrets: [], labels });
    const err = new ValueTooLarge(7, 3, 8 * 1024 * 1024);
    assert.equal(
      say(err, ["序号", "编号", "备注", "附件"]),
      "Row 7, column 3 (附件) makes the row larger than 8 MB, the most one exported row may hold. Leave that column out or shorten it in the SQL (for example LEFT(column, 10000) or substr(column, 1, 10000)) and create the task again.",
    );
    // Without a label for the column (no title, or a short one): row and column alone.
    assert.match(say(err, ["序号"]), /^Row 7, column 3 makes the row larger than 8 MB/);
    assert.match(say(err), /^Row 7, column 3 makes/);
    assert.match(
      say(new ResponseTooLarge(8 * 1024 * 1024)),
      /^The database answered with a message larger than 8 MB, .*Fix the SQL/,
    );
    // Neither is worth another attempt: the same data fails the same way.
    for (const e of [err, new ResponseTooLarge(1)])
      assert.equal(isTransient(e, classifyError(e), "query"), false);
  });
});
