// How the bench and tests read a function's environment from serverless.yml
// (lib/local/deployment.ts): only the function's own `environment:` or the provider's.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { deployedNodeOptions, deployedVariable } from "../../lib/local/deployment.js";

const TEMPLATE = `custom:
  environment:
    MALLOC_MMAP_THRESHOLD_: "999"
provider:
  name: aws
  environment:
    NODE_OPTIONS: --max-old-space-size=128 # the provider's
    SHARED: 'one' # quoted, with a comment
functions:
  scheduler: # polls
    handler: functions/scheduler.handler
  worker:
    handler: functions/worker.handler
    environment:
      # a comment line inside the block
      NODE_OPTIONS: --expose-gc
      MALLOC_MMAP_THRESHOLD_: "1048576" # 1 MB
  download:
    handler: functions/download.handler
resources:
  Resources:
    Thing:
      Properties:
        Environment:
          Variables:
            MALLOC_MMAP_THRESHOLD_: "7"
`;

describe("deployedVariable", () => {
  const file = join(mkdtempSync(join(tmpdir(), "oe-yml-")), "serverless.yml");
  writeFileSync(file, TEMPLATE);

  it("reads the function's own environment, else the provider's, without comments or quotes", () => {
    assert.equal(deployedVariable(file, "MALLOC_MMAP_THRESHOLD_", "worker"), "1048576");
    assert.equal(deployedNodeOptions(file, "worker"), "--expose-gc");
    assert.equal(deployedNodeOptions(file, "scheduler"), "--max-old-space-size=128");
    assert.equal(deployedVariable(file, "SHARED", "download"), "one");
  });

  it("never reads another section (custom:, resources:) as a function's or the provider's", () => {
    assert.equal(deployedVariable(file, "MALLOC_MMAP_THRESHOLD_", "scheduler"), undefined);
    assert.equal(deployedVariable(file, "MALLOC_MMAP_THRESHOLD_", "download"), undefined);
  });
});
