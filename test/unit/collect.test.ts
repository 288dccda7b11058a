// The worker's collection once per part (lib/export/collect.ts): only where gc is exposed.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { createCollector } from "../../lib/export/collect.js";

describe("createCollector", () => {
  const g = globalThis as { gc?: (options?: unknown) => void };
  const saved = g.gc;
  afterEach(() => {
    g.gc = saved;
  });

  it("collects once each time the bytes written pass the size", () => {
    let calls = 0;
    g.gc = (options) => {
      // Started, not waited for: a stop-the-world collection per part cost 0.8 s in 5.
      assert.deepEqual(options, { type: "major", execution: "async" });
      calls += 1;
    };
    const collect = createCollector(1000);
    for (let i = 0; i < 25; i++) collect(100);
    assert.equal(calls, 2);
    collect(5000);
    assert.equal(calls, 3);
  });

  it("does nothing where gc is not exposed", () => {
    g.gc = undefined;
    const collect = createCollector(10);
    assert.doesNotThrow(() => collect(1000));
  });
});
