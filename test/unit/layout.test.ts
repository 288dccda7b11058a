import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";
import { createCsvLayout } from "../../lib/formats/csv/layout.js";
import { decodeText } from "../../lib/local/decode.js";
import { parseTitle } from "../../lib/tasks/title.js";
import { render } from "./csv-render.js";

const tricky = [
  ["张三", "a,b", 'say "hi"', "line1\nline2", "cr\ronly", null, "", "😀 and 𠀀"],
  ["李四", "  spaces  ", "tab\there", "crlf\r\nend", "=1+1", "-12.5", "0012", "€¥£"],
];

describe("CSV layout", () => {
  it("writes the title header, then row number + values, in order, CRLF-terminated", async () => {
    const { bytes, rows } = await render(
      [
        ["a", "b"],
        ["c", null],
      ],
      ["序号", "甲", "乙"],
      "utf8",
    );
    assert.equal(bytes.toString("utf8"), "序号,甲,乙\r\n1,a,b\r\n2,c,\r\n");
    assert.equal(rows, 2);
  });

  it("round-trips commas, quotes, newlines, CR, NULL and 4-byte characters (RFC 4180)", async () => {
    const header = ["#", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"];
    const { bytes } = await render(tricky, header);
    const parsed = parse(iconv.decode(bytes, "gb18030"), {
      relax_column_count: false,
    }) as string[][];
    assert.deepEqual(parsed[0], header);
    assert.deepEqual(
      parsed.slice(1),
      tricky.map((r, i) => [String(i + 1), ...r.map((v) => v ?? "")]),
    );
  });

  it("quotes a field that holds a bare CR, a bare LF, a comma or a quote, and nothing else", async () => {
    // A parser that reads both line ends the same would round-trip an unquoted bare CR or LF;
    // Excel would split the row there. So the bytes themselves are checked.
    const { bytes } = await render([["a\rb", "c\nd", "e,f", 'g"h', "plain"]], [], "utf8");
    assert.equal(bytes.toString("utf8"), '1,"a\rb","c\nd","e,f","g""h",plain\r\n');
  });

  it("writes only the header for an empty result", async () => {
    const { bytes, rows } = await render([], ["序号", "名称"], "utf8");
    assert.equal(bytes.toString("utf8"), "序号,名称\r\n");
    assert.equal(rows, 0);
  });

  it("parses titles split by ASCII commas, trimmed; full-width commas stay in a label; blank means no header", () => {
    assert.deepEqual(parseTitle("序号, 订单号,金额（元，含税） "), [
      "序号",
      "订单号",
      "金额（元，含税）",
    ]);
    assert.deepEqual(parseTitle("  "), []);
  });

  it("escapes formula cells only when asked, and never plain negative numbers", async () => {
    const rows = [["=SUM(A1)", "+cmd", "@x", "-1.5", "-x", "1e5", "safe"]];
    const plain = parse((await render(rows, [], "utf8")).bytes.toString()) as string[][];
    assert.deepEqual(plain[0]?.slice(1), rows[0]);
    const escaped = parse((await render(rows, [], "utf8", true)).bytes.toString()) as string[][];
    assert.deepEqual(escaped[0]?.slice(1), [
      "'=SUM(A1)",
      "'+cmd",
      "'@x",
      "-1.5",
      "'-x",
      "1e5",
      "safe",
    ]);
  });
});

describe("long cells", () => {
  // Longer than a slice (64 K characters), with quotes, commas, CRLF and surrogate pairs
  // falling on slice boundaries.
  const unit = 'ab"c,\r\n😀';
  const long = unit.repeat(Math.ceil(200_000 / unit.length)).slice(0, 200_001);
  const plain = "x".repeat(65_535) + "😀".repeat(3) + "y".repeat(100_000);
  const rows = [
    ["short", long, "after"],
    [plain, `=cmd|' /C calc'!A0${"z".repeat(70_000)}`, null],
    ["last", "", "x"],
  ];

  it("are written exactly as short ones (quoted, quotes doubled, pairs intact), in pieces", async () => {
    const header = ["#", "a", "b", "c"];
    for (const formulas of [false, true]) {
      const pieces: Buffer[] = [];
      const { stages } = createCsvLayout({ header, escapeFormulas: formulas });
      // Each piece as the layout pushed it: a writable sink takes them one at a time.
      const sink = new Writable({
        write(p: Buffer, _e, done) {
          pieces.push(p);
          done();
        },
      });
      await pipeline(Readable.from([rows]), ...stages, sink);
      const q = (t: string) => (/[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t);
      const f = (t: string) => (formulas && /^[=+\-@\t\r]/.test(t) ? `'${t}` : t);
      const expected = `#,a,b,c\r\n${rows
        .map((r, i) => [String(i + 1), ...r.map((v) => q(f(v ?? "")))].join(","))
        .join("\r\n")}\r\n`;
      // Every piece is whole characters: each decodes on its own.
      const text = pieces.map((p) => p.toString("utf8")).join("");
      assert.ok(text === expected, `same text (formulas ${formulas})`);
      const parsed = parse(text) as string[][];
      assert.deepEqual(parsed[1]?.[2], long);
      // No piece holds a whole long cell: each is a slice (quotes doubled) and what was pending.
      const largest = Math.max(...pieces.map((p) => p.toString("utf8").length));
      assert.ok(largest <= 2 * 64 * 1024, `largest piece ${largest} characters`);
    }
  });
});

describe("output held while the encoder is behind", () => {
  it("is bytes, not a heap tree of a node per value or per quote", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    // Rows of 500 one-character values, rows of a 1,000-quote cell, and one 2 M-quote cell.
    const narrow = Array.from({ length: 2000 }, () => Array<string>(500).fill("x"));
    const quotes = Array.from({ length: 2000 }, () => ['"'.repeat(1000)]);
    const long = [['"'.repeat(2 * 1024 * 1024)]];
    const { stages } = createCsvLayout({ header: [], escapeFormulas: false });
    const held: Buffer[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    // The reader keeps every piece, as a stream buffer does while the encoder is behind.
    await pipeline(Readable.from([narrow, quotes, long]), ...stages, async (src) => {
      for await (const p of src) held.push(p as Buffer);
    });
    gc();
    const grew = process.memoryUsage().heapUsed - before;
    const bytes = held.reduce((n, p) => n + p.length, 0);
    assert.ok(bytes > 10_000_000, `${bytes} bytes out`);
    // Held as strings (a node per value, or per quote after a replace), it took over 8 bytes
    // of heap per byte of output; as bytes, well under one.
    assert.ok(grew < bytes, `heap grew ${grew} bytes for ${bytes} bytes of output`);
  });
});

describe("title width", () => {
  it("pads the shorter side so every line has as many fields, and reports the mismatch", async () => {
    const seen: [number, number][] = [];
    const few = createCsvLayout({
      header: ["序号", "a"],
      escapeFormulas: false,
      onWidthMismatch: (l, c) => seen.push([l, c]),
    });
    const many = createCsvLayout({
      header: ["序号", "a", "b", "c"],
      escapeFormulas: false,
      onWidthMismatch: (l, c) => seen.push([l, c]),
    });
    const collect = async (layout: ReturnType<typeof createCsvLayout>) => {
      let text = "";
      await pipeline(Readable.from([[["1", "2"]], [["3", "4"]]]), ...layout.stages, async (src) => {
        for await (const chunk of src) text += chunk;
      });
      return text;
    };
    assert.equal(await collect(few), "序号,a,\r\n1,1,2\r\n2,3,4\r\n");
    assert.equal(await collect(many), "序号,a,b,c\r\n1,1,2,\r\n2,3,4,\r\n");
    assert.deepEqual(seen, [
      [2, 2],
      [4, 2],
    ]);
  });

  it("writes the header alone for an empty result", async () => {
    assert.equal(decodeText((await render([], ["序号", "a"])).bytes, "gb18030"), "序号,a\r\n");
  });
});
