// One format writer over generated rows, as its own process (bundled by bench/formats.ts and
// run with plain node and the deployed NODE_OPTIONS): no database and no upload, so it
// measures the writer. Prints its figures as JSON.
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { inContainer } from "../lib/formats/container/containers.js";
import { csvFormat } from "../lib/formats/csv/format.js";
import type { OutputFormat } from "../lib/formats/format.js";
import { xlsxFormat } from "../lib/formats/xlsx/format.js";
import type { Column } from "../lib/sources/types.js";

const [writerName = "csv", rowsArg = "200000", levelArg = "1"] = process.argv.slice(2);
const rows = Number(rowsArg);
const level = Number(levelArg);

const WRITERS: Record<string, OutputFormat> = {
  csv: csvFormat,
  "csv.gz": inContainer(csvFormat, "gzip", level),
  zip: inContainer(csvFormat, "zip", level),
  xlsx: xlsxFormat,
};
// "source": the batches straight into the sink, what feeding them costs. A name ending in
// "-copy" (csv-copy, xlsx-copy): that writer fed PostgreSQL's COPY CSV of the same rows.
const copy = writerName.endsWith("-copy");
const baseName = copy ? writerName.slice(0, -"-copy".length) : writerName;
const format = baseName === "source" ? undefined : WRITERS[baseName];
if (!format && baseName !== "source") throw new Error(`unknown writer ${writerName}`);

// The shape of bench/data.ts's orders, as the databases' text: id, order_no, customer, city,
// amount, created_at, note (NULL every 11th row).
const NAMES = ["张三", "李四", "王五", "赵六", "孙七", "周八", "吴九", "郑十"];
const CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉"];
const NOTES = ["加急", "门店自提, 周末送达", '备注 "VIP"', "", "普通订单", "ok"];
const COLUMNS: Column[] = [
  { name: "id", kind: "number" },
  { name: "order_no", kind: "text" },
  { name: "customer", kind: "text" },
  { name: "city", kind: "text" },
  { name: "amount", kind: "number" },
  { name: "created_at", kind: "timestamp" },
  { name: "note", kind: "text" },
];
const START = Date.UTC(2024, 0, 1);
const pad = (n: number) => String(n).padStart(2, "0");
function row(g: number): (string | null)[] {
  const t = new Date(START + g * 13_000);
  const at = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
  return [
    String(g),
    `ORD-${String(g).padStart(9, "0")}`,
    NAMES[g % 8] as string,
    CITIES[g % 7] as string,
    (((g * 7919) % 1_000_000) / 100).toFixed(2),
    at,
    g % 11 === 0 ? null : (NOTES[g % 6] as string),
  ];
}

// Batches as the sources hand them over (2,000 rows), from a pool made before the clock
// starts and cycled, so the time is the writer's and memory grows only with what it holds.
const BATCH = 2000;
const POOL = Array.from({ length: 20 }, (_, b) =>
  Array.from({ length: BATCH }, (_, i) => row(b * BATCH + i + 1)),
);
function* batches(): Generator<(string | null)[][]> {
  for (let at = 0, b = 0; at < rows; at += BATCH, b++) {
    const batch = POOL[b % POOL.length] as (string | null)[][];
    yield rows - at >= BATCH ? batch : batch.slice(0, rows - at);
  }
}

/** A batch as COPY (FORMAT csv) writes it: NULL empty, quoted when empty or holding , " LF CR. */
const copyField = (v: string | null) =>
  v === null ? "" : v === "" || /[,"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
const copyCsv = (batch: (string | null)[][]) =>
  Buffer.from(batch.map((r) => `${r.map(copyField).join(",")}\n`).join(""), "utf8");
// Cut in 64 KB pieces wherever they fall, as the socket hands COPY's bytes on.
const PIECE = 64 * 1024;
function* copyChunks(): Generator<Buffer> {
  const pool = POOL.map(copyCsv);
  let b = 0;
  for (const batch of batches()) {
    const bytes = batch.length === BATCH ? (pool[b++ % pool.length] as Buffer) : copyCsv(batch);
    for (let at = 0; at < bytes.length; at += PIECE) yield bytes.subarray(at, at + PIECE);
  }
}

const writer = (format ?? csvFormat).createWriter({
  header: ["序号", "编号", "订单号", "客户", "城市", "金额", "下单时间", "备注"],
  settings: { encoding: "gb18030", escapeFormulas: false },
  input: copy ? "rfc4180-csv" : "rows",
  columns: Promise.resolve(COLUMNS),
  entryName: "orders.csv",
});
let bytes = 0;
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
let fed = 0;
await pipeline([
  Readable.from(copy ? copyChunks() : batches()),
  ...(format ? writer.stages : []),
  new Writable({
    objectMode: !format,
    write(chunk: Buffer | unknown[][], _enc, done) {
      if (format) bytes += (chunk as Buffer).length;
      else if (copy) bytes += (chunk as Buffer).length;
      else fed += (chunk as unknown[][]).length;
      done();
    },
  }),
]);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
// User + system time of every thread (zlib deflates on the thread pool): steadier than wall
// time on a shared machine.
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const written = format ? writer.rowCount() : copy ? rows : fed;
process.stdout.write(
  `${JSON.stringify({ rows: written, bytes, seconds, cpuSeconds, peakRssMb })}\n`,
);
