import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, MAX_LINK_TTL_SECONDS } from "../../lib/config.js";

const base = {
  TASK_DB_URL: "mysql://u:secret@db.example:3306/app",
  EXPORT_BUCKET: "exports",
  EXPORT_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123/tasks",
  AWS_REGION: "us-east-1",
};

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const c = loadConfig(base);
    assert.equal(c.taskDb.engine, "mysql");
    assert.equal(c.dataDb.url, base.TASK_DB_URL, "DATA_DB_URL defaults to TASK_DB_URL");
    assert.deepEqual(c.taskTable, { schema: undefined, name: "box_download_task" });
    assert.equal(c.csvEncoding, "gb18030");
    assert.equal(c.maxInFlight, 6);
    assert.equal(c.linkTtlSeconds, MAX_LINK_TTL_SECONDS);
    assert.equal(c.escapeFormulas, false);
    assert.deepEqual(c.excludeTypes, []);
    assert.equal(c.keyPrefix, "exports/");
  });

  it("reads every option", () => {
    const c = loadConfig({
      ...base,
      DATA_DB_URL: "postgresql://u:p@pg:5432/data",
      TASK_TABLE: "public.tasks",
      CSV_ENCODING: "UTF8-BOM",
      MAX_IN_FLIGHT: "2",
      LINK_TTL_SECONDS: "3600",
      TASK_EXCLUDE_TYPES: "4, 5",
      CSV_ESCAPE_FORMULAS: "true",
      EXPORT_KEY_PREFIX: "csv",
    });
    assert.equal(c.dataDb.engine, "postgres");
    assert.deepEqual(c.taskTable, { schema: "public", name: "tasks" });
    assert.equal(c.csvEncoding, "utf8-bom");
    assert.equal(c.maxInFlight, 2);
    assert.equal(c.linkTtlSeconds, 3600);
    assert.deepEqual(c.excludeTypes, ["4", "5"]);
    assert.equal(c.escapeFormulas, true);
    assert.equal(c.keyPrefix, "csv/");
  });

  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ["missing TASK_DB_URL", { TASK_DB_URL: undefined }, /^TASK_DB_URL is required/],
    ["missing bucket", { EXPORT_BUCKET: "" }, /^EXPORT_BUCKET is required/],
    ["missing queue", { EXPORT_QUEUE_URL: undefined }, /^EXPORT_QUEUE_URL is required/],
    ["missing region", { AWS_REGION: undefined }, /^AWS_REGION is required/],
    ["bad scheme", { TASK_DB_URL: "oracle://x/y" }, /^TASK_DB_URL: unsupported scheme/],
    [
      "no database",
      { DATA_DB_URL: "postgres://u:p@h:5432" },
      /^DATA_DB_URL: the URL names no database/,
    ],
    [
      "bad table",
      { TASK_TABLE: "tasks; DROP TABLE x" },
      /^TASK_TABLE: .* is not a valid table name/,
    ],
    [
      "bad encoding",
      { CSV_ENCODING: "latin1" },
      /^CSV_ENCODING must be one of gb18030, utf8-bom, utf8/,
    ],
    [
      "cap too big",
      { MAX_IN_FLIGHT: "5000" },
      /^MAX_IN_FLIGHT must be between 1 and 1000, got 5000\./,
    ],
    [
      "cap not a number",
      { MAX_IN_FLIGHT: "six" },
      /^MAX_IN_FLIGHT must be a whole number, got "six"\./,
    ],
    [
      "TTL above S3's limit",
      { LINK_TTL_SECONDS: "604801" },
      /^LINK_TTL_SECONDS must be between 1 and 604800/,
    ],
    ["bad boolean", { CSV_ESCAPE_FORMULAS: "maybe" }, /^CSV_ESCAPE_FORMULAS must be true or false/],
    [
      "queue not a URL",
      { EXPORT_QUEUE_URL: "tasks" },
      /^EXPORT_QUEUE_URL must be an http\(s\) SQS queue URL/,
    ],
  ];
  for (const [what, patch, message] of cases) {
    it(`rejects ${what} with a message naming the variable`, () => {
      assert.throws(
        () => loadConfig({ ...base, ...patch }),
        (err: Error) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          assert.doesNotMatch(err.message, /secret/, "never echoes a password");
          return true;
        },
      );
    });
  }
});
