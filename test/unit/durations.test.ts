import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { durationWords, parseDuration } from "../../lib/ops/durations.js";
import { parseStatuses, statusName } from "../../lib/ops/statuses.js";

describe("operator durations", () => {
  it("reads 45s, 30m, 12h, 7d, 2w and bare seconds", () => {
    assert.deepEqual(
      ["45s", "30m", "12h", "7d", "2w", "90", " 30D "].map(parseDuration),
      [45, 1800, 43_200, 604_800, 1_209_600, 90, 2_592_000],
    );
  });

  it("refuses fractions, signs, zero, other units and empty text", () => {
    for (const bad of ["1.5d", "-7d", "0d", "0", "7y", "d", "", "7 d", "1e3", "10000000000s"])
      assert.equal(parseDuration(bad), undefined, bad);
  });

  it("says a duration in the largest unit that divides it", () => {
    assert.deepEqual([2_592_000, 604_800, 43_200, 3600, 5400, 90, 1].map(durationWords), [
      "30 days",
      "1 week",
      "12 hours",
      "1 hour",
      "90 minutes",
      "90 seconds",
      "1 second",
    ]);
  });
});

describe("status names", () => {
  it("names the four codes, and shows an unknown code as its number", () => {
    assert.deepEqual([0, 1, 2, 3, 9].map(statusName), [
      "pending",
      "processing",
      "succeeded",
      "failed",
      "9",
    ]);
  });

  it("reads names and codes, mixed, once each", () => {
    assert.deepEqual(parseStatuses("failed,0, Pending ,3"), [3, 0]);
    assert.deepEqual(parseStatuses("processing,2"), [1, 2]);
  });

  it("refuses an unknown name, saying which are known", () => {
    assert.throws(() => parseStatuses("done"), /unknown status "done": use pending, processing/);
    assert.throws(() => parseStatuses("4"), /unknown status "4"/);
    assert.throws(() => parseStatuses("failed,"), /unknown status ""/);
  });
});
