import assert from "node:assert/strict";
import { describe, it } from "node:test";
import iconv from "iconv-lite";
import { charsetOf } from "../../lib/formats/encoding/encoder.js";
import { decodeText } from "../../lib/local/decode.js";
import { render } from "./csv-render.js";

describe("encodings", () => {
  it("GB18030 encodes characters outside the BMP as four bytes and decodes them back", async () => {
    const { bytes } = await render([["😀𠀀"]], [], "gb18030");
    // "1," + two 4-byte sequences + "\r\n"
    assert.equal(bytes.length, 2 + 8 + 2);
    assert.equal(decodeText(bytes, "gb18030"), "1,😀𠀀\r\n");
    assert.equal(
      iconv.encode("中", "gb18030").toString("hex"),
      "d6d0",
      "common Chinese stays two bytes, GBK-compatible",
    );
  });

  it("UTF-8 with BOM starts with EF BB BF, even when empty; plain UTF-8 has none", async () => {
    const withBom = await render([["中"]], ["#", "h"], "utf8-bom");
    assert.equal(withBom.bytes.subarray(0, 3).toString("hex"), "efbbbf");
    assert.equal(decodeText(withBom.bytes, "utf8-bom"), "#,h\r\n1,中\r\n");
    assert.equal((await render([], [], "utf8-bom")).bytes.toString("hex"), "efbbbf");
    assert.notEqual((await render([["中"]], ["h"], "utf8")).bytes[0], 0xef);
  });

  it("names the charset for the content type", () => {
    assert.equal(charsetOf("gb18030"), "GB18030");
    assert.equal(charsetOf("utf8-bom"), "utf-8");
    assert.equal(charsetOf("utf8"), "utf-8");
  });
});
