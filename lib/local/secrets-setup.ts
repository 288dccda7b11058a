import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { awsClientConfig } from "../aws-config.js";

type Where = { region: string; endpointUrl: string | undefined };

/** A Secrets Manager secret in the emulator, as the template or an operator creates it; its ARN. */
export async function putLocalSecret(where: Where, name: string, value: string): Promise<string> {
  const sm = new SecretsManagerClient(awsClientConfig(where));
  try {
    const created = await sm
      .send(new CreateSecretCommand({ Name: name, SecretString: value }))
      .catch(async (err: Error) => {
        if (err.name !== "ResourceExistsException") throw err;
        return sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
      });
    if (!created.ARN) throw new Error(`no ARN for secret ${name}`);
    return created.ARN;
  } finally {
    sm.destroy();
  }
}

/** An SSM SecureString parameter in the emulator; its ARN (what the template grants). */
export async function putLocalParameter(
  where: Where,
  name: string,
  value: string,
): Promise<string> {
  const ssm = new SSMClient(awsClientConfig(where));
  try {
    await ssm.send(
      new PutParameterCommand({ Name: name, Value: value, Type: "SecureString", Overwrite: true }),
    );
    const account = "123456789012"; // the emulators' fixed account
    return `arn:aws:ssm:${where.region}:${account}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
  } finally {
    ssm.destroy();
  }
}
