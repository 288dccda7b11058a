// The CloudFormation template `serverless deploy` would upload (osls package, offline): the
// properties an operator's security review asks about, read from the generated JSON.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { METRICS_NAMESPACE } from "../../lib/metrics.js";

type Res = { Type: string; Condition?: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Res>; Conditions: Record<string, unknown> };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

const root = join(import.meta.dirname, "..", "..");
let t: Template;

/** Policy statements of a role; a statement behind Fn::If counts with its condition's name. */
function statements(role: string): { s: Statement; when?: string }[] {
  const policies = (t.Resources[role]?.Properties.Policies ?? []) as {
    PolicyDocument: { Statement: unknown[] };
  }[];
  return policies.flatMap((p) =>
    p.PolicyDocument.Statement.map((x) => {
      const iff = (x as { "Fn::If"?: [string, Statement, unknown] })["Fn::If"];
      return iff ? { s: iff[1], when: iff[0] } : { s: x as Statement };
    }),
  );
}
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
function env(fn: string): string[] {
  const props = t.Resources[fn]?.Properties;
  assert.ok(props, `no ${fn} in the template`);
  return Object.keys(
    (props.Environment as { Variables: Record<string, unknown> }).Variables,
  ).sort();
}
/** Which resources a role may read secrets from, as Ref names / values. */
function secretReads(role: string): string[] {
  return statements(role)
    .filter(({ s }) => actions(s).includes("secretsmanager:GetSecretValue"))
    .map(({ s }) => (s.Resource as { Ref: string }).Ref)
    .sort();
}

describe("the generated CloudFormation template", () => {
  before(() => {
    const out = mkdtempSync(join(tmpdir(), "oe-template-"));
    const r = spawnSync("npx", ["osls", "package", "--stage", "dev", "--package", out], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TASK_DB_URL: "", DATA_DB_URL: "" },
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    t = JSON.parse(readFileSync(join(out, "cloudformation-template-update-stack.json"), "utf8"));
  });

  it("refuses plain HTTP and TLS below 1.2 on the export bucket and its objects", () => {
    const policy = t.Resources.ExportBucketPolicy?.Properties as {
      Bucket: unknown;
      PolicyDocument: { Statement: (Statement & { Principal: unknown })[] };
    };
    assert.deepEqual(policy.Bucket, { Ref: "ExportBucket" });
    const denies = policy.PolicyDocument.Statement.filter(
      (s) => s.Effect === "Deny" && s.Principal === "*" && actions(s).includes("s3:*"),
    );
    const conditions = denies.map((s) => JSON.stringify(s.Condition));
    assert.ok(conditions.includes(JSON.stringify({ Bool: { "aws:SecureTransport": "false" } })));
    assert.ok(conditions.includes(JSON.stringify({ NumericLessThan: { "s3:TlsVersion": 1.2 } })));
    for (const s of denies) {
      assert.deepEqual(s.Resource, [
        { "Fn::GetAtt": ["ExportBucket", "Arn"] },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub, not JS
        { "Fn::Sub": "${ExportBucket.Arn}/*" },
      ]);
    }
  });

  it("has no IAM statement on Resource '*'", () => {
    for (const role of ["SchedulerRole", "WorkerRole", "DownloadRole"]) {
      assert.ok(statements(role).length > 0, role);
      for (const { s } of statements(role)) {
        const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
        for (const r of resources) {
          assert.notEqual(r, "*", `${role}: ${JSON.stringify(s)}`);
          assert.ok(r !== undefined, `${role}: a statement without a resource`);
        }
      }
    }
  });

  it("gives each function only the settings and secrets it uses; no secret values", () => {
    const common = [
      "EXPORT_BUCKET",
      "NODE_OPTIONS",
      "POWERTOOLS_LOG_LEVEL",
      "POWERTOOLS_SERVICE_NAME",
      "TASK_DB_SECRET_ARN",
      "TASK_TABLE",
    ];
    const scheduler = env("SchedulerLambdaFunction");
    const worker = env("WorkerLambdaFunction");
    const download = env("DownloadLambdaFunction");
    for (const e of [scheduler, worker, download]) {
      for (const c of common) assert.ok(e.includes(c), c);
      for (const name of e) {
        assert.doesNotMatch(name, /^(TASK_DB_URL|DATA_DB_URL|LINK_SECRET|LINK_SIGNER_.*)$/);
      }
    }
    assert.ok(scheduler.includes("EXPORT_QUEUE_URL"));
    for (const name of [
      "DATA_DB_SECRET_ARN",
      "DATA_DB_MONITOR_SECRET_ARN",
      "LINK_SECRET_ARN",
      "LINK_BASE_URL",
    ])
      assert.ok(!scheduler.includes(name), `scheduler has ${name}`);
    for (const name of [
      "DATA_DB_SECRET_ARN",
      "DATA_DB_MONITOR_SECRET_ARN",
      "LINK_SECRET_ARN",
      "LINK_BASE_URL",
      "LINK_MODE",
    ])
      assert.ok(worker.includes(name), `worker lacks ${name}`);
    // A sliced task's worker sends one message per slice to the task queue (lib/slices).
    assert.ok(worker.includes("EXPORT_QUEUE_URL"));
    assert.ok(worker.includes("SLICE_ROWS"));
    assert.ok(worker.includes("PLAN_CONCURRENCY"));
    assert.ok(download.includes("LINK_SECRET_ARN"));
    for (const name of [
      "DATA_DB_SECRET_ARN",
      "DATA_DB_MONITOR_SECRET_ARN",
      "EXPORT_QUEUE_URL",
      "LINK_BASE_URL",
    ])
      assert.ok(!download.includes(name), `download has ${name}`);

    assert.deepEqual(secretReads("SchedulerRole"), ["TaskDbSecretArn"]);
    assert.deepEqual(secretReads("WorkerRole"), [
      "DataDbMonitorSecretArn",
      "DataDbSecretArn",
      "LinkSecret",
      "NotifyWebhookSecret",
      "NotifyWebhookSecretArn",
      "TaskDbSecretArn",
    ]);
    assert.deepEqual(secretReads("DownloadRole"), ["LinkSecret", "TaskDbSecretArn"]);
  });

  it("serves stable links from the download function's URL, signed with a generated secret", () => {
    const url = t.Resources.DownloadLambdaFunctionUrl?.Properties;
    assert.equal(url?.AuthType, "NONE");
    const vars = (
      t.Resources.WorkerLambdaFunction?.Properties.Environment as
        | { Variables: Record<string, unknown> }
        | undefined
    )?.Variables;
    assert.ok(vars);
    assert.deepEqual(vars.LINK_BASE_URL, {
      "Fn::GetAtt": ["DownloadLambdaFunctionUrl", "FunctionUrl"],
    });
    assert.deepEqual(vars.LINK_MODE, { Ref: "LinkMode" });
    assert.equal(t.Resources.LinkSecret?.Type, "AWS::SecretsManager::Secret");
    assert.ok(t.Resources.LinkSecret?.Properties.GenerateSecretString);
  });

  it("alarms on the DLQ, queue age, worker errors, throttles and duration, and failed tasks, to one topic", () => {
    const alarms = Object.values(t.Resources).filter((r) => r.Type === "AWS::CloudWatch::Alarm");
    const key = (r: Res) => `${r.Properties.Namespace}/${r.Properties.MetricName}`;
    const found = alarms.map(key);
    for (const want of [
      "AWS/SQS/ApproximateNumberOfMessagesVisible",
      "AWS/SQS/ApproximateAgeOfOldestMessage",
      "AWS/Lambda/Errors",
      "AWS/Lambda/Throttles",
      "AWS/Lambda/Duration",
      `${METRICS_NAMESPACE}/ExportsFailed`,
    ])
      assert.ok(found.includes(want), `no alarm on ${want}`);
    for (const a of alarms) assert.deepEqual(a.Properties.AlarmActions, [{ Ref: "AlarmTopic" }]);
    const dlq = alarms.find((a) => key(a) === "AWS/SQS/ApproximateNumberOfMessagesVisible");
    assert.deepEqual(dlq?.Properties.Dimensions, [
      { Name: "QueueName", Value: { "Fn::GetAtt": ["TaskDeadLetterQueue", "QueueName"] } },
    ]);
    const duration = alarms.find((a) => key(a) === "AWS/Lambda/Duration");
    const timeout = Number(t.Resources.WorkerLambdaFunction?.Properties.Timeout);
    assert.ok(Number(duration?.Properties.Threshold) < timeout * 1000, "fires before the timeout");
    assert.equal(t.Resources.AlarmEmailSubscription?.Condition, "HasAlarmEmail");
  });

  it("notifies only when asked: sns:Publish on the given topic alone, the webhook key by ARN, given or generated", () => {
    const worker = env("WorkerLambdaFunction");
    for (const name of [
      "NOTIFY_TOPIC_ARN",
      "NOTIFY_WEBHOOK_URL",
      "NOTIFY_WEBHOOK_ALLOW",
      "NOTIFY_WEBHOOK_SECRET_ARN",
      "NOTIFY_TIMEOUT_SECONDS",
    ])
      assert.ok(worker.includes(name), `worker lacks ${name}`);
    for (const fn of ["SchedulerLambdaFunction", "DownloadLambdaFunction"])
      assert.ok(!env(fn).some((n) => n.startsWith("NOTIFY_")), fn);
    assert.ok(!worker.includes("NOTIFY_WEBHOOK_SECRET"), "the key itself is never a value");
    const publish = ["SchedulerRole", "WorkerRole", "DownloadRole"].flatMap((role) =>
      statements(role)
        .filter(({ s }) => actions(s).some((a) => a.startsWith("sns:")))
        .map((x) => ({ role, ...x })),
    );
    assert.deepEqual(publish, [
      {
        role: "WorkerRole",
        when: "HasNotifyTopic",
        s: { Effect: "Allow", Action: "sns:Publish", Resource: { Ref: "NotifyTopicArn" } },
      },
    ]);
    const secretWhen = statements("WorkerRole")
      .filter(({ s }) => String((s.Resource as { Ref?: string }).Ref).startsWith("NotifyWebhook"))
      .map(({ when }) => when)
      .sort();
    assert.deepEqual(secretWhen, ["CreateNotifyWebhookSecret", "HasNotifyWebhookSecretArn"]);
    assert.equal(t.Resources.NotifyWebhookSecret?.Condition, "CreateNotifyWebhookSecret");
    assert.ok(t.Resources.NotifyWebhookSecret?.Properties.GenerateSecretString);
    const alarm = t.Resources.NotifyFailedAlarm;
    assert.equal(alarm?.Condition, "Notifies");
    assert.equal(alarm?.Properties.Namespace, METRICS_NAMESPACE);
    assert.equal(alarm?.Properties.MetricName, "NotificationsFailed");
  });

  it("can place the functions in a VPC and add the endpoints a subnet without NAT needs", () => {
    for (const fn of [
      "SchedulerLambdaFunction",
      "WorkerLambdaFunction",
      "DownloadLambdaFunction",
    ]) {
      const vpc = t.Resources[fn]?.Properties.VpcConfig as { "Fn::If": unknown[] };
      assert.equal(vpc["Fn::If"][0], "HasVpc", fn);
    }
    const endpoints = Object.values(t.Resources).filter((r) => r.Type === "AWS::EC2::VPCEndpoint");
    const services = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName));
    for (const s of ["s3", "sqs", "secretsmanager"])
      assert.ok(
        services.some((x) => x.endsWith(`.${s}"}`)),
        `no ${s} endpoint`,
      );
    for (const e of endpoints) assert.equal(e.Condition, "CreateVpcEndpoints");
  });
});
