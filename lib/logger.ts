import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { redact } from "./redact.js";

type Fields = Record<string, unknown>;
type Level = "debug" | "info" | "warn" | "error";

/**
 * The one way this product logs. Every string in a line (the message, field values, errors'
 * messages) is redacted first: passwords and hosts of the configured URLs, any URL's
 * credentials and any IP address never reach CloudWatch.
 */
export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

/** Structured JSON logs (CloudWatch-friendly); the level comes from POWERTOOLS_LOG_LEVEL. */
export function createLogger(
  secrets: readonly string[] = [],
  serviceName = "offline-export",
  out: LogSink = powertoolsSink(serviceName),
): Logger {
  const clean = (v: unknown, depth = 0): unknown => {
    if (typeof v === "string") return redact(v, secrets);
    if (v instanceof Error) {
      const code = (v as { code?: unknown }).code;
      return {
        name: v.name,
        message: redact(v.message, secrets),
        ...(code !== undefined && { code: String(code) }),
      };
    }
    if (depth < 3 && Array.isArray(v)) return v.map((x) => clean(x, depth + 1));
    if (depth < 3 && v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x, depth + 1)]));
    }
    return v;
  };
  const line =
    (level: Level) =>
    (message: string, fields?: Fields): void => {
      const m = redact(message, secrets);
      out[level](m, fields === undefined ? undefined : (clean(fields) as Fields));
    };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}

/** Where redacted lines go: Powertools' JSON logger in the functions, a recorder in tests. */
export type LogSink = Record<Level, (message: string, fields?: Fields) => void>;

function powertoolsSink(serviceName: string): LogSink {
  const p = new PowertoolsLogger({ serviceName });
  const to =
    (level: Level) =>
    (message: string, fields?: Fields): void => {
      if (fields === undefined) p[level](message);
      else p[level](message, fields);
    };
  return { debug: to("debug"), info: to("info"), warn: to("warn"), error: to("error") };
}
