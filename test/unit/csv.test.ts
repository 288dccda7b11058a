import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";
import type { CsvEncoding } from "../../lib/config.js";
import { contentTypeFor, createEncoder, decodeCsv } from "../../lib/csv/encoding.js";
import { encodeGb18030, encodeGb18030FromUtf8 } from "../../lib/csv/gb18030.js";
import { createCsvLayout, parseTitle } from "../../lib/csv/layout.js";
import { escapeFormula, valueText } from "../../lib/csv/value-text.js";

async function render(
  rows: unknown[][],
  header: string[],
  encoding: CsvEncoding = "gb18030",
  escapeFormulas = false,
) {
  const layout = createCsvLayout({ header, escapeFormulas });
  const chunks: Buffer[] = [];
  await pipeline(Readable.from(rows), ...layout.stages, createEncoder(encoding), async (source) => {
    for await (const c of source) chunks.push(c as Buffer);
  });
  return { bytes: Buffer.concat(chunks), rows: layout.rowCount() };
}

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
      await pipeline(
        Readable.from([
          ["1", "2"],
          ["3", "4"],
        ]),
        ...layout.stages,
        async (src) => {
          for await (const chunk of src) text += chunk;
        },
      );
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
    assert.equal(decodeCsv((await render([], ["序号", "a"])).bytes, "gb18030"), "序号,a\r\n");
  });
});

describe("value text", () => {
  it("never prints epoch milliseconds or [object Object]", () => {
    assert.equal(valueText(new Date(2024, 0, 1, 0, 0, 1)), "2024-01-01 00:00:01");
    assert.equal(valueText(null), "");
    assert.equal(valueText(undefined), "");
    assert.equal(valueText(12345678901234567890n), "12345678901234567890");
    assert.equal(valueText(true), "true");
    assert.equal(valueText({ a: 1 }), '{"a":1}');
    assert.equal(valueText(Buffer.from([0xde, 0xad])), "\\xdead");
  });

  it("escapeFormula leaves ordinary text alone", () => {
    assert.equal(escapeFormula("订单"), "订单");
    assert.equal(escapeFormula("+86 138"), "'+86 138");
    assert.equal(escapeFormula("+5"), "+5");
  });
});

describe("encodings", () => {
  it("GB18030 encodes characters outside the BMP as four bytes and decodes them back", async () => {
    const { bytes } = await render([["😀𠀀"]], [], "gb18030");
    // "1," + two 4-byte sequences + "\r\n"
    assert.equal(bytes.length, 2 + 8 + 2);
    assert.equal(decodeCsv(bytes, "gb18030"), "1,😀𠀀\r\n");
    assert.equal(
      iconv.encode("中", "gb18030").toString("hex"),
      "d6d0",
      "common Chinese stays two bytes, GBK-compatible",
    );
  });

  it("UTF-8 with BOM starts with EF BB BF, even when empty; plain UTF-8 has none", async () => {
    const withBom = await render([["中"]], ["#", "h"], "utf8-bom");
    assert.equal(withBom.bytes.subarray(0, 3).toString("hex"), "efbbbf");
    assert.equal(decodeCsv(withBom.bytes, "utf8-bom"), "#,h\r\n1,中\r\n");
    assert.equal((await render([], [], "utf8-bom")).bytes.toString("hex"), "efbbbf");
    assert.notEqual((await render([["中"]], ["h"], "utf8")).bytes[0], 0xef);
  });

  it("names the charset in the content type", () => {
    assert.equal(contentTypeFor("gb18030"), "text/csv; charset=GB18030");
    assert.equal(contentTypeFor("utf8-bom"), "text/csv; charset=utf-8");
  });
});

describe("fast GB18030 encoder", () => {
  it("writes exactly iconv-lite's bytes for every BMP character and across the astral planes", () => {
    const bmp: string[] = [];
    for (let u = 0; u < 0x10000; u++)
      if (u < 0xd800 || u > 0xdfff) bmp.push(String.fromCharCode(u));
    const text = bmp.join("");
    assert.ok(encodeGb18030(text).bytes.equals(iconv.encode(text, "gb18030")), "BMP");
    const astral: string[] = [];
    for (let cp = 0x10000; cp <= 0x10ffff; cp += 997) astral.push(String.fromCodePoint(cp));
    astral.push("\u{10FFFF}", "😀", "𠀀");
    const a = astral.join("");
    assert.ok(encodeGb18030(a).bytes.equals(iconv.encode(a, "gb18030")), "astral");
    const lone = "a\ud800b\udc00c";
    assert.ok(encodeGb18030(lone).bytes.equals(iconv.encode(lone, "gb18030")), "lone surrogates");
  });

  it("keeps a character split across chunks whole, from strings and from UTF-8 bytes", async () => {
    const text = "前😀后".repeat(3);
    const asStrings = [text.slice(0, 2), text.slice(2, 7), text.slice(7)];
    const utf8 = Buffer.from(text, "utf8");
    const asBytes = [utf8.subarray(0, 5), utf8.subarray(5, 9), utf8.subarray(9)];
    for (const chunks of [asStrings, asBytes]) {
      const out: Buffer[] = [];
      await pipeline(Readable.from(chunks), createEncoder("gb18030"), async (src) => {
        for await (const c of src) out.push(c as Buffer);
      });
      assert.equal(iconv.decode(Buffer.concat(out), "gb18030"), text);
    }
  });
});

describe("GB18030 from UTF-8 bytes", () => {
  it("matches iconv-lite on the whole BMP, the astral planes, and turns invalid UTF-8 into U+FFFD", () => {
    const chars: string[] = [];
    for (let u = 0; u < 0x10000; u++)
      if (u < 0xd800 || u > 0xdfff) chars.push(String.fromCharCode(u));
    for (let cp = 0x10000; cp <= 0x10ffff; cp += 997) chars.push(String.fromCodePoint(cp));
    const text = chars.join("");
    const r = encodeGb18030FromUtf8(Buffer.from(text, "utf8"));
    assert.ok(r.bytes.equals(iconv.encode(text, "gb18030")));
    assert.equal(r.carry, undefined);
    const bad = Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x28, 0xed, 0xa0, 0x80]);
    assert.equal(
      iconv.decode(encodeGb18030FromUtf8(bad).bytes, "gb18030"),
      "a\ufffdb\ufffd(\ufffd\ufffd\ufffd",
    );
    const split = encodeGb18030FromUtf8(Buffer.from("中", "utf8").subarray(0, 2));
    assert.equal(split.bytes.length, 0);
    assert.deepEqual([...(split.carry ?? [])], [0xe4, 0xb8]);
  });
});
