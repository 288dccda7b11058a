#!/usr/bin/env node
// `npx offline-export <verb>`: the operator CLI. The code is TypeScript (cli/main.ts), run
// through tsx as the repo's scripts are, so there is no build step to forget.
import { register } from "tsx/esm/api";

// Local Node is 20; the AWS SDK's notice that its 2027 releases need Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// A closed pipe (`... | head`) is not an error for a printing tool.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  tty: process.stdout.isTTY === true,
  width: process.stdout.columns || 100,
});
