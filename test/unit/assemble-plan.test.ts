import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ByteRange,
  type PartStep,
  planParts,
  type SliceObject,
  stepBytes,
} from "../../lib/slices/plan-parts.js";

const MB = 1024 * 1024;
const MIN = 5 * MB;

const slices = (...sizes: number[]): SliceObject[] =>
  sizes.map((bytes, i) => ({ key: `s/${i}`, bytes }));

const ranges = (s: PartStep): ByteRange[] => ("copy" in s ? [s.copy] : s.buffer);

/** The rules every plan keeps, whatever the sizes. */
function checkPlan(input: SliceObject[], steps: PartStep[], min: number, max: number): void {
  // The ranges, in order, are exactly the slices' bytes, in order.
  const flat = steps.flatMap(ranges);
  const want: ByteRange[] = [];
  for (const s of input) if (s.bytes > 0) want.push({ key: s.key, start: 0, end: s.bytes });
  const merged: ByteRange[] = [];
  for (const r of flat) {
    assert.ok(r.end > r.start, `empty range ${JSON.stringify(r)}`);
    const prev = merged.at(-1);
    if (prev && prev.key === r.key && prev.end === r.start) prev.end = r.end;
    else merged.push({ ...r });
  }
  assert.deepEqual(merged, want);
  steps.forEach((s, i) => {
    const n = stepBytes(s);
    if (i < steps.length - 1)
      assert.ok(n >= min, `part ${i + 1} of ${steps.length}: ${n} < ${min}`);
    if ("copy" in s) assert.ok(n <= max, `copy part ${i + 1}: ${n} > ${max}`);
    else assert.ok(n < 2 * min, `buffered part ${i + 1}: ${n} >= 2 * min`);
  });
}

describe("planParts", () => {
  it("copies large slices whole, one part each", () => {
    const input = slices(6 * MB, 5 * MB, 7 * MB);
    const steps = planParts(input, MIN, 5 * 1024 * MB);
    assert.deepEqual(
      steps,
      input.map((s) => ({ copy: { key: s.key, start: 0, end: s.bytes } })),
    );
  });

  it("merges small slices with their neighbours, topping up with a large slice's head", () => {
    const input = slices(1 * MB, 6 * MB, 100, 3 * MB, 7 * MB, 2 * MB);
    const steps = planParts(input, MIN);
    checkPlan(input, steps, MIN, 5 * 1024 * MB);
    // 1 MiB + the first 4 MiB of the 6 MiB slice would leave 2 MiB: the whole slice is read.
    assert.deepEqual(steps[0], {
      buffer: [
        { key: "s/0", start: 0, end: MB },
        { key: "s/1", start: 0, end: 6 * MB },
      ],
    });
    // 100 B + 3 MiB, topped up from the 7 MiB slice's head; its rest (≥ 5 MiB) is copied.
    const need = MIN - 100 - 3 * MB;
    assert.deepEqual(steps[1], {
      buffer: [
        { key: "s/2", start: 0, end: 100 },
        { key: "s/3", start: 0, end: 3 * MB },
        { key: "s/4", start: 0, end: need },
      ],
    });
    assert.deepEqual(steps[2], { copy: { key: "s/4", start: need, end: 7 * MB } });
    assert.deepEqual(steps[3], { buffer: [{ key: "s/5", start: 0, end: 2 * MB }] });
    assert.equal(steps.length, 4);
  });

  it("splits a slice over maxCopyBytes into even ranges when they can all be ≥ min", () => {
    const input = slices(23 * MB);
    const steps = planParts(input, MIN, 12 * MB);
    checkPlan(input, steps, MIN, 12 * MB);
    assert.deepEqual(steps.map(stepBytes), [11.5 * MB, 11.5 * MB]);
  });

  it("splits into max-sized ranges and a short tail when an even split cannot keep min", () => {
    // 13 MiB with max 6: two ranges cover 12 at most, three would be 4.33 MiB each.
    const last = slices(13 * MB);
    const a = planParts(last, MIN, 6 * MB);
    checkPlan(last, a, MIN, 6 * MB);
    assert.deepEqual(a.map(stepBytes), [6 * MB, 6 * MB, MB]);
    assert.ok(
      a.every((s) => "copy" in s),
      "the tail ends the object: copied",
    );

    // Not last: the 1 MiB tail is buffered with what follows.
    const mid = slices(13 * MB, 2 * MB);
    const b = planParts(mid, MIN, 6 * MB);
    checkPlan(mid, b, MIN, 6 * MB);
    assert.deepEqual(b.at(-1), {
      buffer: [
        { key: "s/0", start: 12 * MB, end: 13 * MB },
        { key: "s/1", start: 0, end: 2 * MB },
      ],
    });
  });

  it("makes all-tiny slices one part, skips empty slices, and plans nothing for no bytes", () => {
    const input = slices(0, 10, MB, 0, 2 * MB, 0);
    const steps = planParts(input, MIN);
    checkPlan(input, steps, MIN, 5 * 1024 * MB);
    assert.equal(steps.length, 1);
    assert.equal(stepBytes(steps[0] as PartStep), 3 * MB + 10);
    assert.deepEqual(planParts(slices(0, 0)), []);
    assert.deepEqual(planParts([]), []);
  });

  it("keeps every rule on many random mixes of sizes", () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    // Small numbers stand in for MiB: the rules do not depend on the scale.
    for (let round = 0; round < 2000; round++) {
      const min = 1 + rand(20);
      const max = min + rand(3 * min);
      const input = slices(...Array.from({ length: rand(8) }, () => rand(4 * max)));
      checkPlan(input, planParts(input, min, max), min, max);
    }
  });

  it("refuses sizes that are not byte counts and a max below min", () => {
    assert.throws(() => planParts(slices(-1)), RangeError);
    assert.throws(() => planParts(slices(1.5)), RangeError);
    assert.throws(() => planParts(slices(1), MIN, MIN - 1), RangeError);
    assert.throws(() => planParts(slices(1), 0), RangeError);
  });
});
