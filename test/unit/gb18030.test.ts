import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import iconv from "iconv-lite";
import { createEncoder } from "../../lib/formats/encoding/encoder.js";
import { encodeGb18030, encodeGb18030FromUtf8 } from "../../lib/formats/encoding/gb18030.js";

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
    // Invalid bytes cut into chunks anywhere: what a decoder makes of the whole, encoded (one
    // U+FFFD per invalid sequence, as Node decodes; every byte kept, none of the scratch's).
    let seed = 11;
    const rnd = (k: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % k;
    };
    const pieces = [
      0xff, 0xc0, 0x80, 0xe2, 0x82, 0xac, 0xe4, 0xb8, 0xad, 0xf0, 0x9f, 0x98, 0x80, 0x61, 0xed,
      0xa0,
    ];
    for (let k = 0; k < 2000; k++) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + rnd(40) }, () => pieces[rnd(pieces.length)] as number),
      );
      const cut = rnd(bytes.length + 1);
      const first = encodeGb18030FromUtf8(bytes.subarray(0, cut));
      const second = encodeGb18030FromUtf8(bytes.subarray(cut), first.carry);
      const end = second.carry
        ? iconv.encode(second.carry.toString("utf8"), "gb18030")
        : Buffer.alloc(0);
      assert.ok(
        Buffer.concat([first.bytes, second.bytes, end]).equals(
          iconv.encode(bytes.toString("utf8"), "gb18030"),
        ),
        bytes.toString("hex"),
      );
    }
    const allBad = encodeGb18030FromUtf8(Buffer.alloc(1000, 0xff));
    assert.ok(allBad.bytes.equals(iconv.encode("\ufffd".repeat(1000), "gb18030")));
    const split = encodeGb18030FromUtf8(Buffer.from("中", "utf8").subarray(0, 2));
    assert.equal(split.bytes.length, 0);
    assert.deepEqual([...(split.carry ?? [])], [0xe4, 0xb8]);
  });
});
