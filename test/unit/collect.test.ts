// The worker's collections per part (lib/export/collect.ts): only where gc is exposed; a full
// one only when the Buffers held pass the threshold, young ones between.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { createCollector } from "../../lib/export/collect.js";

describe("createCollector", () => {
  const g = globalThis as { gc?: (options?: unknown) => void };
  const saved = g.gc;
  afterEach(() => {
    g.gc = saved;
  });
  const MB = 1024 * 1024;

  it("collects fully once each time the bytes written pass the size, when many Buffers are held", () => {
    const calls: string[] = [];
    g.gc = (options) => {
      // A synchronous collection: started asynchronously, it finished too late (README).
      calls.push(options === undefined ? "full" : JSON.stringify(options));
    };
    let held = 40 * MB;
    const collect = createCollector(1000, { held: () => held });
    for (let i = 0; i < 25; i++) collect(100);
    const full = () => calls.filter((c) => c === "full").length;
    assert.equal(full(), 2);
    collect(5000);
    assert.equal(full(), 3);
    // Little held: nothing to free, no full pause.
    held = 10 * MB;
    for (let i = 0; i < 30; i++) collect(100);
    assert.equal(full(), 3);
  });

  it("collects fully at every part for the row paths, whatever the Buffers held", () => {
    const calls: string[] = [];
    g.gc = (options) => {
      calls.push(options === undefined ? "full" : JSON.stringify(options));
    };
    // Few Buffers: the fast paths skip the full collection, the row paths (heap garbage) do not.
    const fast = createCollector(1000, { held: () => 10 * MB });
    const rows = createCollector(1000, { held: () => 10 * MB, everyPart: true });
    for (let i = 0; i < 20; i++) fast(100);
    assert.equal(calls.filter((c) => c === "full").length, 0);
    for (let i = 0; i < 20; i++) rows(100);
    assert.equal(calls.filter((c) => c === "full").length, 2);
  });

  it("collects the young generation at each quarter between the full ones, whatever is held", () => {
    const calls: string[] = [];
    g.gc = (options) => {
      calls.push(options === undefined ? "full" : JSON.stringify(options));
    };
    const collect = createCollector(1000, { held: () => 10 * MB });
    for (let i = 0; i < 20; i++) collect(50);
    const minor = JSON.stringify({ type: "minor" });
    // 1,000 bytes: minors at 250, 500 and 750; at 1,000 the part's (here skipped) full check.
    assert.deepEqual(calls, [minor, minor, minor]);
    for (let i = 0; i < 20; i++) collect(50);
    assert.equal(calls.length, 6);
  });

  it("does nothing where gc is not exposed", () => {
    g.gc = undefined;
    const collect = createCollector(10, { held: () => 100 * MB });
    assert.doesNotThrow(() => collect(1000));
  });
});
