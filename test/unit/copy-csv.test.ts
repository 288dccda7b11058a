import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { createCopyCsvLayout } from "../../lib/formats/csv/copy-csv.js";

async function convert(chunks: string[], header: string[]): Promise<string> {
  const layout = createCopyCsvLayout({ header });
  let out = "";
  await pipeline(
    Readable.from(chunks.map((c) => Buffer.from(c, "utf8"))),
    ...layout.stages,
    async (src) => {
      for await (const c of src) out += (c as Buffer).toString("utf8");
    },
  );
  return out;
}

describe("COPY CSV to this product's CSV", () => {
  // The third record has no quotes: it takes the copy-as-is path.
  const copy = 'a,"x,y",,""\n"say ""hi""","""q",中文,"l1\nl2"\n平,x,,z\n';
  const expected =
    '序号,c1,c2,c3,c4\r\n1,a,"x,y",,\r\n2,"say ""hi""","""q",中文,"l1\nl2"\r\n3,平,x,,z\r\n';

  it("numbers rows, ends lines with CRLF, writes empty strings empty, whatever the chunking", async () => {
    const header = ["序号", "c1", "c2", "c3", "c4"];
    assert.equal(await convert([copy], header), expected);
    const bytes = Buffer.from(copy, "utf8");
    // Every split point, including inside a multi-byte character and inside `""`.
    for (let i = 1; i < bytes.length; i++) {
      const layout = createCopyCsvLayout({ header });
      let out = "";
      await pipeline(
        Readable.from([bytes.subarray(0, i), bytes.subarray(i)]),
        ...layout.stages,
        async (src) => {
          for await (const c of src) out += (c as Buffer).toString("latin1");
        },
      );
      assert.equal(Buffer.from(out, "latin1").toString("utf8"), expected, `split at ${i}`);
    }
  });

  it("pads the shorter of title and columns, and writes the title alone for no rows", async () => {
    assert.equal(await convert(["1,2\n"], ["序号"]), "序号,,\r\n1,1,2\r\n");
    assert.equal(await convert(["1\n"], ["序号", "a", "b"]), "序号,a,b\r\n1,1,\r\n");
    assert.equal(await convert([], ["序号", "a"]), "序号,a\r\n");
    assert.equal(await convert(["1\n"], []), "1,1\r\n");
  });
});

describe("COPY CSV output size", () => {
  it("has room for many short records and a wide title in one chunk", async () => {
    const copy = "1\n".repeat(50_000);
    const header = ["序号", ...Array.from({ length: 30 }, (_, i) => `c${i}`)];
    const out = await convert([copy], header);
    const lines = out.split("\r\n");
    assert.equal(lines.length, 50_002);
    assert.equal(lines[50_000], `50000,1${",".repeat(29)}`);
  });
});
