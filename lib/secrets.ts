import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { awsClientConfig } from "./aws-config.js";
import { ConfigError } from "./config.js";
import { urlFromRdsSecret } from "./db/url.js";

/**
 * Secrets stay out of the functions' environment: the template gives each function only the
 * ARNs it reads (TASK_DB_SECRET_ARN, DATA_DB_SECRET_ARN, DATA_DB_MONITOR_SECRET_ARN,
 * LINK_SECRET_ARN, NOTIFY_WEBHOOK_SECRET_ARN), and the values are
 * read at cold start from Secrets Manager or SSM (SecureString) through Powertools' cache.
 * Plain TASK_DB_URL / DATA_DB_URL / DATA_DB_MONITOR_URL / LINK_SECRET remain for local use and
 * win when set.
 */
export const SECRET_REFS = {
  TASK_DB_SECRET_ARN: "TASK_DB_URL",
  DATA_DB_SECRET_ARN: "DATA_DB_URL",
  DATA_DB_MONITOR_SECRET_ARN: "DATA_DB_MONITOR_URL",
  LINK_SECRET_ARN: "LINK_SECRET",
  NOTIFY_WEBHOOK_SECRET_ARN: "NOTIFY_WEBHOOK_SECRET",
} as const;

/** Secrets that are keys as they stand; the others hold a database URL or RDS-style JSON. */
const PLAIN: readonly string[] = ["LINK_SECRET", "NOTIFY_WEBHOOK_SECRET"];

export interface SecretReader {
  /** The secret's text; `maxAge` seconds of caching (Powertools), 0 to force a fresh read. */
  read(arn: string, maxAge?: number): Promise<string>;
}

export const SECRET_CACHE_SECONDS = 300;

type Env = Record<string, string | undefined>;

function service(arn: string): "secretsmanager" | "ssm" {
  const m = /^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:(secret:|parameter\/)/.exec(
    arn,
  );
  if (!m) {
    throw new ConfigError(
      `expected a Secrets Manager secret ARN or an SSM parameter ARN, got "${arn.slice(0, 120)}"`,
    );
  }
  return m[1] as "secretsmanager" | "ssm";
}

/** Powertools providers over clients built from the same settings as S3/SQS (endpoint for tests). */
export function createSecretReader(clientConfig: {
  region: string;
  endpoint?: string;
}): SecretReader {
  const secrets = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient(clientConfig) });
  const ssm = new SSMProvider({ awsSdkV3Client: new SSMClient(clientConfig) });
  return {
    async read(arn, maxAge = SECRET_CACHE_SECONDS) {
      const value =
        service(arn) === "secretsmanager"
          ? await secrets.get(arn, { maxAge })
          : await ssm.get(arn, { maxAge, decrypt: true });
      if (typeof value !== "string" || value === "") {
        throw new ConfigError(`the secret ${arn} has no text value`);
      }
      return value;
    },
  };
}

/** A reader for the region and endpoint the environment names (AWS_REGION, AWS_ENDPOINT_URL). */
export function secretReaderFor(env: Env): SecretReader {
  return createSecretReader(
    awsClientConfig({ region: env.AWS_REGION ?? "", endpointUrl: env.AWS_ENDPOINT_URL }),
  );
}

/**
 * The environment with each *_SECRET_ARN read into the variable it stands for. Throws a
 * ConfigError naming the variable (never the value) when a secret cannot be read or parsed.
 */
export async function resolveSecrets(env: Env, reader: () => SecretReader): Promise<Env> {
  const out: Env = { ...env };
  for (const [refName, target] of Object.entries(SECRET_REFS)) {
    const arn = env[refName]?.trim();
    if (!arn || env[target]?.trim()) continue;
    let text: string;
    try {
      service(arn);
      text = await reader().read(arn);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`${refName}: ${err.message}`);
      throw new ConfigError(`${refName}: could not read the secret: ${(err as Error).message}`);
    }
    if (PLAIN.includes(target)) out[target] = text;
    else {
      try {
        out[target] = urlFromRdsSecret(text);
      } catch (err) {
        throw new ConfigError(`${refName}: ${(err as Error).message}`);
      }
    }
  }
  return out;
}
