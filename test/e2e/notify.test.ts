// Task-finished notifications through the real pipeline (issue 16): rows inserted as PHP
// would, run by scheduler, SQS and worker; events read back from the emulator's SNS (delivered
// to SQS queues, raw and enveloped, one behind a filter policy) and from HTTP receivers on
// 127.0.0.1 that check the signature as the README's PHP does.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { receiveEvents, type Subscriber, topicWithQueues } from "../../lib/local/notify-setup.js";
import { originKey, signBody, verifyBody } from "../../lib/notify/signature.js";
import { STATUS } from "../../lib/status.js";
import { type Harness, makeHarness, uniqueName, until } from "../helpers.js";
import { createOrders, ORDERS_TITLE, ordersQuery } from "./fixtures.js";

const SECRET = "notify-e2e-secret-".padEnd(48, "s");

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The receiver's verdict on the signature and timestamp. */
  verified: boolean;
  /** The task's status when the request arrived (read from the task table then). */
  statusOnArrival?: number;
  at: number;
}

/**
 * The receiver a PHP app would run: /deployment checks with NOTIFY_WEBHOOK_SECRET, /own/* with
 * the key derived for this origin; /flaky fails twice with 503 first; /hang never answers.
 */
function receiver(statusOf: (id: number) => Promise<number | undefined>) {
  const hits: Hit[] = [];
  let flaky = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "";
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const key = path === "/deployment" ? SECRET : originKey(SECRET, origin);
      const verified = verifyBody(
        key,
        req.headers["x-offline-export-timestamp"] as string | undefined,
        req.headers["x-offline-export-signature"] as string | undefined,
        body,
      );
      let statusOnArrival: number | undefined;
      try {
        statusOnArrival = await statusOf(Number(JSON.parse(body).id));
      } catch {
        // not an event body (a tampered test request)
      }
      hits.push({ path, headers: req.headers, body, verified, statusOnArrival, at: Date.now() });
      if (path === "/hang") return;
      if (path === "/flaky" && ++flaky <= 2) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(verified ? 200 : 401).end(verified ? "ok" : "bad signature");
    });
  });
  return { server, hits };
}

/** php -S with the README's verification (php/OfflineExportWebhook.php), if php is installed. */
async function phpReceiver(): Promise<
  { origin: string; log: () => { path: string; event: unknown }[]; stop: () => void } | undefined
> {
  if (spawnSync("php", ["-v"]).status !== 0) return undefined;
  const free = createTcpServer();
  const port = await listen(free as unknown as Server);
  await new Promise((r) => free.close(r));
  const log = join(mkdtempSync(join(tmpdir(), "oe-php-hook-")), "hooks.jsonl");
  writeFileSync(log, "");
  const child: ChildProcess = spawn(
    "php",
    ["-S", `127.0.0.1:${port}`, join(import.meta.dirname, "php-webhook-receiver.php")],
    { env: { PATH: process.env.PATH, OE_HOOK_SECRET: SECRET, OE_HOOK_LOG: log }, stdio: "ignore" },
  );
  const origin = `http://127.0.0.1:${port}`;
  await until(
    () =>
      fetch(origin, { method: "HEAD" }).then(
        () => true,
        () => false,
      ),
    10_000,
  );
  return {
    origin,
    log: () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l)),
    stop: () => child.kill(),
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

describe("notifications: SNS to SQS, signed webhooks, the allow-list, retries", () => {
  let h: Harness;
  let orders: string;
  let port: number;
  let rec: ReturnType<typeof receiver>;
  let inside: ReturnType<typeof receiver>;
  let insidePort: number;
  let php: Awaited<ReturnType<typeof phpReceiver>>;
  let all: Subscriber;
  let failedOnly: Subscriber;
  const where = {
    region: process.env.AWS_REGION ?? "us-east-1",
    endpointUrl: process.env.AWS_ENDPOINT_URL,
  };

  before(async () => {
    const statusOf = async (id: number) => (await h.app.exportDeps.tasks.get(id))?.status;
    rec = receiver(statusOf);
    inside = receiver(statusOf);
    port = await listen(rec.server);
    insidePort = await listen(inside.server);
    php = await phpReceiver();
    const topic = await topicWithQueues(where, uniqueName("oe-done").replaceAll("_", "-"), [
      { suffix: "all", raw: false },
      { suffix: "failed", raw: true, filterPolicy: { state: ["failed"] } },
    ]);
    [all, failedOnly] = topic.subscribers as [Subscriber, Subscriber];
    h = await makeHarness({
      taskEngine: "mysql",
      dataEngine: "postgres",
      env: {
        NOTIFY_TOPIC_ARN: topic.topicArn,
        NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${port}/deployment`,
        NOTIFY_WEBHOOK_SECRET: SECRET,
        // Only this receiver's origin: the "inside" one on another port is not listed.
        NOTIFY_WEBHOOK_ALLOW: [`http://127.0.0.1:${port}`, php?.origin ?? ""].join(","),
        NOTIFY_TIMEOUT_SECONDS: "2",
      },
    });
    orders = await createOrders(h.dataDb, 20);
  });
  after(async () => {
    php?.stop();
    for (const s of [rec.server, inside.server]) {
      s.closeAllConnections();
      s.close();
    }
    await h.dataDb.query(`DROP TABLE ${orders}`);
    await h.close();
  });

  const events = async (s: Subscriber, n: number) => {
    const got: Awaited<ReturnType<typeof receiveEvents>> = [];
    await until(async () => {
      got.push(...(await receiveEvents(where, s, 1)));
      return got.length >= n;
    }, 10_000);
    return got;
  };

  it("(a) publishes each finished task's event to SNS: status 2 with its link, status 3 with its msg", async (t) => {
    const ok = await h.insertTask({
      name: "通知成功",
      title: ORDERS_TITLE,
      query: ordersQuery(orders),
    });
    const bad = await h.insertTask({
      name: "通知失败",
      title: "a",
      query: "SELECT * FROM no_such_table_x",
    });
    await h.runUntilIdle(120);
    const okRow = await h.app.exportDeps.tasks.get(ok);
    const badRow = await h.app.exportDeps.tasks.get(bad);
    assert.equal(okRow?.status, STATUS.succeeded, okRow?.msg ?? "");
    assert.equal(badRow?.status, STATUS.failed);

    const got = await events(all, 2);
    const byId = Object.fromEntries(got.map((m) => [m.event.id, m]));
    const s = byId[ok];
    assert.ok(s, JSON.stringify(got));
    assert.deepEqual(s.event, {
      type: "offline-export.task.finished",
      id: ok,
      status: 2,
      state: "succeeded",
      creator: "测试员",
      name: "通知成功",
      rows: 26,
      bytes: okRow?.byteCount,
      link: okRow?.filepath,
      msg: null,
      finishedAt: okRow?.timeline.finished_at?.toISOString(),
    });
    assert.deepEqual(s.attributes, { status: "2", state: "succeeded", creator: "测试员" });
    const f = byId[bad];
    assert.equal(f?.event.status, 3);
    assert.equal(f?.event.state, "failed");
    assert.equal(f?.event.link, null);
    assert.equal(f?.event.msg, badRow?.msg);
    assert.match(String(f?.event.msg), /no_such_table_x/);
    // The download link in the event works.
    const file = await fetch(String(s.event.link));
    assert.equal(file.status, 200);
    // A subscriber filtering on the attributes gets the failure only, delivered raw.
    const failures = await events(failedOnly, 1);
    assert.deepEqual(
      failures.map((m) => [m.event.id, m.attributes.status, m.attributes.state]),
      [[bad, "3", "failed"]],
    );
    t.diagnostic(`SNS message (enveloped, as the SQS subscriber got it): ${s.body}`);
  });

  it("(b) posts the event to the webhook signed; the receiver's check refuses it tampered or old", async (t) => {
    rec.hits.length = 0;
    const own = `http://127.0.0.1:${port}/own/orders?k=1`;
    const id = await h.insertTask({
      name: "签名",
      title: ORDERS_TITLE,
      query: ordersQuery(orders),
      options: JSON.stringify({ notify_url: own }),
    });
    await h.runUntilIdle(120);
    const row = await h.app.exportDeps.tasks.get(id);
    assert.equal(row?.status, STATUS.succeeded, row?.msg ?? "");
    await until(async () => rec.hits.length >= 2, 5000);
    const deployment = rec.hits.find((x) => x.path === "/deployment");
    const task = rec.hits.find((x) => x.path === "/own/orders?k=1");
    for (const hit of [deployment, task]) {
      assert.ok(hit, JSON.stringify(rec.hits.map((x) => x.path)));
      assert.ok(hit.verified, `${hit.path}: the signature checks out`);
      assert.equal(hit.statusOnArrival, STATUS.succeeded, "the row was final before the POST");
      assert.equal(JSON.parse(hit.body).link, row?.filepath);
      assert.equal(hit.headers["content-type"], "application/json; charset=utf-8");
    }
    // The task's own receiver holds a key for its origin only: the deployment's key does not
    // verify its request, and its key does not sign for the deployment's receiver.
    const tt = task as Hit;
    assert.ok(
      !verifyBody(
        SECRET,
        tt.headers["x-offline-export-timestamp"] as string,
        tt.headers["x-offline-export-signature"] as string,
        tt.body,
      ),
    );
    t.diagnostic(
      `webhook request: POST /deployment ${JSON.stringify({
        "x-offline-export-timestamp": deployment?.headers["x-offline-export-timestamp"],
        "x-offline-export-signature": deployment?.headers["x-offline-export-signature"],
      })} ${deployment?.body}`,
    );

    // Replays and forgeries against the same receiver.
    const d = deployment as Hit;
    const post = (body: string, ts: string, sig: string) =>
      fetch(`http://127.0.0.1:${port}/deployment`, {
        method: "POST",
        body,
        headers: { "x-offline-export-timestamp": ts, "x-offline-export-signature": sig },
      }).then((r) => r.status);
    const ts = d.headers["x-offline-export-timestamp"] as string;
    const sig = d.headers["x-offline-export-signature"] as string;
    assert.equal(await post(d.body, ts, sig), 200, "the captured request, within 300 s");
    assert.equal(
      await post(d.body.replace('"rows":26', '"rows":27'), ts, sig),
      401,
      "tampered body",
    );
    assert.equal(await post(d.body, String(Number(ts) + 1), sig), 401, "timestamp changed");
    const old = String(Math.floor(Date.now() / 1000) - 301);
    assert.equal(await post(d.body, old, signBody(SECRET, old, d.body)), 401, "older than 300 s");
    assert.equal(
      await post(d.body, ts, signBody(originKey(SECRET, `http://127.0.0.1:${port}`), ts, d.body)),
      401,
      "signed with a task receiver's key",
    );
  });

  it("(b) is accepted by the README's PHP check (php/OfflineExportWebhook.php under php -S), with the key derived for its origin", async (t) => {
    if (!php) {
      t.skip("php is not installed");
      return;
    }
    const id = await h.insertTask({
      name: "PHP 接收",
      title: ORDERS_TITLE,
      query: ordersQuery(orders),
      options: JSON.stringify({ notify_url: `${php.origin}/oe-hook?src=export` }),
    });
    await h.runUntilIdle(120);
    const row = await h.app.exportDeps.tasks.get(id);
    assert.equal(row?.status, STATUS.succeeded, row?.msg ?? "");
    // (The readiness probe's HEAD / is in the log too.)
    const hooks = () => (php?.log() ?? []).filter((x) => x.path.startsWith("/oe-hook"));
    await until(async () => hooks().length >= 1, 5000);
    const [hit] = hooks() as [{ path: string; event: Record<string, unknown> | null }];
    assert.equal(hit.path, "/oe-hook?src=export");
    assert.ok(hit.event, "the PHP check accepted the signature and timestamp");
    assert.deepEqual(
      [hit.event.id, hit.event.status, hit.event.name, hit.event.link],
      [id, 2, "PHP 接收", row?.filepath],
    );
    // The same check refuses what a third party replays later, or alters.
    const post = (body: string, ts: number) =>
      fetch(`${php?.origin}/oe-hook`, {
        method: "POST",
        body,
        headers: {
          "x-offline-export-timestamp": String(ts),
          "x-offline-export-signature": signBody(
            originKey(SECRET, php?.origin as string),
            ts,
            body,
          ),
        },
      }).then((r) => r.status);
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(hit.event);
    assert.equal(await post(body, now), 200);
    assert.equal(await post(body, now - 301), 401);
  });

  it("(c) refuses a task's notify_url to an address not on the allow-list: the task fails with the options msg, nothing is sent there", async () => {
    rec.hits.length = 0;
    const targets = [
      `http://127.0.0.1:${insidePort}/steal`,
      `http://[::ffff:127.0.0.1]:${insidePort}/steal`,
      `http://2130706433:${insidePort}/steal`,
      "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
      `https://[::1]:${insidePort}/steal`,
      `https://127.0.0.1:${insidePort}/steal`,
      `http://user:pw@127.0.0.1:${port}/deployment`,
    ];
    const ids: number[] = [];
    for (const url of targets)
      ids.push(
        await h.insertTask({
          name: "内网",
          title: "a",
          query: "SELECT 1",
          options: JSON.stringify({ notify_url: url }),
        }),
      );
    await h.runUntilIdle(120);
    for (const [i, id] of ids.entries()) {
      const row = await h.app.exportDeps.tasks.get(id);
      assert.equal(row?.status, STATUS.failed, targets[i]);
      assert.match(
        String(row?.msg),
        /^The task's options cannot be used: option "notify_url": /,
        targets[i],
      );
      assert.match(
        String(row?.msg),
        i === 6
          ? /user name or password/
          : i >= 3
            ? /not on the deployment's webhook allow-list \(NOTIFY_WEBHOOK_ALLOW\)/
            : /must be https|NOTIFY_WEBHOOK_ALLOW/,
        `${targets[i]}: ${row?.msg}`,
      );
    }
    assert.equal(inside.hits.length, 0, "no request reached the internal receiver");
    // The deployment's own channels still hear of each failure.
    await until(
      async () => rec.hits.filter((x) => x.path === "/deployment").length >= ids.length,
      5000,
    );
    assert.deepEqual(
      rec.hits.map((x) => x.path).sort(),
      ids.map(() => "/deployment"),
    );
  });

  it("(d) retries a failing receiver until its 3rd try; a hanging one does not delay the row", async () => {
    rec.hits.length = 0;
    const flaky = await h.insertTask({
      name: "重试",
      title: "a",
      query: "SELECT 1",
      options: JSON.stringify({ notify_url: `http://127.0.0.1:${port}/flaky` }),
    });
    await h.runUntilIdle(120);
    await until(async () => rec.hits.filter((x) => x.path === "/flaky").length >= 3, 5000);
    const tries = rec.hits.filter((x) => x.path === "/flaky");
    assert.equal(tries.length, 3);
    assert.ok(tries.every((x) => x.verified && JSON.parse(x.body).id === flaky));
    const [t1, t2, t3] = tries.map((x) => x.at) as [number, number, number];
    assert.ok(
      t2 - t1 >= 450 && t3 - t2 >= 950,
      `backoff 0.5 s then 1 s, got ${t2 - t1}, ${t3 - t2}`,
    );
    // Signed again at each try: each timestamp is its own try's time.
    for (const x of tries)
      assert.ok(Math.abs(Number(x.headers["x-offline-export-timestamp"]) - x.at / 1000) < 2);

    rec.hits.length = 0;
    const hang = await h.insertTask({
      name: "挂起",
      title: ORDERS_TITLE,
      query: ordersQuery(orders),
      options: JSON.stringify({ notify_url: `http://127.0.0.1:${port}/hang` }),
    });
    const started = Date.now();
    let finalAt = 0;
    const run = h.runUntilIdle(120).then(() => Date.now());
    await until(async () => {
      if ((await h.app.exportDeps.tasks.get(hang))?.status === STATUS.succeeded)
        finalAt = Date.now();
      return finalAt > 0;
    }, 60_000);
    const runEnd = await run;
    assert.ok(finalAt > 0, "the task succeeded");
    const hangs = rec.hits.filter((x) => x.path === "/hang");
    // 3 tries of 2 s (NOTIFY_TIMEOUT_SECONDS) with 0.5 s and 1 s between: the row was final
    // before the first, and the run (the Lambda invocation) ended only after the last.
    assert.equal(hangs.length, 3);
    assert.ok(hangs.every((x) => x.statusOnArrival === STATUS.succeeded));
    assert.ok(finalAt < (hangs[2] as Hit).at, "status 2 was visible while the receiver hung");
    assert.ok(
      runEnd - (hangs[0] as Hit).at >= 6000,
      `the hang lasted ${runEnd - (hangs[0] as Hit).at} ms`,
    );
    assert.ok(runEnd - started < 30_000);
    const row = await h.app.exportDeps.tasks.get(hang);
    assert.equal(row?.status, STATUS.succeeded, "a failed notification changes nothing");
    assert.equal(row?.msg, null);
  });
});

describe("notifications with the task table on PostgreSQL (SNS only)", () => {
  let h: Harness;
  let sub: Subscriber;
  const where = {
    region: process.env.AWS_REGION ?? "us-east-1",
    endpointUrl: process.env.AWS_ENDPOINT_URL,
  };
  before(async () => {
    const topic = await topicWithQueues(where, uniqueName("oe-pg-done").replaceAll("_", "-"), [
      { suffix: "raw", raw: true },
    ]);
    sub = topic.subscribers[0] as Subscriber;
    h = await makeHarness({
      taskEngine: "postgres",
      dataEngine: "mysql",
      env: { NOTIFY_TOPIC_ARN: topic.topicArn },
    });
  });
  after(() => h.close());

  it("publishes the same event from a PostgreSQL task row, finishedAt in UTC", async () => {
    const id = await h.insertTask({ name: "pg", title: "序号,n", query: "SELECT 1 AS n" });
    await h.runUntilIdle(60);
    const row = await h.app.exportDeps.tasks.get(id);
    assert.equal(row?.status, STATUS.succeeded, row?.msg ?? "");
    const got: Awaited<ReturnType<typeof receiveEvents>> = [];
    await until(async () => {
      got.push(...(await receiveEvents(where, sub, 1)));
      return got.length >= 1;
    }, 10_000);
    assert.equal(got.length, 1);
    const e = got[0]?.event as Record<string, unknown>;
    assert.deepEqual([e.id, e.status, e.rows, e.link], [id, 2, 1, row?.filepath]);
    assert.equal(e.finishedAt, row?.timeline.finished_at?.toISOString());
    assert.ok(Math.abs(Date.parse(String(e.finishedAt)) - Date.now()) < 60_000);
  });
});
