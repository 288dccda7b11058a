import { readFileSync } from "node:fs";

type DeployedFunction = "worker" | "scheduler" | "download";

/** The lines of a block: from the line matching `head` to the next line indented `indent` or less. */
function block(lines: string[], head: RegExp, indent: number): string[] {
  const start = lines.findIndex((l) => head.test(l));
  if (start === -1) return [];
  const end = lines.findIndex(
    (l, i) => i > start && /\S/.test(l) && !/^\s*#/.test(l) && l.search(/\S/) <= indent,
  );
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** `NAME: value` in a block's lines, without a trailing comment or quotes. */
function valueIn(lines: string[], name: string): string | undefined {
  const line = lines.find((l) => new RegExp(`^\\s+${name}:\\s`).test(l));
  if (line === undefined) return undefined;
  const raw = line
    .slice(line.indexOf(":") + 1)
    .replace(/\s+#.*$/, "")
    .trim();
  return raw.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
}

/**
 * A variable serverless.yml gives a function's environment (the bench and tests use it): the
 * function's own `environment:`, else the provider's; undefined when neither sets it.
 */
export function deployedVariable(
  serverlessYml: string,
  name: string,
  fn: DeployedFunction = "worker",
): string | undefined {
  const lines = readFileSync(serverlessYml, "utf8").split("\n");
  const key = (k: string, indent: number) => new RegExp(`^ {${indent}}${k}:\\s*(#.*)?$`);
  const functions = block(lines, key("functions", 0), 0);
  const own = block(block(functions, key(fn, 2), 2), key("environment", 4), 4);
  const provider = block(block(lines, key("provider", 0), 0), key("environment", 2), 2);
  return valueIn(own, name) ?? valueIn(provider, name);
}

/**
 * The NODE_OPTIONS serverless.yml gives a function. The worker has its own (issue 17: heap
 * flags chosen per function by npm run bench).
 */
export function deployedNodeOptions(
  serverlessYml: string,
  fn: DeployedFunction = "worker",
): string {
  const options = deployedVariable(serverlessYml, "NODE_OPTIONS", fn);
  if (!options) throw new Error(`no NODE_OPTIONS for ${fn} in ${serverlessYml}`);
  return options;
}

/**
 * The worker's process settings beside NODE_OPTIONS, as deployed: glibc's malloc threshold
 * (serverless.yml says why). What the bench and the memory test give a worker process; none if
 * the template sets none, as then deployed.
 */
export function deployedWorkerMalloc(serverlessYml: string): Record<string, string> {
  const v = deployedVariable(serverlessYml, "MALLOC_MMAP_THRESHOLD_");
  return v === undefined ? {} : { MALLOC_MMAP_THRESHOLD_: v };
}
