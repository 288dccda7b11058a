// One source for each default: lib/config.ts DEFAULTS and lib/failure/policy.ts. The deploy
// template and the LocalStack hook repeat some of them; these tests make them agree.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULTS } from "../../lib/config.js";
import { DLQ_MAX_RECEIVE_COUNT } from "../../lib/failure/policy.js";

const root = join(import.meta.dirname, "..", "..");
const template = readFileSync(join(root, "serverless.yml"), "utf8");
const hook = readFileSync(join(root, "localstack/init/ready.d/10-export-resources.sh"), "utf8");

describe("defaults", () => {
  it("serverless.yml passes the same defaults as loadConfig", () => {
    const seen: string[] = [];
    // Deliberate: the deployed stack has the download function and the link secret, so it
    // defaults to stable links; the code keeps presigned for setups without them.
    const deployDiffers: Record<string, string> = { LINK_MODE: "stable" };
    for (const m of template.matchAll(/\$\{env:([A-Z0-9_]+), '([^']*)'\}/g)) {
      const [, name, value] = m as unknown as [string, string, string];
      if (!Object.hasOwn(DEFAULTS, name)) continue;
      if (deployDiffers[name] !== undefined) {
        assert.equal(value, deployDiffers[name], name);
        seen.push(name);
        continue;
      }
      seen.push(name);
      assert.equal(value, String(DEFAULTS[name as keyof typeof DEFAULTS]), name);
    }
    for (const m of template.matchAll(/^\s+([A-Z0-9_]+): "(\d+)"$/gm)) {
      const [, name, value] = m as unknown as [string, string, string];
      if (!Object.hasOwn(DEFAULTS, name)) continue;
      seen.push(name);
      assert.equal(value, String(DEFAULTS[name as keyof typeof DEFAULTS]), name);
    }
    // Not vacuous: the template does pass these through.
    // Stable links last exactly as long as the bucket keeps the file.
    assert.match(template, /STABLE_LINK_TTL_DAYS: \$\{param:exportExpireDays\}/);
    assert.equal(
      /exportExpireDays: \$\{env:EXPORT_EXPIRE_DAYS, '(\d+)'\}/.exec(template)?.[1],
      String(DEFAULTS.STABLE_LINK_TTL_DAYS),
    );
    for (const name of [
      "STATEMENT_TIMEOUT_SECONDS",
      "MAX_IN_FLIGHT",
      "SCHEDULER_RUN_SECONDS",
      "LINK_MODE",
      "DOWNLOAD_REDIRECT_SECONDS",
    ])
      assert.ok(seen.includes(name), `${name} not found in serverless.yml`);
  });

  it("stops the query and the export before the worker's Lambda timeout", () => {
    const timeout = Number(/workerTimeout: (\d+)/.exec(template)?.[1]);
    assert.ok(timeout > 0);
    assert.ok(
      DEFAULTS.STATEMENT_TIMEOUT_SECONDS + DEFAULTS.DEADLINE_MARGIN_SECONDS <= timeout,
      "statement timeout + deadline margin fit in the worker timeout",
    );
    const visibility = Number(/VisibilityTimeout: (\d+)/.exec(template)?.[1]);
    assert.ok(visibility >= 6 * timeout, "SQS visibility is at least 6x the worker timeout");
  });

  it("dead-letters after the same number of receives everywhere", () => {
    assert.equal(Number(/maxReceiveCount: (\d+)/.exec(template)?.[1]), DLQ_MAX_RECEIVE_COUNT);
    assert.equal(
      Number(/maxReceiveCount\\\\\\":\\\\\\"(\d+)/.exec(hook)?.[1]),
      DLQ_MAX_RECEIVE_COUNT,
    );
  });
});
