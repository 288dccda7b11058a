import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { createZipStage, type ZipStageOptions } from "../../lib/formats/container/zip-stage.js";
import type { OutputChunk } from "../../lib/formats/entries.js";
import { readZip } from "./zip-read.js";

async function zipOf(chunks: OutputChunk[], o: Partial<ZipStageOptions> = {}): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks, { objectMode: true }),
    createZipStage({ entryName: "export.csv", level: 1, ...o }),
    new Writable({
      write(c: Buffer, _e, done) {
        out.push(c);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

const text = (e: { data: Buffer }) => e.data.toString("utf8");

describe("ZIP stage", () => {
  it("without markers writes one entry named after the file, read back whole by Python's zipfile", async () => {
    const body = "序号,订单\r\n1,😀 ORD-1\r\n".repeat(5000);
    const zip = await zipOf([body.slice(0, 1000), Buffer.from(body.slice(1000), "utf8")]);
    const { entries } = readZip(zip);
    assert.deepEqual(
      entries.map((e) => e.name),
      ["export.csv"],
    );
    assert.equal(text(entries[0] as { data: Buffer }), body);
    // Deflated, and its CRC and sizes come after the data: nothing was known in advance.
    assert.equal(entries[0]?.method, 8);
    assert.equal(entries[0]?.dataDescriptor, true);
    assert.ok(zip.length < Buffer.byteLength(body) / 5, `compressed to ${zip.length} bytes`);
  });

  it("starts a new entry at each marker; bytes before the first marker go to the file's entry", async () => {
    const zip = await zipOf([
      "head",
      { entry: "part-1.csv" },
      "a,b\r\n",
      Buffer.from("1,2\r\n"),
      { entry: "dir/part-2.csv" },
      "a,b\r\n3,4\r\n",
      { entry: "empty.txt" },
    ]);
    const { entries } = readZip(zip);
    assert.deepEqual(
      entries.map((e) => [e.name, text(e)]),
      [
        ["export.csv", "head"],
        ["part-1.csv", "a,b\r\n1,2\r\n"],
        ["dir/part-2.csv", "a,b\r\n3,4\r\n"],
        ["empty.txt", ""],
      ],
    );
  });

  it("writes one empty entry for no output at all", async () => {
    const { entries } = readZip(await zipOf([]));
    assert.deepEqual(
      entries.map((e) => [e.name, e.size]),
      [["export.csv", 0]],
    );
  });

  it("takes the deflate level: 0 stores, 1 deflates", async () => {
    const body = "x".repeat(100_000);
    const [stored] = readZip(await zipOf([body], { level: 0 })).entries;
    const [deflated] = readZip(await zipOf([body], { level: 1 })).entries;
    assert.deepEqual([stored?.method, stored?.compressedSize], [0, 100_000]);
    assert.equal(deflated?.method, 8);
    assert.ok((deflated?.compressedSize ?? Infinity) < 1000);
    assert.equal(text(deflated as { data: Buffer }), body);
  });

  it("fails on a second entry of the same name", async () => {
    await assert.rejects(
      zipOf([{ entry: "a.csv" }, "1", { entry: "a.csv" }, "2"]),
      /already has an entry named a\.csv/,
    );
  });

  it("writes ZIP64 records when asked (as it does past 4 GB), and Python reads them", async () => {
    const plain = readZip(await zipOf([{ entry: "a.csv" }, "1,2\r\n", { entry: "b.csv" }, "3"]));
    assert.equal(plain.zip64End, false);
    assert.ok(plain.entries.every((e) => !e.zip64Extra));
    const forced = readZip(
      await zipOf([{ entry: "a.csv" }, "1,2\r\n", { entry: "b.csv" }, "3"], { forceZip64: true }),
    );
    assert.equal(forced.zip64End, true);
    assert.ok(forced.entries.every((e) => e.zip64Extra));
    assert.deepEqual(
      forced.entries.map((e) => [e.name, text(e)]),
      [
        ["a.csv", "1,2\r\n"],
        ["b.csv", "3"],
      ],
    );
  });

  it("pauses its source while the next stage takes nothing, then finishes the archive", async () => {
    const MB = 1024 * 1024;
    const block = randomBytes(MB); // incompressible: what goes in comes out at about its size
    const total = 32;
    let produced = 0;
    const source = new Readable({
      objectMode: true,
      highWaterMark: 1,
      read() {
        if (produced === total) this.push(null);
        else {
          produced += 1;
          this.push(block);
        }
      },
    });
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let received = 0;
    const sink = new Writable({
      highWaterMark: 1,
      write(c: Buffer, _e, done) {
        received += c.length;
        // Takes the first chunk, then nothing until released: a stalled upload.
        released.then(() => done());
      },
    });
    const piped = pipeline(source, createZipStage({ entryName: "random.bin", level: 1 }), sink);
    // Wait until the source stops being read (or give up after 20 s).
    let last = -1;
    for (let waited = 0; waited < 20_000 && produced !== last; waited += 300) {
      last = produced;
      await new Promise((r) => setTimeout(r, 300));
    }
    const heldMb = produced;
    release();
    await piped;
    assert.ok(heldMb <= 8, `the source was read ${heldMb} MB ahead of a stalled sink`);
    assert.equal(produced, total);
    assert.ok(received > total * MB, `received ${received} bytes`);
  });

  it("fails the pipeline, without hanging, when the next stage fails", async () => {
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i++) yield randomBytes(64 * 1024);
      })(),
    );
    const sink = new Writable({
      write(_c, _e, done) {
        done(new Error("upload failed"));
      },
    });
    await assert.rejects(
      pipeline(source, createZipStage({ entryName: "x.bin", level: 1 }), sink),
      /upload failed/,
    );
  });
});
