// A worker process of its own for test/e2e/sliced-kill.test.ts: scheduler and worker on the
// queue, task table, data and bucket its environment names (the test's harness env), exactly
// as `npm run local` runs them, until the test kills it with SIGKILL mid-slice. The time limit
// only keeps an orphan from outliving a test that died first.
import { createApp } from "../../lib/app.js";
import { loadConfig } from "../../lib/config.js";
import { runLocal } from "../../lib/local/local-runner.js";

const app = createApp(loadConfig(process.env));
process.stdout.write(`slice-child ${process.pid} polling ${app.config.queueUrl}\n`);
try {
  await runLocal(app, { untilIdle: false, maxSeconds: Number(process.argv[2] ?? 120) });
} finally {
  await app.close();
}
