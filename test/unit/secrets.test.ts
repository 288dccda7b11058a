import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../lib/config.js";
import { parseDbUrl, urlFromRdsSecret } from "../../lib/db/url.js";
import { resolveSecrets, type SecretReader } from "../../lib/secrets.js";

const SM_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:oe-task-db-AbCdEf";
const SSM_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/oe/data-db-url";

function reader(values: Record<string, string>, reads: string[] = []): () => SecretReader {
  return () => ({
    async read(arn) {
      reads.push(arn);
      const v = values[arn];
      if (v === undefined) throw new Error("Secrets Manager can't find the specified secret.");
      return v;
    },
  });
}

describe("secrets", () => {
  it("turns an RDS-style JSON secret into a URL, escaping what a URL cannot hold", () => {
    const url = urlFromRdsSecret(
      JSON.stringify({
        engine: "mariadb",
        host: "db.internal",
        port: 3306,
        username: "export@app",
        password: "p@ss:/#?%",
        dbname: "shop",
      }),
    );
    const parsed = parseDbUrl(url);
    assert.equal(parsed.engine, "mysql");
    assert.equal(parsed.label, "mysql://db.internal:3306/shop");
    const u = new URL(url);
    assert.equal(decodeURIComponent(u.username), "export@app");
    assert.equal(decodeURIComponent(u.password), "p@ss:/#?%");
    assert.equal(
      parseDbUrl(
        urlFromRdsSecret(
          '{"engine":"aurora-postgresql","host":"h","username":"u","password":"p","dbname":"d"}',
        ),
      ).engine,
      "postgres",
    );
    assert.equal(urlFromRdsSecret(" postgres://u:p@h/d \n"), "postgres://u:p@h/d");
  });

  it("names what is wrong with a database secret, never quoting its password", () => {
    const bad: [string, RegExp][] = [
      [
        '{"engine":"oracle","host":"h","username":"u","password":"Hunter2x","dbname":"d"}',
        /"engine" must be one of/,
      ],
      ['{"engine":"mysql","host":"h","username":"u","dbname":"d"}', /no "password"/],
      [
        '{"engine":"mysql","host":"h","port":"x1","username":"u","password":"Hunter2x","dbname":"d"}',
        /"port" is not a number/,
      ],
      ["{Hunter2x", /neither a database URL nor JSON/],
    ];
    for (const [text, message] of bad) {
      assert.throws(
        () => urlFromRdsSecret(text),
        (err: Error) => {
          assert.match(err.message, message);
          assert.doesNotMatch(err.message, /Hunter2x/);
          return true;
        },
      );
    }
  });

  it("reads each *_SECRET_ARN into the variable it stands for; plain values win", async () => {
    const reads: string[] = [];
    const env = await resolveSecrets(
      {
        TASK_DB_SECRET_ARN: SM_ARN,
        DATA_DB_SECRET_ARN: SSM_ARN,
        DATA_DB_MONITOR_SECRET_ARN: `${SSM_ARN}-monitor`,
        LINK_SECRET_ARN: `${SM_ARN}-link`,
        LINK_SECRET: "plain-local-secret-wins-over-the-arn-0000",
      },
      reader(
        {
          [SM_ARN]:
            '{"engine":"mysql","host":"h","port":3306,"username":"u","password":"p","dbname":"t"}',
          [SSM_ARN]: "postgres://r:q@pg:5432/data",
          [`${SSM_ARN}-monitor`]:
            '{"engine":"postgres","host":"pg","port":5432,"username":"mon","password":"m","dbname":"data"}',
        },
        reads,
      ),
    );
    assert.equal(env.TASK_DB_URL, "mysql://u:p@h:3306/t");
    assert.equal(env.DATA_DB_URL, "postgres://r:q@pg:5432/data");
    assert.equal(env.DATA_DB_MONITOR_URL, "postgres://mon:m@pg:5432/data");
    assert.equal(env.LINK_SECRET, "plain-local-secret-wins-over-the-arn-0000");
    assert.deepEqual(
      reads,
      [SM_ARN, SSM_ARN, `${SSM_ARN}-monitor`],
      "the link ARN is not read when LINK_SECRET is set",
    );
  });

  it("fails the cold start naming the variable when a secret is missing or not an ARN", async () => {
    await assert.rejects(
      resolveSecrets({ TASK_DB_SECRET_ARN: SM_ARN }, reader({})),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(
          err.message,
          /^TASK_DB_SECRET_ARN: could not read the secret: Secrets Manager can't find/,
        );
        return true;
      },
    );
    await assert.rejects(resolveSecrets({ DATA_DB_SECRET_ARN: "my-secret" }, reader({})), {
      message: /^DATA_DB_SECRET_ARN: expected a Secrets Manager secret ARN or an SSM parameter ARN/,
    });
    await assert.rejects(
      resolveSecrets({ TASK_DB_SECRET_ARN: SM_ARN }, reader({ [SM_ARN]: '{"engine":"mysql"}' })),
      { message: /^TASK_DB_SECRET_ARN: the secret has no "host"/ },
    );
  });
});
