import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { xmlString } from "../../lib/formats/xlsx/xml-bytes.js";
import { writeInlineString, xmlText } from "../../lib/formats/xlsx/xml-text.js";

const inlineStringCell = (ref: string, text: string, style?: number) =>
  xmlString((out) => writeInlineString(out, ref, text, style));

/** What a reader of OOXML makes of a cell's text: entities, then `_xHHHH_` (ECMA-376 ST_Xstring). */
function readBack(xml: string): string {
  return xml
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_m, h: string) =>
      String.fromCharCode(Number.parseInt(h, 16)),
    );
}

/** Characters XML 1.0 allows (surrogates only in pairs). */
function isXmlChars(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    const ok =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      (c >= 0x10000 && c <= 0x10ffff);
    if (!ok) return false;
  }
  return true;
}

describe("cell text in XML", () => {
  it("keeps plain text, Chinese, emoji and CJK Extension B as they are", () => {
    for (const s of [
      "",
      "ORD-000000001",
      "张三, 北京",
      "😀 𠀀𪚥",
      "a_b _x y",
      "quote \" and '",
      "tab\there\nLF",
    ])
      assert.equal(xmlText(s), s);
  });

  it("escapes XML's specials", () => {
    assert.equal(xmlText("a<b>&c"), "a&lt;b&gt;&amp;c");
    assert.equal(xmlText("]]>"), "]]&gt;");
  });

  it("writes control characters and CR as _xHHHH_ (upper-case hex), keeping tab and LF", () => {
    assert.equal(
      xmlText("a\u0000b\u0001\u0008\u000b\u000c\u001f"),
      "a_x0000_b_x0001__x0008__x000B__x000C__x001F_",
    );
    assert.equal(xmlText("line1\r\nline2\r"), "line1_x000D_\nline2_x000D_");
    assert.equal(xmlText("\ufffe\uffff"), "_xFFFE__xFFFF_");
  });

  it("escapes the underscore of text that already looks like an escape, in either case", () => {
    assert.equal(xmlText("_x000D_"), "_x005F_x000D_");
    assert.equal(xmlText("id_x1234_y _X00aF_"), "id_x005F_x1234_y _x005F_X00aF_");
    // Not an escape: left alone.
    assert.equal(xmlText("_x12_ _x12345 _xGGGG_"), "_x12_ _x12345 _xGGGG_");
  });

  it("replaces lone surrogates with U+FFFD and keeps pairs", () => {
    assert.equal(xmlText("a\ud800b"), "a\ufffdb");
    assert.equal(xmlText("\udc00x"), "\ufffdx");
    assert.equal(xmlText("end\ud83d"), "end\ufffd");
    assert.equal(xmlText("\ud83d\ude00\ud83d"), "😀\ufffd");
  });

  it("gives back every UTF-16 code unit a reader can hold, as the original text, in XML 1.0 characters", () => {
    // Every code unit once, in chunks, with escape-like text and specials around them.
    for (let start = 0; start < 0x10000; start += 0x800) {
      let s = "_x0041_ & <";
      for (let c = start; c < start + 0x800; c++) s += String.fromCharCode(c);
      const out = xmlText(s);
      assert.ok(isXmlChars(out), `chunk at ${start.toString(16)}`);
      const expected = s.replace(/[\ud800-\udfff]/g, (ch, at: number) => {
        // A high surrogate followed by a low one is a pair (only at the chunk's seam here).
        const next = s.charCodeAt(at + 1);
        const prev = s.charCodeAt(at - 1);
        const high = ch.charCodeAt(0) <= 0xdbff;
        if (high && next >= 0xdc00 && next <= 0xdfff) return ch;
        if (!high && prev >= 0xd800 && prev <= 0xdbff) return ch;
        return "\ufffd";
      });
      assert.equal(readBack(out), expected, `chunk at ${start.toString(16)}`);
    }
  });

  it("makes an inline-string cell, preserving space at either end", () => {
    assert.equal(inlineStringCell("B2", "x"), '<c r="B2" t="inlineStr"><is><t>x</t></is></c>');
    assert.equal(
      inlineStringCell("A1", " lead", 1),
      '<c r="A1" t="inlineStr" s="1"><is><t xml:space="preserve"> lead</t></is></c>',
    );
    assert.match(inlineStringCell("C3", "trail\n"), /xml:space="preserve"/);
    assert.doesNotMatch(inlineStringCell("C3", "in side"), /xml:space/);
  });
});
