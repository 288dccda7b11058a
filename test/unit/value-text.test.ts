import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeFormula, valueText } from "../../lib/formats/csv/value-text.js";

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
