import { readFileSync } from "node:fs";

/** The NODE_OPTIONS serverless.yml gives the deployed functions (the bench and tests use it). */
export function deployedNodeOptions(serverlessYml: string): string {
  const options = /^\s+NODE_OPTIONS: (.+)$/m.exec(readFileSync(serverlessYml, "utf8"))?.[1]?.trim();
  if (!options) throw new Error(`no NODE_OPTIONS in ${serverlessYml}`);
  return options;
}
