import { DIALECTS } from "../engines/index.js";
import { isStaleConnection } from "../failure/policy.js";
import type { SqlClient } from "./sql-client.js";
import type { DbUrl } from "./url.js";

/** A pooled client for the task table (or a test's ad-hoc SQL), for whichever engine db names. */
export function createSqlClient(db: DbUrl, poolSize = 4): SqlClient {
  return DIALECTS[db.engine].createClient(db, { poolSize, isStaleConnection });
}
