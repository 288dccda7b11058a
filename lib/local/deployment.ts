import { readFileSync } from "node:fs";

type DeployedFunction = "worker" | "scheduler" | "download";

/**
 * A variable serverless.yml gives a function (the bench and tests use it): the function's own
 * line under `functions:`, else the provider-wide one; undefined when neither sets it.
 */
export function deployedVariable(
  serverlessYml: string,
  name: string,
  fn: DeployedFunction = "worker",
): string | undefined {
  const text = readFileSync(serverlessYml, "utf8");
  const functions = text.slice(text.search(/^functions:$/m));
  // The function's block: from "  <fn>:" to the next line indented two spaces (the next function).
  const start = functions.search(new RegExp(`^  ${fn}:$`, "m"));
  const block = start === -1 ? "" : (functions.slice(start).split(/\n(?= {2}\S)/)[0] ?? "");
  const line = new RegExp(`^\\s+${name}: (.+)$`, "m");
  const own = line.exec(block)?.[1]?.trim();
  const provider = line.exec(text.slice(0, text.search(/^functions:$/m)))?.[1]?.trim();
  // A quoted number ("1048576") is the number's text, as CloudFormation passes it.
  return (own ?? provider)?.replace(/^"(.*)"$/, "$1");
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
 * (serverless.yml says why). What the bench and the memory test give a worker process.
 */
export function deployedWorkerMalloc(serverlessYml: string): Record<string, string> {
  const v = deployedVariable(serverlessYml, "MALLOC_MMAP_THRESHOLD_");
  return v === undefined ? {} : { MALLOC_MMAP_THRESHOLD_: v };
}
