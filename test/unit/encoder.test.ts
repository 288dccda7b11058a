import assert from "node:assert/strict";
import { describe, it } from "node:test";
import iconv from "iconv-lite";
import { charsetOf, createTextEncoder } from "../../lib/formats/encoding/encoder.js";
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

  it("UTF-8 out is checked: bytes that are not UTF-8 become U+FFFD as a decoder reads them, at any split", () => {
    const input = Buffer.concat([
      Buffer.from("caf", "utf8"),
      Buffer.from([0xe9]), // LATIN1 é: not UTF-8
      Buffer.from("_中😀,", "utf8"),
      Buffer.from([0xc0, 0x80, 0xed, 0xa0, 0x80]), // overlong NUL, a surrogate
      Buffer.from("x", "utf8"),
      Buffer.from([0xe4, 0xb8]), // cut off at the very end
    ]);
    const expected = Buffer.from(input.toString("utf8"), "utf8");
    for (const encoding of ["utf8", "utf8-bom"] as const)
      for (let size = 1; size <= input.length; size++) {
        const e = createTextEncoder(encoding);
        const parts: Buffer[] = [];
        for (let i = 0; i < input.length; i += size)
          parts.push(e.write(input.subarray(i, i + size)));
        parts.push(e.end());
        const out = Buffer.concat(parts);
        const body = encoding === "utf8-bom" ? out.subarray(3) : out;
        assert.deepEqual(body, expected, `${encoding}, chunks of ${size}`);
      }
    // Valid UTF-8 passes as it is, in one piece.
    const e = createTextEncoder("utf8");
    const valid = Buffer.from("中文 ok 😀", "utf8");
    assert.equal(e.write(valid), valid);
  });

  it("names the charset for the content type", () => {
    assert.equal(charsetOf("gb18030"), "GB18030");
    assert.equal(charsetOf("utf8-bom"), "utf-8");
    assert.equal(charsetOf("utf8"), "utf-8");
  });
});
