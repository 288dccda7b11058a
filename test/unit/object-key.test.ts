import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { objectKey, parseObjectKey } from "../../lib/export/object-key.js";

describe("object keys", () => {
  it("carry the task id and attempt, and nothing else parses", () => {
    const key = objectKey("exports/", 42, 3, "csv");
    assert.deepEqual(parseObjectKey("exports/", key), { id: 42, attempt: 3 });
    assert.equal(parseObjectKey("other/", key), undefined);
    assert.equal(parseObjectKey("exports/", "exports/task-42-0b1f.csv"), undefined);
    assert.equal(parseObjectKey("exports/", "exports/report.csv"), undefined);
    assert.equal(
      parseObjectKey("exports/", key.replace(/\.csv$/, ".exe")),
      undefined,
      "only the registered formats' extensions",
    );
  });

  it("parse with every format's extension in every container, dotted ones included", () => {
    for (const ext of ["csv", "csv.gz", "zip", "xlsx"]) {
      const key = objectKey("exports/", 7, 1, ext);
      assert.deepEqual(parseObjectKey("exports/", key), { id: 7, attempt: 1 }, ext);
    }
    const gz = objectKey("exports/", 7, 1, "csv.gz");
    assert.equal(parseObjectKey("exports/", gz.replace(/\.csv\.gz$/, ".csv.exe")), undefined);
    assert.equal(parseObjectKey("exports/", gz.replace(/\.csv\.gz$/, ".gz")), undefined);
    assert.equal(parseObjectKey("exports/", gz.replace(/\.csv\.gz$/, ".csv.")), undefined);
  });
});
