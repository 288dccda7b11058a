import { Logger } from "@aws-lambda-powertools/logger";

/** Structured JSON logs (CloudWatch-friendly); the level comes from POWERTOOLS_LOG_LEVEL. */
export function createLogger(serviceName = "offline-export"): Logger {
  return new Logger({ serviceName });
}

export type { Logger };
