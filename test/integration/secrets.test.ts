// Secrets by ARN from the emulator's Secrets Manager and SSM (moto), as deployed functions read them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDeployedApp } from "../../lib/app.js";
import { ConfigError } from "../../lib/config.js";
import { putLocalParameter, putLocalSecret } from "../../lib/local/secrets-setup.js";
import { serviceUrl, uniqueName } from "../helpers.js";

const where = () => {
  serviceUrl("mysql"); // throws a clear message when not run under `npm test`
  return {
    region: process.env.AWS_REGION ?? "us-east-1",
    endpointUrl: process.env.AWS_ENDPOINT_URL,
  };
};

describe("secrets from Secrets Manager and SSM", () => {
  it("connects with an RDS-style JSON secret and an SSM SecureString URL; the link key from Secrets Manager", async () => {
    const name = uniqueName("sec");
    const my = new URL(serviceUrl("mysql"));
    const taskArn = await putLocalSecret(
      where(),
      `${name}-task`,
      JSON.stringify({
        engine: "mysql",
        host: my.hostname,
        port: my.port,
        username: decodeURIComponent(my.username),
        password: decodeURIComponent(my.password),
        dbname: my.pathname.slice(1),
      }),
    );
    const dataArn = await putLocalParameter(where(), `/${name}/data`, serviceUrl("postgres"));
    const linkKey = "a-link-key-from-secrets-manager-0123456789";
    const linkArn = await putLocalSecret(where(), `${name}-link`, linkKey);
    const env = {
      TASK_DB_SECRET_ARN: taskArn,
      DATA_DB_SECRET_ARN: dataArn,
      LINK_SECRET_ARN: linkArn,
      LINK_MODE: "stable",
      LINK_BASE_URL: "https://dl.example",
      EXPORT_BUCKET: "b",
      AWS_REGION: where().region,
      AWS_ENDPOINT_URL: where().endpointUrl,
    };
    const worker = await createDeployedApp("worker", env);
    try {
      assert.equal(worker.config.taskDb.engine, "mysql");
      assert.equal(worker.config.dataDb.url, serviceUrl("postgres"));
      assert.deepEqual(worker.config.linkKeys, { current: linkKey });
      const res = await worker.taskDb.query<{ one: number }>("SELECT 1 AS one");
      assert.equal(Number(res.rows[0]?.one), 1, "connected with the secret's credentials");
      // The password read from the secret is redacted like a configured one.
      assert.ok(worker.exportDeps.secrets.includes(decodeURIComponent(my.password)));
    } finally {
      await worker.close();
    }
    const download = await createDeployedApp("download", env);
    try {
      assert.deepEqual(await download.downloadDeps.linkKeys(), { current: linkKey });
    } finally {
      await download.close();
    }
  });

  it("fails the cold start with the variable's name when a secret does not exist", async () => {
    await assert.rejects(
      createDeployedApp("scheduler", {
        TASK_DB_SECRET_ARN: `arn:aws:secretsmanager:${where().region}:123456789012:secret:missing-${Date.now()}`,
        EXPORT_BUCKET: "b",
        EXPORT_QUEUE_URL: "http://q",
        AWS_REGION: where().region,
        AWS_ENDPOINT_URL: where().endpointUrl,
      }),
      (err: Error) =>
        err instanceof ConfigError &&
        /^TASK_DB_SECRET_ARN: could not read the secret/.test(err.message),
    );
  });
});
