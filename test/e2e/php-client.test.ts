// The PHP side (php/: client, SQS publish, download centre) under PHPUnit, against the real task
// table on each engine, the real queue and a running worker. The worker runs here without the
// scheduler, so a task starts only if PHP sent it: the publish is what the latency test times.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../lib/db/url.js";
import type { DownloadDeps } from "../../lib/links/download.js";
import { serveDownloads } from "../../lib/local/download-server.js";
import { runLocal } from "../../lib/local/local-runner.js";
import { ENGINES, type Harness, makeHarness, seriesSql, taskUrl } from "../helpers.js";

const INSTALL = "apt-get install -y php-cli php-mysql php-pgsql phpunit php-async-aws-sqs";
const LINK_SECRET = "php-client-test-link-key-".padEnd(40, "k");
const root = join(import.meta.dirname, "..", "..");

/** What is missing to run the PHP tests, or undefined. */
function phpMissing(): string | undefined {
  const php = spawnSync("php", [
    "-r",
    "exit(PHP_VERSION_ID >= 80200 && extension_loaded('pdo_mysql') && extension_loaded('pdo_pgsql') && stream_resolve_include_path('AsyncAws/Sqs/autoload.php') ? 0 : 1);",
  ]);
  if (php.error || php.status !== 0) return "PHP 8.2 with pdo_mysql, pdo_pgsql and AsyncAws SQS";
  const unit = spawnSync("phpunit", ["--version"]);
  if (unit.error || unit.status !== 0) return "phpunit";
}

const missing = phpMissing();
const why = missing && `the PHP tests need ${missing}: ${INSTALL}`;

/** Rows 1..5 as (n, '行' || n): the file's lines are "i,i,行i" after the row number. */
function smallSql(engine: Engine): string {
  const text = engine === "mysql" ? "CONCAT('行', s.n)" : "'行' || s.n";
  return `SELECT s.n, ${text} AS t FROM ${seriesSql(engine, 5)} ORDER BY s.n`;
}

/** Far more rows than run before the cancel lands; streamed, never materialised first. */
function bigSql(engine: Engine): string {
  return engine === "mysql"
    ? `SELECT s.n FROM ${seriesSql(engine, 50_000_000)}`
    : "SELECT generate_series(1, 200000000) AS n";
}

function phpunit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("phpunit", ["-c", join(root, "php", "phpunit.xml")], { env });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill(), 240_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// Under CI a missing PHP fails the run; elsewhere the tests are skipped, saying how to install it.
const underCi = !["", "0", "false", undefined].includes(process.env.CI);
if (missing && underCi) {
  it("runs the PHP tests", () => assert.fail(why));
}

for (const engine of ENGINES) {
  describe(`PHP client, queue and download centre with the task table on ${engine}`, {
    skip: missing ? why : false,
  }, () => {
    let h: Harness;
    let closeDownloads: () => Promise<void>;
    let base: string;
    const stop = new AbortController();
    let worker: Promise<void>;

    before(async () => {
      // The download function first, so its URL can go into the links the worker mints.
      let deps: DownloadDeps | undefined;
      const served = await serveDownloads(() => deps as DownloadDeps, 0);
      base = served.url;
      closeDownloads = served.close;
      h = await makeHarness({
        taskEngine: engine,
        dataEngine: engine,
        env: {
          LINK_MODE: "stable",
          LINK_SECRET,
          LINK_BASE_URL: base,
          // Bounds a failed cancel test: the big query cannot outlive the run by long.
          STATEMENT_TIMEOUT_SECONDS: "60",
        },
      });
      deps = h.app.downloadDeps;
      worker = runLocal(h.app, {
        untilIdle: false,
        maxSeconds: 0,
        signal: stop.signal,
        scheduler: false,
      });
    });
    after(async () => {
      stop.abort();
      await worker;
      await closeDownloads();
      await h.close();
    });

    it("passes PHPUnit (php/tests) against the real table, queue and worker", async (t) => {
      const { code, output } = await phpunit({
        ...process.env,
        OE_PHP_TASK_DB_URL: taskUrl(engine),
        OE_PHP_TASK_TABLE: h.config.taskTable.name,
        OE_PHP_LINK_SECRET: LINK_SECRET,
        OE_PHP_LINK_BASE: base,
        OE_PHP_SMALL_SQL: smallSql(engine),
        OE_PHP_BIG_SQL: bigSql(engine),
        EXPORT_QUEUE_URL: h.config.queueUrl,
        AWS_REGION: h.config.region,
      });
      // Progress dots share lines with the tests' own reports: keep the reports and the summary.
      for (const m of output.matchAll(/\[php\][^\n]*|^(OK \(|Tests: |FAILURES)[^\n]*/gm))
        t.diagnostic(m[0]);
      assert.equal(code, 0, output);
      assert.doesNotMatch(output, /Skipped: /, "every PHP test ran");
    });
  });
}
