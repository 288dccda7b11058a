import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import iconv from "iconv-lite";
import { CONTAINERS, inContainer } from "../../lib/formats/container/containers.js";
import { createSingleStream } from "../../lib/formats/container/single-stream.js";
import { csvFormat } from "../../lib/formats/csv/format.js";
import { createEncoder } from "../../lib/formats/encoding/encoder.js";
import type { OutputChunk } from "../../lib/formats/entries.js";
import type { OutputFormat, WriterOptions } from "../../lib/formats/format.js";
import { FORMAT_EXTENSIONS } from "../../lib/formats/index.js";
import { render } from "./csv-render.js";
import { readZip } from "./zip-read.js";

const settings = { encoding: "gb18030" as const, escapeFormulas: false };
const HEADER = ["序号", "客户", "备注"];
const ROWS = Array.from({ length: 3000 }, (_, i) => [
  `张三${i}`,
  i % 7 === 0 ? null : '备注 "VIP", 😀',
]);

async function bytesOf(
  format: OutputFormat,
  rows: unknown[][],
  o: Partial<WriterOptions> = {},
): Promise<Buffer> {
  const writer = format.createWriter({ header: HEADER, settings, input: "rows", ...o });
  const out: Buffer[] = [];
  await pipeline([
    Readable.from([rows.slice(0, 1000), rows.slice(1000)]),
    ...writer.stages,
    new Writable({
      write(c: Buffer, _e, done) {
        out.push(c);
        done();
      },
    }),
  ]);
  assert.equal(writer.rowCount(), rows.length);
  return Buffer.concat(out);
}

async function through(
  stages: NodeJS.ReadWriteStream[],
  chunks: OutputChunk[],
): Promise<unknown[]> {
  const out: unknown[] = [];
  await pipeline([
    Readable.from(chunks, { objectMode: true }),
    ...(stages as never[]),
    new Writable({
      objectMode: true,
      write(c: unknown, _e, done) {
        out.push(c);
        done();
      },
    }),
  ]);
  return out;
}

describe("containers", () => {
  it("none is the format itself: its extension, content type and bytes", async () => {
    assert.equal(inContainer(csvFormat, "none"), csvFormat);
    assert.equal(CONTAINERS.none.extension("csv"), "csv");
    assert.equal(
      CONTAINERS.none.contentType("text/csv; charset=GB18030"),
      "text/csv; charset=GB18030",
    );
  });

  it("gzip: .csv.gz, application/gzip, the CSV's exact bytes inside, read back by Python's gzip", async () => {
    const gz = inContainer(csvFormat, "gzip");
    assert.equal(gz.extension, "csv.gz");
    assert.equal(gz.contentType(settings), "application/gzip");
    assert.equal(
      gz.serverRendering(settings),
      "rfc4180-csv",
      "the database may still render the CSV",
    );
    const plain = (await render(ROWS, HEADER)).bytes;
    const packed = await bytesOf(gz, ROWS);
    assert.ok(packed.length < plain.length / 3, `${packed.length} of ${plain.length} bytes`);
    const py = spawnSync(
      "python3",
      ["-c", "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))"],
      {
        input: packed,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    assert.equal(py.status, 0, String(py.stderr));
    assert.ok(Buffer.compare(py.stdout, plain) === 0, "Python's gunzip gives the plain CSV");
    assert.ok(Buffer.compare(gunzipSync(packed), plain) === 0);
  });

  it("zip: .zip, application/zip, one entry named after the file holding the CSV's exact bytes", async () => {
    const zip = inContainer(csvFormat, "zip");
    assert.equal(zip.extension, "zip");
    assert.equal(zip.contentType(settings), "application/zip");
    const plain = (await render(ROWS, HEADER)).bytes;
    const archive = readZip(await bytesOf(zip, ROWS, { entryName: "订单导出.csv" }));
    assert.deepEqual(
      archive.entries.map((e) => e.name),
      ["订单导出.csv"],
    );
    assert.ok(Buffer.compare(archive.entries[0]?.data ?? Buffer.alloc(0), plain) === 0);
    assert.equal(
      iconv.decode(archive.entries[0]?.data ?? Buffer.alloc(0), "gb18030").split("\r\n")[0],
      "序号,客户,备注",
    );
    // Without a name, export.<the format's extension>.
    assert.deepEqual(
      readZip(await bytesOf(zip, ROWS.slice(0, 2))).entries.map((e) => e.name),
      ["export.csv"],
    );
  });

  it("tells the format's writer whether it may split into entries", () => {
    const seen: (boolean | undefined)[] = [];
    const spy: OutputFormat = {
      ...csvFormat,
      createWriter(o) {
        seen.push(o.multipleEntries);
        return csvFormat.createWriter(o);
      },
    };
    inContainer(spy, "zip").createWriter({ header: [], settings, input: "rows" });
    inContainer(spy, "gzip").createWriter({ header: [], settings, input: "rows" });
    assert.deepEqual(seen, [true, false]);
  });

  it("a single-stream container drops a marker before the first byte and fails at one after it", async () => {
    const ok = await through(
      [createSingleStream()],
      [{ entry: "orders.csv" }, "a,b\r\n", Buffer.from("1,2\r\n")],
    );
    assert.equal(Buffer.concat(ok as Buffer[]).toString(), "a,b\r\n1,2\r\n");
    await assert.rejects(
      through([createSingleStream()], ["a,b\r\n", { entry: "part-2.csv" }, "3,4\r\n"]),
      /second file \(part-2\.csv\), which this container cannot hold/,
    );
  });

  it("lists every format's extension in every container for the upload sweep", () => {
    for (const ext of ["csv", "csv.gz", "zip", "xlsx"])
      assert.ok(FORMAT_EXTENSIONS.includes(ext), ext);
  });
});

describe("text encoder with entries", () => {
  it("passes markers through in order, each part's text encoded whole", async () => {
    // A character split across chunks at a marker would be a bug upstream: the encoder still
    // ends the entry's text before the marker.
    const out = await through(
      [createEncoder("gb18030", { entries: true })],
      [{ entry: "part-1.csv" }, "中\ud83d", { entry: "part-2.csv" }, "\ude00文"],
    );
    assert.deepEqual(out[0], { entry: "part-1.csv" });
    const markerAt = out.findIndex((c, i) => i > 0 && !Buffer.isBuffer(c));
    assert.deepEqual(out[markerAt], { entry: "part-2.csv" });
    const first = iconv.decode(Buffer.concat(out.slice(1, markerAt) as Buffer[]), "gb18030");
    const second = iconv.decode(Buffer.concat(out.slice(markerAt + 1) as Buffer[]), "gb18030");
    assert.ok(first.startsWith("中") && !first.includes("文"), first);
    assert.ok(second.endsWith("文") && !second.includes("中"), second);
  });

  it("starts each entry of a UTF-8 with BOM export with its own BOM, even an empty one", async () => {
    const out = await through(
      [createEncoder("utf8-bom", { entries: true })],
      [{ entry: "a.csv" }, "x", { entry: "b.csv" }, { entry: "c.csv" }, "y"],
    );
    const shown = out.map((c) => (Buffer.isBuffer(c) ? c.toString("hex") : c));
    assert.deepEqual(shown, [
      { entry: "a.csv" },
      "efbbbf78",
      { entry: "b.csv" },
      "efbbbf",
      { entry: "c.csv" },
      "efbbbf79",
    ]);
  });

  it("split CSV parts go into a ZIP as separate entries", async () => {
    const stages = [
      createEncoder("gb18030", { entries: true }),
      ...CONTAINERS.zip.createStages({ entryName: "x.csv", level: 1 }),
    ];
    const out = await through(stages, [
      { entry: "part-1.csv" },
      "序号,名\r\n1,甲\r\n",
      { entry: "part-2.csv" },
      "序号,名\r\n2,乙\r\n",
    ]);
    const archive = readZip(Buffer.concat(out as Buffer[]));
    assert.deepEqual(
      archive.entries.map((e) => [e.name, iconv.decode(e.data, "gb18030")]),
      [
        ["part-1.csv", "序号,名\r\n1,甲\r\n"],
        ["part-2.csv", "序号,名\r\n2,乙\r\n"],
      ],
    );
  });
});
