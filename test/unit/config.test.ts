import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConfigError,
  DEFAULTS,
  loadConfig,
  MAX_LINK_TTL_SECONDS,
  monitorFor,
} from "../../lib/config.js";

const base = {
  TASK_DB_URL: "mysql://u:Zq8pw@db.example:3306/app",
  EXPORT_BUCKET: "exports",
  EXPORT_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123/tasks",
  AWS_REGION: "us-east-1",
};

describe("loadConfig", () => {
  it("applies the documented defaults (DEFAULTS) to every optional setting", () => {
    const c = loadConfig(base);
    assert.equal(c.taskDb.engine, "mysql");
    assert.equal(c.dataDb.url, base.TASK_DB_URL, "DATA_DB_URL defaults to TASK_DB_URL");
    assert.equal(c.dataDbMonitor, undefined);
    assert.deepEqual(c.taskTable, { schema: undefined, name: "box_download_task" });
    assert.equal(c.endpointUrl, undefined);
    assert.equal(c.format, DEFAULTS.EXPORT_FORMAT);
    assert.equal(c.encoding, "gb18030");
    assert.equal(c.escapeFormulas, true, "formula escaping is on unless turned off");
    assert.equal(c.longDigitsAsText, true);
    assert.equal(c.splitRows, false);
    assert.equal(c.compress, "none");
    assert.equal(c.maxInFlight, 6);
    assert.equal(c.maxInFlightPerCreator, DEFAULTS.MAX_IN_FLIGHT_PER_CREATOR);
    assert.equal(c.linkTtlSeconds, MAX_LINK_TTL_SECONDS);
    assert.equal(c.statementTimeoutSeconds, DEFAULTS.STATEMENT_TIMEOUT_SECONDS);
    assert.deepEqual(c.excludeTypes, []);
    assert.equal(c.schedulerPollSeconds, 5);
    assert.equal(c.schedulerRunSeconds, 50);
    assert.equal(c.redispatchSeconds, 900);
    assert.equal(c.leaseSeconds, 180);
    assert.equal(c.progressSeconds, 3);
    assert.equal(c.maxAttempts, 3);
    assert.equal(c.retryDelaySeconds, 30);
    assert.equal(c.deadlineMarginSeconds, 30);
    assert.equal(c.linkSigner, undefined);
    assert.equal(c.keyPrefix, "exports/");
    assert.equal(c.partSizeBytes, 5 * 1024 * 1024);
    assert.equal(c.uploadQueueSize, 2);
    assert.equal(c.sliceRows, 2_000_000);
    assert.equal(c.planConcurrency, 8);
    assert.equal(c.pgCopy, true);
    assert.equal(c.pgFastPath, true);
    assert.equal(c.linkMode, "presigned");
    assert.equal(c.linkKeys, undefined);
    assert.equal(c.stableLinkTtlSeconds, DEFAULTS.STABLE_LINK_TTL_DAYS * 86_400);
    assert.equal(c.downloadRedirectSeconds, DEFAULTS.DOWNLOAD_REDIRECT_SECONDS);
    assert.equal(c.downloadCentreUrl, undefined);
    assert.deepEqual(c.notify, {
      topicArn: undefined,
      webhookUrl: undefined,
      webhookSecret: undefined,
      allow: [],
      timeoutSeconds: DEFAULTS.NOTIFY_TIMEOUT_SECONDS,
    });
  });

  // Every variable loadConfig reads, set to something other than its default.
  const every: Record<string, string> = {
    ...base,
    DATA_DB_URL: "postgresql://u:p@pg:5432/data",
    DATA_DB_MONITOR_URL: "postgresql://mon:m@pg/data",
    TASK_TABLE: "public.tasks",
    AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
    EXPORT_FORMAT: "CSV",
    CSV_ENCODING: "UTF8-BOM",
    CSV_ESCAPE_FORMULAS: "false",
    CSV_LONG_DIGITS_AS_TEXT: "off",
    CSV_SPLIT_ROWS: "yes",
    EXPORT_COMPRESS: "ZIP",
    MAX_IN_FLIGHT: "2",
    MAX_IN_FLIGHT_PER_CREATOR: "1",
    LINK_TTL_SECONDS: "3600",
    STATEMENT_TIMEOUT_SECONDS: "120",
    TASK_EXCLUDE_TYPES: "4, 5",
    SCHEDULER_POLL_SECONDS: "2",
    SCHEDULER_RUN_SECONDS: "40",
    REDISPATCH_SECONDS: "600",
    LEASE_SECONDS: "90",
    PROGRESS_SECONDS: "7",
    MAX_ATTEMPTS: "5",
    RETRY_DELAY_SECONDS: "10",
    DEADLINE_MARGIN_SECONDS: "45",
    LINK_SIGNER_ACCESS_KEY_ID: "AKIAEXAMPLE",
    LINK_SIGNER_SECRET_ACCESS_KEY: "signer-secret",
    EXPORT_KEY_PREFIX: "csv",
    UPLOAD_PART_SIZE_MB: "8",
    UPLOAD_QUEUE_SIZE: "4",
    SLICE_ROWS: "500000",
    PLAN_CONCURRENCY: "3",
    PG_COPY: "off",
    PG_FAST_PATH: "off",
    MYSQL_FAST_PATH: "no",
    LINK_MODE: "Stable",
    LINK_SECRET: '{"current": "c".repeat(32), "previous": null}'.replace(
      '"c".repeat(32)',
      `"${"c".repeat(32)}"`,
    ),
    LINK_BASE_URL: "https://dl.example.com/exports",
    STABLE_LINK_TTL_DAYS: "90",
    DOWNLOAD_REDIRECT_SECONDS: "60",
    DOWNLOAD_CENTRE_URL: "https://app.example.com/exports.php?tab=mine",
    NOTIFY_TIMEOUT_SECONDS: "9",
    NOTIFY_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:oe-done",
    NOTIFY_WEBHOOK_URL: "https://app.example.com/oe-hook",
    NOTIFY_WEBHOOK_SECRET: "w".repeat(32),
    NOTIFY_WEBHOOK_ALLOW: "hooks.example.com, *.partner.example",
  };

  it("reads every option", () => {
    const c = loadConfig(every);
    assert.equal(c.dataDb.engine, "postgres");
    assert.equal(c.dataDbMonitor?.url, "postgresql://mon:m@pg/data");
    assert.deepEqual(c.taskTable, { schema: "public", name: "tasks" });
    assert.equal(c.bucket, "exports");
    assert.equal(c.queueUrl, base.EXPORT_QUEUE_URL);
    assert.equal(c.region, "us-east-1");
    assert.equal(c.endpointUrl, "http://127.0.0.1:4566");
    assert.equal(c.format, "csv");
    assert.equal(c.encoding, "utf8-bom");
    assert.equal(c.escapeFormulas, false);
    assert.equal(c.longDigitsAsText, false);
    assert.equal(c.splitRows, true);
    assert.equal(c.compress, "zip");
    assert.equal(c.maxInFlight, 2);
    assert.equal(c.maxInFlightPerCreator, 1);
    assert.equal(c.linkTtlSeconds, 3600);
    assert.equal(c.statementTimeoutSeconds, 120);
    assert.deepEqual(c.excludeTypes, ["4", "5"]);
    assert.equal(c.schedulerPollSeconds, 2);
    assert.equal(c.schedulerRunSeconds, 40);
    assert.equal(c.redispatchSeconds, 600);
    assert.equal(c.leaseSeconds, 90);
    assert.equal(c.progressSeconds, 7);
    assert.equal(c.maxAttempts, 5);
    assert.equal(c.retryDelaySeconds, 10);
    assert.equal(c.deadlineMarginSeconds, 45);
    assert.deepEqual(c.linkSigner, {
      accessKeyId: "AKIAEXAMPLE",
      secretAccessKey: "signer-secret",
    });
    assert.equal(c.keyPrefix, "csv/");
    assert.equal(c.partSizeBytes, 8 * 1024 * 1024);
    assert.equal(c.uploadQueueSize, 4);
    assert.equal(c.sliceRows, 500_000);
    assert.equal(c.planConcurrency, 3);
    assert.equal(c.pgCopy, false);
    assert.equal(c.mysqlFastPath, false);
    // The data database is PostgreSQL here: PG_COPY decides whether the server renders.
    assert.equal(c.serverRendering, false);
    assert.equal(loadConfig({ ...every, PG_COPY: "on" }).serverRendering, true);
    assert.equal(c.pgFastPath, false);
    assert.equal(loadConfig({ ...every, PG_FAST_PATH: "on" }).pgFastPath, true);
    const mysqlData = {
      ...every,
      DATA_DB_URL: "mysql://u:p@db/data",
      DATA_DB_MONITOR_URL: undefined,
    };
    assert.equal(loadConfig(mysqlData).serverRendering, false);
    assert.equal(loadConfig({ ...mysqlData, MYSQL_FAST_PATH: "yes" }).serverRendering, true);
    assert.equal(c.linkMode, "stable");
    assert.deepEqual(c.linkKeys, { current: "c".repeat(32) });
    assert.equal(c.linkBaseUrl, "https://dl.example.com/exports");
    assert.equal(c.stableLinkTtlSeconds, 90 * 86_400);
    assert.equal(c.downloadRedirectSeconds, 60);
    assert.equal(c.downloadCentreUrl, "https://app.example.com/exports.php?tab=mine");
    assert.equal(c.notify.timeoutSeconds, 9);
    assert.equal(c.notify.topicArn, every.NOTIFY_TOPIC_ARN);
    assert.equal(c.notify.webhookUrl?.href, every.NOTIFY_WEBHOOK_URL);
    assert.equal(c.notify.webhookSecret, "w".repeat(32));
    assert.deepEqual(c.notify.allow, [
      { kind: "host", host: "hooks.example.com" },
      { kind: "suffix", suffix: ".partner.example" },
    ]);
  });

  it("asks each deployed function only for what it uses", () => {
    const stable = { ...base, LINK_MODE: "stable", EXPORT_QUEUE_URL: undefined };
    // The scheduler neither mints nor checks links; the worker and download never send to SQS.
    assert.equal(loadConfig({ ...base, LINK_MODE: "stable" }, "scheduler").linkKeys, undefined);
    assert.throws(() => loadConfig(stable, "scheduler"), {
      message: /^EXPORT_QUEUE_URL is required/,
    });
    assert.throws(() => loadConfig(stable, "worker"), {
      message: /^LINK_SECRET \(or LINK_SECRET_ARN\) is required/,
    });
    const secret = "s".repeat(40);
    assert.throws(() => loadConfig({ ...stable, LINK_SECRET: secret }, "worker"), {
      message: /^LINK_BASE_URL is required when LINK_MODE=stable/,
    });
    const worker = loadConfig(
      { ...stable, LINK_SECRET: secret, LINK_BASE_URL: "https://x.lambda-url.us-east-1.on.aws/" },
      "worker",
    );
    assert.equal(worker.queueUrl, "");
    assert.deepEqual(worker.linkKeys, { current: secret });
    // Download checks links in either mode, and needs no base URL.
    assert.throws(() => loadConfig({ ...base, EXPORT_QUEUE_URL: undefined }, "download"), {
      message: /^LINK_SECRET/,
    });
    assert.equal(
      loadConfig({ ...base, EXPORT_QUEUE_URL: undefined, LINK_SECRET: secret }, "download").linkKeys
        ?.current,
      secret,
    );
  });

  it("asks the operator CLI for neither the queue nor the link settings (the verbs that send check the queue)", () => {
    const stable = { ...base, LINK_MODE: "stable", EXPORT_QUEUE_URL: undefined };
    const ops = loadConfig(stable, "operator");
    assert.deepEqual([ops.queueUrl, ops.linkKeys, ops.linkBaseUrl], ["", undefined, undefined]);
    assert.equal(loadConfig(base, "operator").queueUrl, base.EXPORT_QUEUE_URL);
    assert.throws(() => loadConfig({ ...stable, EXPORT_BUCKET: undefined }, "operator"), {
      message: /^EXPORT_BUCKET is required/,
    });
  });

  it("covers every variable the code reads (the list above is complete)", () => {
    const read = new Set<string>();
    const spy = new Proxy(every, {
      get(target, name) {
        if (typeof name === "string") read.add(name);
        return target[name as string];
      },
    });
    loadConfig(spy);
    const untested = [...read].filter((n) => !Object.hasOwn(every, n));
    assert.deepEqual(untested, []);
    const unread = Object.keys(every).filter((n) => !read.has(n));
    assert.deepEqual(unread, [], "every variable listed is read");
    for (const name of Object.keys(DEFAULTS))
      assert.ok(read.has(name), `${name} has a default but is never read`);
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
    ["unknown format", { EXPORT_FORMAT: "pdf" }, /^EXPORT_FORMAT must be one of csv/],
    [
      "half a link signer",
      { LINK_SIGNER_ACCESS_KEY_ID: "AKIA" },
      /^LINK_SIGNER_ACCESS_KEY_ID and LINK_SIGNER_SECRET_ACCESS_KEY must be set together/,
    ],
    [
      "a short link secret",
      { LINK_SECRET: "short" },
      /^LINK_SECRET: the link secret must be at least 32/,
    ],
    [
      "a link secret JSON without current",
      { LINK_SECRET: '{"previous": "x"}' },
      /^LINK_SECRET: the link secret JSON needs a "current" string/,
    ],
    [
      "an unknown link mode",
      { LINK_MODE: "public" },
      /^LINK_MODE must be one of presigned, stable/,
    ],
    [
      "a base URL with a query",
      { LINK_MODE: "stable", LINK_SECRET: "s".repeat(32), LINK_BASE_URL: "https://x/?a=1" },
      /^LINK_BASE_URL must be an http\(s\) URL without query/,
    ],
    [
      "a download centre that is not an http(s) URL",
      { DOWNLOAD_CENTRE_URL: "javascript:alert(1)" },
      /^DOWNLOAD_CENTRE_URL must be an http\(s\) URL, got "javascript:alert\(1\)"/,
    ],
    ["absolute key prefix", { EXPORT_KEY_PREFIX: "/x" }, /^EXPORT_KEY_PREFIX must be a relative/],
    [
      "part size below S3's minimum",
      { UPLOAD_PART_SIZE_MB: "4" },
      /^UPLOAD_PART_SIZE_MB must be between 5 and 512/,
    ],
    ["a lease too short", { LEASE_SECONDS: "1" }, /^LEASE_SECONDS must be between 3/],
    [
      "a monitor on another server than the data",
      { DATA_DB_MONITOR_URL: "mysql://m:p@other.example:3306/app" },
      /^DATA_DB_MONITOR_URL must name the same server/,
    ],
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
          assert.doesNotMatch(err.message, /Zq8pw/, "never echoes a password");
          return true;
        },
      );
    });
  }

  it("stops queries from the monitor, else from the task-table user on the data's server, else from nowhere else", () => {
    const reader = "mysql://reader:r@DB.example/app";
    const monitor = "mysql://mon:m@db.example:3306/app";
    const at = (env: Record<string, string>) => monitorFor(loadConfig({ ...base, ...env }));
    assert.equal(at({ DATA_DB_URL: reader, DATA_DB_MONITOR_URL: monitor })?.url, monitor);
    // Same engine, host (any case) and port (3306 is the default) as the task table.
    assert.equal(at({ DATA_DB_URL: reader })?.url, base.TASK_DB_URL);
    assert.equal(at({ DATA_DB_URL: "mysql://reader:r@db.example:3307/app" }), undefined);
    assert.equal(at({ DATA_DB_URL: "mysql://reader:r@other.example/app" }), undefined);
    assert.equal(at({ DATA_DB_URL: "postgres://reader:r@db.example:3306/app" }), undefined);
    // The task-table user as the data user: there is no other login to stop it from.
    assert.equal(at({}), undefined);
  });
});
