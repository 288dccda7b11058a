// The worker's export path as its own node process, as Lambda runs it: bench/export-one.ts
// bundled by esbuild and run with plain `node` and the deployed NODE_OPTIONS in the environment.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { build } from "esbuild";
import { provisionLocal } from "../lib/local/aws-setup.js";

/** Bundles a bench entry (a path under bench/) into `outfile`: one file, as the deployed functions are. */
export async function bundleForNode(entry: string, outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [`${import.meta.dirname}/${entry}`],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["pg-native"],
    banner: {
      js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
}

/** Bundles bench/export-one.ts into `outfile`. */
export const bundleExportOne = (outfile: string) => bundleForNode("export-one.ts", outfile);

/**
 * The bench bucket and queue on the emulator, and the environment a worker process gets for
 * them (the wide-row benches; each adds its own settings).
 */
export async function benchWorkerEnv(o: {
  endpoint: string;
  taskUrl: string;
  taskTable: string;
}): Promise<{ bucket: string; env: Record<string, string> }> {
  const bucket = "oe-bench";
  const region = process.env.AWS_REGION ?? "us-east-1";
  const { queueUrl } = await provisionLocal({
    region,
    endpointUrl: o.endpoint,
    bucket,
    queueName: "oe-bench",
    visibilityTimeoutSeconds: 60,
  });
  const env = {
    TASK_DB_URL: o.taskUrl,
    TASK_TABLE: o.taskTable,
    EXPORT_BUCKET: bucket,
    EXPORT_QUEUE_URL: queueUrl,
    AWS_REGION: region,
    AWS_ENDPOINT_URL: o.endpoint,
    MAX_IN_FLIGHT: "100",
    MAX_IN_FLIGHT_PER_CREATOR: "100",
    STATEMENT_TIMEOUT_SECONDS: "900",
    POWERTOOLS_LOG_LEVEL: "ERROR",
  };
  return { bucket, env };
}

export interface ExportOneResult {
  /** The child's exit code (null when a signal ended it) and signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  wallSeconds: number;
  /** Present when the child finished and printed its figures. */
  report?: {
    outcome: { kind: string; rows?: number; bytes?: number; key?: string; msg?: string };
    seconds: number;
    peakRssMb: number;
    peaks: Record<string, number>;
  };
}

/** Runs one export (task `id`) in a child `node` with `env` (NODE_OPTIONS included). */
export function runExportOne(
  nodeBin: string,
  bundle: string,
  id: number,
  env: NodeJS.ProcessEnv,
  o: { args?: string[]; timeoutMs?: number } = {},
): ExportOneResult {
  const started = process.hrtime.bigint();
  const res = spawnSync(nodeBin, [...(o.args ?? []), bundle, String(id)], {
    env,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
    timeout: o.timeoutMs,
    killSignal: "SIGKILL",
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const line = (res.stdout ?? "").trim().split("\n").pop() ?? "";
  return {
    status: res.status,
    signal: res.signal,
    stderr: res.stderr ?? "",
    wallSeconds,
    ...(res.status === 0 && line.startsWith("{") ? { report: JSON.parse(line) } : {}),
  };
}
