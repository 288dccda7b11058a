// npm run bench:zip-limits [-- --gb 4.5 --skip-entries --skip-xlsx --stored]
// What the unit tests cannot afford, each checked with Python's zipfile (and `unzip -t` where
// installed): one ZIP entry past 4 GB (ZIP64 sizes and data descriptor), optionally an
// archive past 4 GB (stored, so the offsets pass 4 GB too), 65,536 entries (ZIP64 end of
// central directory), and an XLSX of 1,048,576 rows at the real sheet size (two sheets).
// Writes its files under .bench/ and removes them. Prints what it found and peak RSS.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, rmSync, statSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createZipStage } from "../lib/formats/container/zip-stage.js";
import { xlsxFormat } from "../lib/formats/xlsx/format.js";

const { values: args } = parseArgs({
  options: {
    gb: { type: "string", default: "4.5" },
    stored: { type: "boolean", default: false },
    "skip-entry": { type: "boolean", default: false },
    "skip-entries": { type: "boolean", default: false },
    "skip-xlsx": { type: "boolean", default: false },
  },
});
const log = (s: string) => process.stderr.write(`[bench:zip-limits] ${s}\n`);
const dir = ".bench/zip-limits";
mkdirSync(dir, { recursive: true });
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
let failed = false;

/** Python's view of an archive: entries, sizes, ZIP64 records, CRCs checked. */
function inspect(path: string, withTest: boolean): Record<string, unknown> {
  const script = `
import json, struct, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    infos = z.infolist()
    bad = z.testzip() if sys.argv[2] == "1" else None
    first = infos[0]
    ids, extra = [], first.extra
    while len(extra) >= 4:
        hid, ln = struct.unpack("<HH", extra[:4]); ids.append(hid); extra = extra[4 + ln:]
with open(sys.argv[1], "rb") as f:
    f.seek(0, 2); size = f.tell(); f.seek(max(0, size - 200)); tail = f.read()
print(json.dumps({"entries": len(infos), "first": first.filename, "firstSize": first.file_size,
  "firstZip64Extra": 1 in ids, "zip64End": b"PK\\x06\\x06" in tail, "crcErrors": bad, "archiveBytes": size}))
`;
  const r = spawnSync("python3", ["-c", script, path, withTest ? "1" : "0"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python3: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function unzipTest(path: string): string {
  const r = spawnSync("unzip", ["-tqq", path], { encoding: "utf8" });
  if (r.error) return "unzip not installed";
  return r.status === 0
    ? "unzip -t: no errors"
    : `unzip -t failed (${r.status}): ${r.stdout}${r.stderr}`;
}

function check(what: string, ok: boolean, detail: unknown) {
  if (!ok) failed = true;
  log(`${ok ? "ok  " : "FAIL"} ${what}: ${JSON.stringify(detail)}`);
}

if (!args["skip-entry"]) {
  // CSV-like text that deflate cannot fold across blocks: random digits in a fixed frame.
  const bytes = Math.round(Number(args.gb) * 1024 ** 3);
  const block = Buffer.from(
    Array.from(
      { length: 16_384 },
      (_, i) =>
        `${i},ORD-${randomBytes(6).toString("hex")},张三,北京,${(i * 7919) % 100000}.25\r\n`,
    ).join(""),
  );
  let written = 0;
  const source = Readable.from(
    (function* () {
      while (written < bytes) {
        const n = Math.min(block.length, bytes - written);
        written += n;
        yield n === block.length ? block : block.subarray(0, n);
      }
    })(),
  );
  const level = args.stored ? 0 : 1;
  const path = `${dir}/big.zip`;
  const t0 = Date.now();
  await pipeline(source, createZipStage({ entryName: "big.csv", level }), createWriteStream(path));
  log(
    `${(bytes / 1024 ** 3).toFixed(2)} GB entry (level ${level}) written in ${((Date.now() - t0) / 1000).toFixed(0)} s, archive ${(statSync(path).size / 1024 ** 3).toFixed(2)} GB, peak RSS ${rssMb()} MB`,
  );
  const t1 = Date.now();
  const seen = inspect(path, true);
  log(`Python read and checked every byte in ${((Date.now() - t1) / 1000).toFixed(0)} s`);
  // The archive's own ZIP64 end record is needed only once the archive passes 4 GB (stored).
  const bigArchive = (seen.archiveBytes as number) >= 0xffffffff;
  check(
    "entry past 4 GB",
    seen.firstSize === bytes &&
      seen.firstZip64Extra === true &&
      seen.zip64End === bigArchive &&
      seen.crcErrors === null,
    seen,
  );
  log(unzipTest(path));
  rmSync(path);
}

if (!args["skip-entries"]) {
  const path = `${dir}/many.zip`;
  const t0 = Date.now();
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < 65_536; i++) {
          yield { entry: `part-${i + 1}.csv` };
          yield `${i}\r\n`;
        }
      })(),
      { objectMode: true },
    ),
    createZipStage({ entryName: "unused.csv", level: 0 }),
    createWriteStream(path),
  );
  log(
    `65,536 entries written in ${((Date.now() - t0) / 1000).toFixed(0)} s, peak RSS ${rssMb()} MB`,
  );
  const seen = inspect(path, true);
  check(
    "65,536 entries",
    seen.entries === 65_536 && seen.zip64End === true && seen.crcErrors === null,
    seen,
  );
  log(unzipTest(path));
  rmSync(path);
}

if (!args["skip-xlsx"]) {
  const rows = 1_048_576;
  const writer = xlsxFormat.createWriter({
    header: ["序号", "编号", "客户"],
    settings: { encoding: "gb18030", escapeFormulas: false },
    input: "rows",
    columns: Promise.resolve([
      { name: "编号", kind: "number" },
      { name: "客户", kind: "text" },
    ]),
  });
  const path = `${dir}/rows.xlsx`;
  const t0 = Date.now();
  await pipeline([
    Readable.from(
      (function* () {
        for (let at = 0; at < rows; at += 2000)
          yield Array.from({ length: Math.min(2000, rows - at) }, (_, i) => [
            String(at + i + 1),
            "张三",
          ]);
      })(),
    ),
    ...writer.stages,
    createWriteStream(path),
  ]);
  log(`${rows} rows as XLSX in ${((Date.now() - t0) / 1000).toFixed(0)} s, peak RSS ${rssMb()} MB`);
  const script = `
import json, sys, zipfile
import xml.etree.ElementTree as ET
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
out = []
with zipfile.ZipFile(sys.argv[1]) as z:
    names = [s.get("name") for s in ET.fromstring(z.read("xl/workbook.xml")).iter(M + "sheet")]
    for n in range(1, len(names) + 1):
        count, first, last = 0, None, None
        with z.open("xl/worksheets/sheet%d.xml" % n) as f:
            for ev, el in ET.iterparse(f):
                if el.tag == M + "row":
                    count += 1
                    if count == 2:
                        first = el.find(M + "c").find(M + "v").text
                    last = el.get("r"), (el.find(M + "c").find(M + "v").text if count > 1 else None)
                    el.clear()
        out.append({"sheet": names[n - 1], "rows": count, "firstNumber": first, "last": last})
print(json.dumps(out))
`;
  const r = spawnSync("python3", ["-c", script, path], { encoding: "utf8" });
  const sheets = JSON.parse(r.stdout || "null") as unknown;
  check(
    "1,048,576 rows: a full first sheet (title + 1,048,575), the last row on the second",
    JSON.stringify(sheets) ===
      JSON.stringify([
        { sheet: "Sheet1", rows: 1_048_576, firstNumber: "1", last: ["1048576", "1048575"] },
        { sheet: "Sheet2", rows: 2, firstNumber: "1048576", last: ["2", "1048576"] },
      ]),
    sheets ?? r.stderr,
  );
  rmSync(path);
}

rmSync(dir, { recursive: true, force: true });
process.exitCode = failed ? 1 : 0;
