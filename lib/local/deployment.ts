import { readFileSync } from "node:fs";

/**
 * The NODE_OPTIONS serverless.yml gives a function (the bench and tests use it): the function's
 * own line under `functions:`, else the provider-wide one. The worker has its own (issue 17:
 * heap flags chosen per function by npm run bench).
 */
export function deployedNodeOptions(
  serverlessYml: string,
  fn: "worker" | "scheduler" | "download" = "worker",
): string {
  const text = readFileSync(serverlessYml, "utf8");
  const functions = text.slice(text.search(/^functions:$/m));
  // The function's block: from "  <fn>:" to the next line indented two spaces (the next function).
  const start = functions.search(new RegExp(`^  ${fn}:$`, "m"));
  const block = start === -1 ? "" : (functions.slice(start).split(/\n(?= {2}\S)/)[0] ?? "");
  const own = /^\s+NODE_OPTIONS: (.+)$/m.exec(block)?.[1]?.trim();
  const provider = /^\s+NODE_OPTIONS: (.+)$/m
    .exec(text.slice(0, text.search(/^functions:$/m)))?.[1]
    ?.trim();
  const options = own ?? provider;
  if (!options) throw new Error(`no NODE_OPTIONS for ${fn} in ${serverlessYml}`);
  return options;
}
