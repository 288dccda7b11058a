// serverless.yml as Lambda will read it. The generated template is checked by running the
// packaged functions (npm run test:package, in CI).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  deployedNodeOptions,
  deployedVariable,
  deployedWorkerMalloc,
} from "../../lib/local/deployment.js";

const templatePath = join(import.meta.dirname, "..", "..", "serverless.yml");
const template = readFileSync(templatePath, "utf8");

describe("serverless.yml", () => {
  it("gives the functions NODE_OPTIONS that Node accepts (a refused flag exits 9 before any code runs)", () => {
    for (const fn of ["worker", "scheduler", "download"] as const) {
      const options = deployedNodeOptions(templatePath, fn);
      // The worker collects once per part (lib/export/collect.ts): only if gc is exposed.
      const r = spawnSync(process.execPath, ["-p", "typeof gc"], {
        env: { PATH: process.env.PATH, NODE_OPTIONS: options },
        encoding: "utf8",
      });
      assert.equal(r.status, 0, `${fn}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), fn === "worker" ? "function" : "undefined", fn);
      assert.match(options, /--max-old-space-size=128 --max-semi-space-size=2/, fn);
    }
    // The check itself can fail: the flag an earlier version carried is refused.
    const refused = spawnSync(process.execPath, ["-e", "0"], {
      env: { PATH: process.env.PATH, NODE_OPTIONS: "--min-semi-space-size=8" },
      encoding: "utf8",
    });
    assert.notEqual(refused.status, 0);
  });

  it("gives the worker alone glibc's mmap threshold of 1 MB, which the bench and memory test read", () => {
    // Freed 5 MB upload parts then go back to the system instead of staying in RSS.
    assert.deepEqual(deployedWorkerMalloc(templatePath), { MALLOC_MMAP_THRESHOLD_: "1048576" });
    for (const fn of ["scheduler", "download"] as const)
      assert.equal(deployedVariable(templatePath, "MALLOC_MMAP_THRESHOLD_", fn), undefined, fn);
  });

  it("runs on a Node runtime AWS still supports (22 or newer)", () => {
    const runtime = /^\s+runtime: nodejs(\d+)\.x$/m.exec(template)?.[1];
    assert.ok(Number(runtime) >= 22, `runtime nodejs${runtime}.x`);
  });
});
