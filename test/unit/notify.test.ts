// What a notification says and how it travels: the signature (test vector, the receiver's
// check), the event, the bounded backoff, the signed POST and the notifier (lib/notify).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { SNSClient } from "@aws-sdk/client-sns";
import { createLogger, type LogSink } from "../../lib/logger.js";
import {
  DEFAULT_POLICY,
  deliveryBudgetMs,
  Permanent,
  withBackoff,
} from "../../lib/notify/backoff.js";
import { finishedEvent } from "../../lib/notify/event.js";
import { createNotifier } from "../../lib/notify/notifier.js";
import { loadNotifySettings } from "../../lib/notify/settings.js";
import { originKey, signBody, verifyBody } from "../../lib/notify/signature.js";
import { publishEvent } from "../../lib/notify/sns.js";
import { resolveTarget } from "../../lib/notify/target.js";
import { postSigned } from "../../lib/notify/webhook.js";
import type { TaskRow } from "../../lib/tasks/store.js";

// The README's test vector (computed independently with `openssl dgst -sha256 -hmac`).
const KEY = "offline-export-webhook-test-secret-0001";
const TS = 1767225600;
const BODY =
  '{"type":"offline-export.task.finished","id":42,"status":2,"state":"succeeded","creator":"测试员","name":"订单导出","rows":1000,"bytes":52311,"link":"https://dl.example.com/d/42?o=task-42-a1-0b7c1f2e.csv&e=1769817600&s=e30bac1f","msg":null,"finishedAt":"2026-01-01T00:00:00.000Z"}';

describe("the webhook signature", () => {
  it("matches the README's test vectors", () => {
    assert.equal(
      signBody(KEY, TS, BODY),
      "v1=17915237fc3bf6ee638462685b3215f1536a86734c2c63d3feabc976af73be03",
    );
    const derived = originKey(KEY, "https://hooks.example.com");
    assert.equal(derived, "86e67d85f056e1c08c88122dc2ae4c709219e2a6aaea33e605a02edb281b8016");
    assert.equal(
      signBody(derived, TS, BODY),
      "v1=3216703ac79e9bc7c8e63150726970f99497072bf7a20a596e050361b00d6a1b",
    );
  });

  it("is the one the README states (vectors, headers, settings)", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const text of [
      KEY,
      String(TS),
      BODY,
      signBody(KEY, TS, BODY),
      originKey(KEY, "https://hooks.example.com"),
      signBody(originKey(KEY, "https://hooks.example.com"), TS, BODY),
      "X-Offline-Export-Timestamp",
      "X-Offline-Export-Signature",
      `${Buffer.byteLength(BODY)} bytes`,
      "NOTIFY_TOPIC_ARN",
      "NOTIFY_WEBHOOK_URL",
      "NOTIFY_WEBHOOK_SECRET_ARN",
      "NOTIFY_WEBHOOK_ALLOW",
      "NOTIFY_TIMEOUT_SECONDS",
    ])
      assert.ok(readme.includes(text), text);
  });

  it("is accepted by the receiver's check only fresh and unaltered", () => {
    const sig = signBody(KEY, TS, BODY);
    assert.ok(verifyBody(KEY, String(TS), sig, BODY, TS));
    assert.ok(verifyBody(KEY, String(TS), sig, Buffer.from(BODY), TS + 300));
    assert.ok(verifyBody(KEY, String(TS), sig, BODY, TS - 300));
    assert.ok(!verifyBody(KEY, String(TS), sig, BODY, TS + 301), "too old: a replay");
    assert.ok(!verifyBody(KEY, String(TS), sig, BODY, TS - 301), "from the future");
    assert.ok(!verifyBody(KEY, String(TS), sig, BODY.replace("1000", "1001"), TS), "body");
    assert.ok(!verifyBody(KEY, String(TS + 1), sig, BODY, TS), "timestamp re-signed? no");
    assert.ok(!verifyBody(`${KEY}x`, String(TS), sig, BODY, TS), "another key");
    assert.ok(!verifyBody(KEY, String(TS), sig.slice(0, -1), BODY, TS), "short");
    assert.ok(!verifyBody(KEY, undefined, sig, BODY, TS));
    assert.ok(!verifyBody(KEY, String(TS), undefined, BODY, TS));
    assert.ok(!verifyBody(KEY, "1e9", sig, BODY, TS));
    // A re-encoded body (PHP's json_encode escapes 测 as \u6d4b) is not what was signed.
    assert.ok(
      !verifyBody(
        KEY,
        String(TS),
        sig,
        JSON.stringify(JSON.parse(BODY)).replace("测", "\\u6d4b"),
        TS,
      ),
    );
  });
});

function row(over: Partial<TaskRow> & { options?: string | null } = {}): TaskRow {
  const { options = null, ...rest } = over;
  const finished = new Date("2026-01-01T00:00:00Z");
  return {
    task: {
      id: 42,
      name: "订单导出",
      title: "a",
      query: "SELECT 1",
      createrName: "测试员",
      attempts: 1,
      options,
    },
    status: 2,
    msg: null,
    filepath: "https://dl.example.com/d/42?o=x&e=1&s=ab",
    s3Key: "exports/x.csv",
    rowCount: 1000,
    byteCount: 52311,
    waitedSeconds: 1,
    cancelledBy: null,
    slices: null,
    timeline: {
      created_at: finished,
      dispatched_at: finished,
      retry_at: null,
      started_at: finished,
      heartbeat_at: finished,
      cancel_requested_at: null,
      finished_at: finished,
    },
    ...rest,
  };
}

describe("the event", () => {
  it("carries the final row's fields, in a fixed shape", () => {
    assert.deepEqual(finishedEvent(row()), {
      type: "offline-export.task.finished",
      id: 42,
      status: 2,
      state: "succeeded",
      creator: "测试员",
      name: "订单导出",
      rows: 1000,
      bytes: 52311,
      link: "https://dl.example.com/d/42?o=x&e=1&s=ab",
      msg: null,
      finishedAt: "2026-01-01T00:00:00.000Z",
    });
    const failed = finishedEvent(
      row({ status: 3, msg: "The query failed: x.", filepath: null, rowCount: null }),
    );
    assert.deepEqual(
      [failed?.status, failed?.state, failed?.link, failed?.msg, failed?.rows],
      [3, "failed", null, "The query failed: x.", null],
    );
    const cancelled = finishedEvent(
      row({ status: 3, msg: "Cancelled by bob after 10 rows; no file was kept." }),
    );
    assert.equal(cancelled?.state, "cancelled");
    assert.equal(cancelled?.link, null, "no link unless it succeeded");
  });

  it("is nothing for a task that is not final", () => {
    for (const status of [0, 1]) assert.equal(finishedEvent(row({ status })), undefined);
  });
});

describe("backoff", () => {
  const fakeClock = () => {
    let t = 1_000_000;
    const waits: number[] = [];
    return {
      waits,
      now: () => t,
      advance: (ms: number) => {
        t += ms;
      },
      sleep: async (ms: number) => {
        waits.push(ms);
        t += ms;
      },
    };
  };

  it("tries three times, 0.5 s then 1 s apart, each within its timeout", async () => {
    assert.equal(deliveryBudgetMs(DEFAULT_POLICY), 3 * 5000 + 500 + 1000);
    const c = fakeClock();
    const timeouts: number[] = [];
    const r = await withBackoff(
      async (ms) => {
        timeouts.push(ms);
        c.advance(ms); // hangs until its timeout
        throw new Error("no answer");
      },
      DEFAULT_POLICY,
      c.now() + deliveryBudgetMs(DEFAULT_POLICY),
      c,
    );
    assert.equal(r.ok, false);
    assert.equal(r.tries, 3);
    assert.deepEqual(c.waits, [500, 1000]);
    assert.deepEqual(timeouts, [5000, 5000, 5000]);
  });

  it("stops at the first success, and at once on a permanent failure", async () => {
    const c = fakeClock();
    let n = 0;
    const ok = await withBackoff(
      async () => {
        n += 1;
        if (n < 3) throw new Error("503");
      },
      DEFAULT_POLICY,
      c.now() + 60_000,
      c,
    );
    assert.deepEqual(ok, { ok: true, tries: 3 });
    const no = await withBackoff(
      async () => {
        throw new Permanent("404");
      },
      DEFAULT_POLICY,
      c.now() + 60_000,
      c,
    );
    assert.equal(no.tries, 1);
  });

  it("never runs past its end: tries are cut to the time left, none starts with under 250 ms", async () => {
    for (const budget of [0, 200, 3000, 5600, 7000, 12_000]) {
      const c = fakeClock();
      const end = c.now() + budget;
      const r = await withBackoff(
        async (ms) => {
          c.advance(ms);
          throw new Error("no answer");
        },
        DEFAULT_POLICY,
        end,
        c,
      );
      assert.ok(c.now() <= end, `budget ${budget}: ran ${c.now() - end} ms over`);
      assert.equal(r.ok, false);
      if (budget < 250) assert.equal(r.tries, 0);
    }
  });
});

/** A receiver on 127.0.0.1 whose answers the test sets; it records what it got. */
function receiver() {
  const got: { req: IncomingMessage; body: string }[] = [];
  let answer: (n: number) => number | "hang" = () => 200;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      got.push({ req, body });
      const a = answer(got.length);
      if (a === "hang") return;
      res.writeHead(a, a === 302 ? { location: "http://169.254.169.254/" } : {});
      res.end("ok");
    });
  });
  return {
    got,
    server,
    answer: (f: typeof answer) => {
      answer = f;
      got.length = 0;
    },
    port: () => (server.address() as AddressInfo).port,
  };
}

describe("the signed POST", () => {
  const r = receiver();
  before(() => new Promise<void>((ok) => r.server.listen(0, "127.0.0.1", ok)));
  after(() => {
    r.server.closeAllConnections();
    r.server.close();
  });
  const target = () => ({
    // A name with no DNS record: the request can only reach the pinned address.
    url: new URL(`http://hooks.invalid:${r.port()}/hook?x=1`),
    address: "127.0.0.1",
    family: 4 as const,
  });

  it("posts the body to the pinned address, signed, with the URL's host", async () => {
    r.answer(() => 204);
    await postSigned(target(), KEY, BODY, 2000, () => TS);
    const [{ req, body }] = r.got as [{ req: IncomingMessage; body: string }];
    assert.equal(req.method, "POST");
    assert.equal(req.url, "/hook?x=1");
    assert.equal(req.headers.host, `hooks.invalid:${r.port()}`);
    assert.equal(req.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(body, BODY);
    assert.equal(req.headers["x-offline-export-timestamp"], String(TS));
    assert.equal(req.headers["x-offline-export-signature"], signBody(KEY, TS, BODY));
  });

  it("retries what may pass later, not what will not; follows no redirect", async () => {
    for (const [code, permanent] of [
      [503, false],
      [429, false],
      [408, false],
      [404, true],
      [401, true],
      [302, true],
    ] as const) {
      r.answer(() => code);
      await assert.rejects(
        postSigned(target(), KEY, BODY, 2000),
        (e: Error) => e instanceof Permanent === permanent && e.message.includes(String(code)),
      );
      assert.equal(r.got.length, 1, "the redirect was not followed");
    }
  });

  it("gives up on a receiver that does not answer within the timeout", async () => {
    r.answer(() => "hang");
    const t0 = Date.now();
    await assert.rejects(postSigned(target(), KEY, BODY, 300), /no answer within 300 ms/);
    assert.ok(Date.now() - t0 < 1500);
  });

  it("fails fast where nothing listens", async () => {
    await assert.rejects(
      postSigned({ ...target(), url: new URL("http://hooks.invalid:9/") }, KEY, BODY, 2000),
      /ECONNREFUSED/,
    );
  });
});

describe("the notifier", () => {
  const r = receiver();
  before(() => new Promise<void>((ok) => r.server.listen(0, "127.0.0.1", ok)));
  after(() => {
    r.server.closeAllConnections();
    r.server.close();
  });
  const secret = "s".repeat(40);
  const lines: string[] = [];
  const sink = Object.fromEntries(
    ["debug", "info", "warn", "error"].map((l) => [
      l,
      (m: string, f?: unknown) => lines.push(`${l} ${m} ${JSON.stringify(f)}`),
    ]),
  ) as unknown as LogSink;
  const published: unknown[] = [];
  const sns = {
    send: async (cmd: { input: unknown }) => {
      published.push(cmd.input);
      return {};
    },
  } as unknown as SNSClient;
  const make = (current: () => Promise<TaskRow | undefined>, env: Record<string, string> = {}) =>
    createNotifier({
      settings: loadNotifySettings(
        {
          NOTIFY_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:done",
          NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${r.port()}/deployment`,
          NOTIFY_WEBHOOK_SECRET: secret,
          NOTIFY_WEBHOOK_ALLOW: `http://127.0.0.1:${r.port()}`,
          ...env,
        },
        1,
      ),
      sns,
      tasks: { get: current },
      logger: createLogger([], "test", sink),
      policy: { tries: 3, firstDelayMs: 50, timeoutMs: 500 },
    });

  it("sends a final row's event to SNS, the deployment's webhook and the task's own", async () => {
    r.answer(() => 200);
    published.length = 0;
    const own = `http://127.0.0.1:${r.port()}/own?t=1`;
    const n = make(async () => row({ options: JSON.stringify({ notify_url: own }) }));
    assert.deepEqual(await n?.taskFinished(42), { sent: 3, failed: 0 });
    const event = finishedEvent(row());
    assert.deepEqual(published, [
      {
        TopicArn: "arn:aws:sns:us-east-1:123456789012:done",
        Message: JSON.stringify(event),
        MessageAttributes: {
          status: { DataType: "Number", StringValue: "2" },
          state: { DataType: "String", StringValue: "succeeded" },
          creator: { DataType: "String", StringValue: "测试员" },
        },
      },
    ]);
    const byPath = Object.fromEntries(r.got.map((g) => [g.req.url, g]));
    const check = (path: string, key: string) => {
      const g = byPath[path];
      assert.ok(g, path);
      assert.deepEqual(JSON.parse(g.body), event);
      const h = g.req.headers;
      assert.ok(
        verifyBody(
          key,
          h["x-offline-export-timestamp"] as string,
          h["x-offline-export-signature"] as string,
          g.body,
        ),
        path,
      );
    };
    check("/deployment", secret);
    // The task's own receiver gets a key for its origin only.
    check("/own?t=1", originKey(secret, `http://127.0.0.1:${r.port()}`));
    assert.ok(
      !verifyBody(
        secret,
        byPath["/own?t=1"]?.req.headers["x-offline-export-timestamp"] as string,
        byPath["/own?t=1"]?.req.headers["x-offline-export-signature"] as string,
        byPath["/own?t=1"]?.body ?? "",
      ),
    );
  });

  it("sends nothing for a row that is not final, and never throws", async () => {
    r.answer(() => 200);
    published.length = 0;
    assert.deepEqual(await make(async () => row({ status: 1 }))?.taskFinished(42), {
      sent: 0,
      failed: 0,
    });
    assert.deepEqual(await make(async () => undefined)?.taskFinished(42), { sent: 0, failed: 0 });
    assert.deepEqual(
      await make(async () => {
        throw new Error("task db down at 10.1.2.3:3306");
      })?.taskFinished(42),
      { sent: 0, failed: 1 },
    );
    assert.equal(r.got.length + published.length, 0);
    assert.ok(
      lines.some(
        (l) => l.includes("could not be read") && l.includes("***") && !l.includes("10.1.2.3"),
      ),
      "logged, redacted",
    );
  });

  it("counts a receiver that keeps failing as one failed delivery, after its tries", async () => {
    r.answer(() => 500);
    lines.length = 0;
    const n = make(async () => row(), { NOTIFY_TOPIC_ARN: "" });
    assert.deepEqual(await n?.taskFinished(42), { sent: 0, failed: 1 });
    assert.equal(r.got.length, 3);
    assert.ok(
      lines.some((l) => l.startsWith("warn notification not delivered") && l.includes('"tries":3')),
    );
  });

  it("does not send to a task's URL the rules refuse (it failed the task when claimed)", async () => {
    r.answer(() => 200);
    const n = make(
      async () => row({ status: 3, msg: "x", options: '{"notify_url":"http://127.0.0.1:1/x"}' }),
      { NOTIFY_TOPIC_ARN: "", NOTIFY_WEBHOOK_URL: "" },
    );
    assert.deepEqual(await n?.taskFinished(42), { sent: 0, failed: 0 });
    assert.equal(r.got.length, 0);
  });

  it("exists only when a channel is configured, and checks a task's URL only with an allow-list", () => {
    assert.equal(
      make(async () => row(), {
        NOTIFY_TOPIC_ARN: "",
        NOTIFY_WEBHOOK_URL: "",
        NOTIFY_WEBHOOK_ALLOW: "",
        NOTIFY_WEBHOOK_SECRET: "",
      }),
      undefined,
    );
    const snsOnly = make(async () => row(), { NOTIFY_WEBHOOK_URL: "", NOTIFY_WEBHOOK_ALLOW: "" });
    assert.equal(snsOnly?.checkTaskUrl, undefined);
    const withList = make(async () => row());
    assert.equal(
      withList?.checkTaskUrl?.(`http://127.0.0.1:${r.port()}/a#b`),
      `http://127.0.0.1:${r.port()}/a`,
    );
    assert.throws(() => withList?.checkTaskUrl?.("http://127.0.0.1:1/"), /must be https/);
  });
});

describe("the NOTIFY_* settings", () => {
  const secret = { NOTIFY_WEBHOOK_SECRET: "k".repeat(32) };
  it("refuses what cannot work, naming the variable", () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ NOTIFY_TOPIC_ARN: "my-topic" }, /^NOTIFY_TOPIC_ARN must be a standard SNS topic ARN/],
      [{ NOTIFY_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t.fifo" }, /^NOTIFY_TOPIC_ARN/],
      [
        { NOTIFY_WEBHOOK_URL: "https://app.example.com/h" },
        /^NOTIFY_WEBHOOK_SECRET \(or NOTIFY_WEBHOOK_SECRET_ARN\) is required/,
      ],
      [{ NOTIFY_WEBHOOK_ALLOW: "hooks.example.com" }, /^NOTIFY_WEBHOOK_SECRET/],
      [
        { NOTIFY_WEBHOOK_URL: "https://app.example.com/h", NOTIFY_WEBHOOK_SECRET: "short" },
        /at least 32 characters/,
      ],
      [
        { ...secret, NOTIFY_WEBHOOK_URL: "http://app.example.com/h" },
        /^NOTIFY_WEBHOOK_URL must be https/,
      ],
      [
        { ...secret, NOTIFY_WEBHOOK_URL: "https://u:p@app.example.com/h" },
        /^NOTIFY_WEBHOOK_URL must not carry a user/,
      ],
      [{ ...secret, NOTIFY_WEBHOOK_ALLOW: "https://a.example.com/path" }, /^NOTIFY_WEBHOOK_ALLOW/],
    ];
    for (const [env, message] of bad)
      assert.throws(() => loadNotifySettings(env, 5), { message }, JSON.stringify(env));
  });

  it("allows a plain-http deployment URL only when its origin is listed (local tests)", () => {
    const s = loadNotifySettings(
      {
        ...secret,
        NOTIFY_WEBHOOK_URL: "http://127.0.0.1:8080/h",
        NOTIFY_WEBHOOK_ALLOW: "http://127.0.0.1:8080",
      },
      5,
    );
    assert.equal(s.webhookUrl?.href, "http://127.0.0.1:8080/h");
  });
});

describe("publishing to SNS", () => {
  const event = finishedEvent(row({ task: { ...row().task, createrName: "" } }));
  const failing = (err: Error) =>
    ({
      send: async () => {
        throw err;
      },
    }) as unknown as SNSClient;
  const withStatus = (name: string, code?: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: code } });

  it("leaves the creator attribute out when empty (SNS refuses empty values)", async () => {
    let input: { MessageAttributes?: Record<string, unknown> } = {};
    const sns = {
      send: async (cmd: { input: typeof input }) => {
        input = cmd.input;
      },
    } as unknown as SNSClient;
    await publishEvent(sns, "arn:aws:sns:us-east-1:123456789012:t", event as never, "{}", 1000);
    assert.deepEqual(Object.keys(input.MessageAttributes ?? {}), ["status", "state"]);
  });

  it("retries throttling, 5xx and network errors; not what another try would get again", async () => {
    const arn = "arn:aws:sns:us-east-1:123456789012:t";
    for (const [err, permanent] of [
      [withStatus("NotFoundException", 404), true],
      [withStatus("AuthorizationErrorException", 403), true],
      [withStatus("InvalidParameterException", 400), true],
      [withStatus("ThrottledException", 400), false],
      [withStatus("InternalErrorException", 500), false],
      [withStatus("TooManyRequests", 429), false],
      [withStatus("TimeoutError"), false],
    ] as const) {
      await assert.rejects(
        publishEvent(failing(err), arn, event as never, "{}", 1000),
        (e: Error) => e instanceof Permanent === permanent,
        err.name,
      );
    }
  });
});

describe("webhook edge cases", () => {
  it("stops reading a huge answer and takes its status", async () => {
    const big = createServer((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(200 * 1024, 120));
    });
    await new Promise<void>((ok) => big.listen(0, "127.0.0.1", ok));
    const port = (big.address() as AddressInfo).port;
    try {
      await postSigned(
        { url: new URL(`http://127.0.0.1:${port}/`), address: "127.0.0.1", family: 4 },
        KEY,
        "{}",
        2000,
      );
    } finally {
      big.closeAllConnections();
      big.close();
    }
  });

  it("gives up on a task database that stalls, by its end", async () => {
    const n = createNotifier({
      settings: loadNotifySettings({ NOTIFY_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t" }, 5),
      sns: {} as SNSClient,
      tasks: { get: () => new Promise(() => {}) },
      logger: createLogger([], "test", { debug() {}, info() {}, warn() {}, error() {} }),
    });
    const t0 = Date.now();
    assert.deepEqual(await n?.taskFinished(42, Date.now() + 300), { sent: 0, failed: 1 });
    assert.ok(Date.now() - t0 < 1000);
  });

  it("gives up on a resolver that does not answer, and prefers IPv4", async () => {
    const settings = loadNotifySettings(
      { NOTIFY_WEBHOOK_SECRET: KEY, NOTIFY_WEBHOOK_ALLOW: "*.partner.example" },
      1,
    );
    const lines: string[] = [];
    const log = (m: string, f?: unknown) => lines.push(`${m} ${JSON.stringify(f)}`);
    const sink = { debug: log, info: log, warn: log, error: log };
    const n = createNotifier({
      settings,
      sns: undefined,
      tasks: {
        get: async () =>
          row({ options: '{"notify_url":"https://a.partner.example/x?token=s3cr3t"}' }),
      },
      logger: createLogger([], "test", sink),
      lookup: () => new Promise(() => {}),
      policy: { tries: 1, firstDelayMs: 10, timeoutMs: 200 },
    });
    assert.deepEqual(await n?.taskFinished(42), { sent: 0, failed: 1 });
    const line = lines.find((l) => l.startsWith("notification not delivered")) ?? "";
    assert.match(line, /resolving the host took over 1\d\d ms|resolving the host took over 200 ms/);
    assert.match(line, /"host":"a.partner.example"/);
    assert.doesNotMatch(line, /s3cr3t/, "the URL's query is not logged");
    const t = await resolveTarget(
      new URL("https://a.partner.example/"),
      settings.allow,
      false,
      async () => [
        { address: "2606:2800::1", family: 6 },
        { address: "93.184.216.34", family: 4 },
      ],
    );
    assert.equal(t.address, "93.184.216.34");
  });
});
