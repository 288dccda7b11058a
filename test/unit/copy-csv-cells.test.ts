// The COPY path's formula escaping and long digits against the row path's (layout.ts), the
// reference: the same rows as PostgreSQL's COPY CSV renders them must give the same bytes, for
// every combination of the options, at every chunk split, and over random values built from
// the bytes the rules look at.
import assert from "node:assert/strict";
import { Readable, type Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { createCopyCsvLayout } from "../../lib/formats/csv/copy-csv.js";
import { isLongDigits, isPlainNumber } from "../../lib/formats/csv/excel-bytes.js";
import { createCsvLayout } from "../../lib/formats/csv/layout.js";
import { longDigitsField } from "../../lib/formats/csv/long-digits.js";
import { formulaPrefix } from "../../lib/formats/csv/value-text.js";
import type { Column } from "../../lib/sources/types.js";

/** A value as COPY (FORMAT csv) writes it: NULL bare, "" and anything special quoted. */
function copyField(v: string | null): string {
  if (v === null) return "";
  return v === "" || /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}
const copyCsv = (rows: (string | null)[][]) =>
  rows.map((r) => `${r.map(copyField).join(",")}\n`).join("");

async function collect(stages: Transform[], input: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      out.push(c);
      cb();
    },
  });
  await pipeline([input, ...stages, sink]);
  return Buffer.concat(out);
}

type Options = { escapeFormulas: boolean; longDigitsAsText: boolean; columns: Column[] };

async function viaRows(rows: (string | null)[][], header: string[], o: Options): Promise<string> {
  const layout = createCsvLayout({ header, ...o, columns: Promise.resolve(o.columns) });
  return (await collect(layout.stages, Readable.from([rows], { objectMode: true }))).toString();
}

async function viaCopy(chunks: Buffer[], header: string[], o: Options): Promise<string> {
  const layout = createCopyCsvLayout({ header, ...o, columns: Promise.resolve(o.columns) });
  return (await collect(layout.stages, Readable.from(chunks))).toString();
}

const TEXT: Column = { name: "t", kind: "text" };
const NUMBER: Column = { name: "n", kind: "number" };

const VALUES: (string | null)[] = [
  "=1+1",
  '=HYPERLINK("http://x","y")',
  "@SUM(A1)",
  "+86 571",
  "-12.5",
  "+3",
  "-1e+30",
  "-Infinity",
  "-",
  "+.5",
  "-1,5",
  "\tx",
  "\r\nx",
  "110105194912310021",
  "11010519491231002X",
  "12345678901",
  "0571",
  "0",
  "00",
  "0.5",
  "0571-88888888",
  "1".repeat(64),
  "1".repeat(65),
  "",
  null,
  'say "hi"',
  "中文",
  '"=q',
];

describe("COPY path: formula escaping and long digits as the row path writes them", () => {
  // Labels are escaped as cells are.
  const header = ["序号", "=a", "-b", "@c"];
  const rows = VALUES.map((v, i) => [v, VALUES[(i + 7) % VALUES.length] ?? null, String(i - 3)]);
  const columns = [TEXT, NUMBER, NUMBER];
  for (const escapeFormulas of [false, true])
    for (const longDigitsAsText of [false, true]) {
      const o = { escapeFormulas, longDigitsAsText, columns };
      it(`same bytes with escaping ${escapeFormulas ? "on" : "off"}, long digits ${longDigitsAsText ? "on" : "off"}, at every split`, async () => {
        const want = await viaRows(rows, header, o);
        const copy = Buffer.from(copyCsv(rows), "utf8");
        assert.equal(await viaCopy([copy], header, o), want);
        for (let i = 1; i < copy.length; i++)
          assert.equal(
            await viaCopy([copy.subarray(0, i), copy.subarray(i)], header, o),
            want,
            `split at ${i}`,
          );
      });
    }

  it("applies long digits to text columns only, and to every column without kinds known", async () => {
    const rows = [["110105194912310021", "110105194912310021"]];
    const copy = [Buffer.from(copyCsv(rows))];
    const o = { escapeFormulas: true, longDigitsAsText: true };
    assert.equal(
      await viaCopy(copy, ["#", "a", "b"], { ...o, columns: [TEXT, NUMBER] }),
      '#,a,b\r\n1,"=""110105194912310021""",110105194912310021\r\n',
    );
  });

  it("keeps every byte when a record carried over from one chunk grows, then runs long in the next", async () => {
    // Found by review: room was reserved for the rest of the chunk only where a record starts,
    // so what a carried-over record added (10 long-digit wraps here) ran past the buffer.
    const phones = Array.from({ length: 10 }, (_, i) => `0571888800${i}`);
    const row1 = ["1", ...phones, "b"];
    const row2 = ["2", ...phones, "c".repeat(200_000)];
    const copy = Buffer.from([row1, row2].map((r) => `${r.join(",")}\n`).join(""));
    const cut = Buffer.byteLength(`${row1.join(",")}\n2,`);
    const columns = row1.map((_, i) => (i === 0 ? NUMBER : TEXT));
    const o = { escapeFormulas: true, longDigitsAsText: true, columns };
    const header = ["#", ...row1.map((_, i) => `c${i}`)];
    const want = await viaRows([row1, row2], header, o);
    assert.equal(await viaCopy([copy.subarray(0, cut), copy.subarray(cut)], header, o), want);
    // The same with escaped cells instead of wrapped ones.
    const eq = ["x", ...Array.from({ length: 100 }, () => "=")];
    const big = ["y", ...Array.from({ length: 99 }, () => "="), "a".repeat(200_000)];
    const copy2 = Buffer.from([eq, big].map((r) => `${r.join(",")}\n`).join(""));
    const cut2 = Buffer.byteLength(`${eq.join(",")}\ny,`);
    const o2 = { escapeFormulas: true, longDigitsAsText: false, columns: eq.map(() => TEXT) };
    const header2 = ["#", ...eq.map((_, i) => `c${i}`)];
    assert.equal(
      await viaCopy([copy2.subarray(0, cut2), copy2.subarray(cut2)], header2, o2),
      await viaRows([eq, big], header2, o2),
    );
  });

  it("agrees with the row path over random values of the bytes the rules read", async () => {
    const alphabet = [
      "=",
      "+",
      "-",
      "@",
      "\t",
      "\r",
      "\n",
      "0",
      "1",
      "9",
      ".",
      "e",
      "X",
      ",",
      '"',
      "a",
      "中",
    ];
    let seed = 12345;
    const rnd = (n: number) => {
      // Math.imul: a plain product passes 2^53 and loses the low bits, and the sequence sticks.
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    const value = () => {
      if (rnd(10) === 0) return null;
      const len = rnd(3) === 0 ? 12 + rnd(6) : rnd(6);
      let v = "";
      for (let k = 0; k < len; k++) v += alphabet[rnd(rnd(2) ? 10 : alphabet.length)];
      return v;
    };
    const rows = Array.from({ length: 3000 }, () => [value(), value(), value()]);
    const o = { escapeFormulas: true, longDigitsAsText: true, columns: [TEXT, NUMBER, TEXT] };
    const want = await viaRows(rows, ["#", "a", "b", "c"], o);
    const copy = Buffer.from(copyCsv(rows), "utf8");
    // Chunks of 7 bytes: fields cross chunk boundaries everywhere.
    const chunks: Buffer[] = [];
    for (let i = 0; i < copy.length; i += 7) chunks.push(copy.subarray(i, i + 7));
    assert.equal(await viaCopy(chunks, ["#", "a", "b", "c"], o), want);
  });
});

describe("the byte rules match the string rules", () => {
  it("isPlainNumber and isLongDigits agree with value-text.ts and long-digits.ts", () => {
    for (const v of VALUES) {
      if (v === null) continue;
      const b = Buffer.from(v, "utf8");
      const signed = v.startsWith("+") || v.startsWith("-");
      if (signed)
        assert.equal(formulaPrefix(v) === "", isPlainNumber(b, 0, b.length), JSON.stringify(v));
      assert.equal(
        longDigitsField(v) !== undefined,
        isLongDigits(b, 0, b.length),
        JSON.stringify(v),
      );
    }
  });
});
