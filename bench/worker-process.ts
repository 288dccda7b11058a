// The worker's export path as its own node process, as Lambda runs it: bench/export-one.ts
// bundled by esbuild and run with plain `node` and the deployed NODE_OPTIONS in the environment.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { build } from "esbuild";

/** Bundles bench/export-one.ts into `outfile` (one file, as the deployed functions are). */
export async function bundleExportOne(outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [`${import.meta.dirname}/export-one.ts`],
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
