import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asciiOnly, storableText } from "../../lib/tasks/store.js";

describe("msg text", () => {
  it("drops NUL and lone surrogates; the ASCII fallback keeps the words", () => {
    assert.equal(storableText("a\u0000b\ud800c"), "ab\ufffdc");
    assert.equal(asciiOnly("列 x 不存在 😀"), "? x ??? ?");
  });
});
