// npx offline-export <verb>: the operator CLI (README "Operator CLI"). Parses the command
// line, calls lib/ops, prints; bin/offline-export.mjs runs it.
import { userInfo } from "node:os";
import type { Ops } from "../lib/ops/context.js";
import { redact, secretsOf } from "../lib/redact.js";
import { parseArgs, UsageError } from "./args.js";
import { EXIT } from "./exit-codes.js";
import { helpText } from "./help.js";

export interface Io {
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  tty: boolean;
  width: number;
}

const NOT_SET: Record<string, string> = {
  TASK_DB_URL:
    "set it to the task database's URL (mysql://user:pass@host:3306/db or postgres://user:pass@host:5432/db), or set TASK_DB_SECRET_ARN to the secret that holds it, as the functions have it",
  EXPORT_BUCKET: "set it to the bucket the exports are written to (the stack's bucket)",
  AWS_REGION: "set it to the stack's region (for example ap-east-1)",
};

/** Runs the CLI; returns the exit code (exit-codes.ts). */
export async function main(argv: string[], io: Io): Promise<number> {
  const wantsJson = argv.includes("--json");
  const fail = (code: number, text: string, hint = "") => {
    io.err(`offline-export: ${text}${hint ? `\n${hint}` : ""}`);
    if (wantsJson) io.out(JSON.stringify({ error: text, hint: hint || null, exit_code: code }));
    return code;
  };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const where = err.verb ? `${err.verb} --help` : "help";
    return fail(EXIT.usage, err.message, `Run \`npx offline-export ${where}\` for usage.`);
  }
  if (parsed.kind === "help") {
    io.out(helpText(parsed.verb));
    return EXIT.ok;
  }

  // Config errors name the variable, never its value; the URLs' secrets are cut all the same.
  const envSecrets = secretsOf(
    Object.values(io.env).filter((v): v is string => v?.includes("://") ?? false),
  );
  // Loaded only once the command line is good: help and usage errors answer without the
  // settings (whose format registry loads the encoders), the database drivers and the AWS SDK.
  const { ConfigError } = await import("../lib/config.js");
  const { OpsError } = await import("../lib/ops/results.js");
  const { createOps, loadOperatorConfig } = await import("../lib/ops/context.js");
  const { errorText, failureHint } = await import("../lib/ops/explain.js");
  const { runVerb } = await import("./run-verb.js");
  let ops: Ops;
  try {
    ops = createOps(await loadOperatorConfig(io.env));
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      return fail(EXIT.failure, `could not start: ${redact(errorText(err), envSecrets)}`);
    }
    const m = /^(\w+) is required but not set\.$/.exec(err.message);
    const what = m?.[1] ? NOT_SET[m[1]] : undefined;
    return fail(
      EXIT.failure,
      what ? `${m?.[1]} is not set: ${what}.` : redact(err.message, envSecrets),
    );
  }

  try {
    const out = await runVerb(ops, {
      verb: parsed.verb.name,
      ids: parsed.ids,
      flags: parsed.flags,
      screen: { tty: io.tty, width: io.width },
      user: `operator:${io.env.USER || io.env.USERNAME || safeUserName()}`,
    });
    io.out(parsed.flags.json ? JSON.stringify(out.json, null, 2) : out.text);
    if (!parsed.flags.json) for (const n of out.notes ?? []) io.err(n);
    return out.code;
  } catch (err) {
    if (err instanceof OpsError) return fail(EXIT.failure, err.message);
    return fail(
      EXIT.failure,
      `${parsed.verb.name} failed: ${ops.clean(errorText(err))}`,
      failureHint(err, ops.config),
    );
  } finally {
    await ops.close().catch(() => {});
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
