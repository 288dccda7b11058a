// A worker process for the kill scenarios: exports one task with the app built from the
// environment, as a Lambda would, and is killed by the suite mid-export.
import { createApp } from "../../lib/app.js";
import { loadConfig } from "../../lib/config.js";
import { exportTask } from "../../lib/export/export-task.js";

const app = createApp(loadConfig());
const outcome = await exportTask(app.exportDeps, Number(process.argv[2]));
process.stdout.write(`${JSON.stringify(outcome)}\n`);
await app.close();
