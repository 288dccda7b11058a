import type { Config } from "./config.js";

/** S3/SQS client settings: the region, and for an emulator its endpoint with path-style S3. */
export function awsClientConfig(config: Pick<Config, "region" | "endpointUrl">) {
  return {
    region: config.region,
    // An emulator (LocalStack, moto) serves buckets by path, not by virtual host.
    ...(config.endpointUrl ? { endpoint: config.endpointUrl, forcePathStyle: true } : {}),
  };
}
