// The worker's collection per part (lib/export/collect.ts): only where gc is exposed, and only
// when the Buffers held pass the threshold.
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

  it("collects once each time the bytes written pass the size, when many Buffers are held", () => {
    let calls = 0;
    g.gc = (options) => {
      // A synchronous collection: started asynchronously, it finished too late (README).
      assert.equal(options, undefined);
      calls += 1;
    };
    let held = 40 * MB;
    const collect = createCollector(1000, () => held);
    for (let i = 0; i < 25; i++) collect(100);
    assert.equal(calls, 2);
    collect(5000);
    assert.equal(calls, 3);
    // Little held: nothing to free, no pause.
    held = 10 * MB;
    for (let i = 0; i < 30; i++) collect(100);
    assert.equal(calls, 3);
  });

  it("does nothing where gc is not exposed", () => {
    g.gc = undefined;
    const collect = createCollector(10, () => 100 * MB);
    assert.doesNotThrow(() => collect(1000));
  });
});
