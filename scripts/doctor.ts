// npm run doctor: is the data user a real boundary? Connects as DATA_DB_URL (or the secret in
// DATA_DB_SECRET_ARN) and reports what it may do that an export must not. Exits 1 on a problem.
import { loadTaskTableConfig } from "../lib/config.js";
import { parseDbUrl } from "../lib/db/url.js";
import { checkDataRole } from "../lib/doctor.js";
import { createSqlClient } from "../lib/engines/index.js";
import { resolveSecrets, secretReaderFor } from "../lib/secrets.js";
import { localEnv } from "./env.js";

async function main() {
  const base = localEnv();
  const env = await resolveSecrets(base, () => secretReaderFor(base));
  const { taskDb, taskTable } = loadTaskTableConfig(env);
  const dataDb = env.DATA_DB_URL ? parseDbUrl(env.DATA_DB_URL) : taskDb;
  console.log(`[doctor] task table: ${taskDb.label}; task SQL runs on: ${dataDb.label}`);
  const client = createSqlClient(dataDb, 1);
  try {
    const findings = await checkDataRole(taskDb, dataDb, client, taskTable);
    for (const f of findings) console.log(`[doctor] ${f.level.toUpperCase()}: ${f.text}`);
    if (findings.some((f) => f.level === "problem")) process.exitCode = 1;
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(`[doctor] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
