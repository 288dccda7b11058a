import { spawnSync } from "node:child_process";
import type { DbUrl } from "../lib/db/url.js";

/**
 * The pipeline a user would script instead of this product, run by bash:
 *   psql -c "\copy (QUERY) to stdout csv" | iconv -f utf-8 -t gb18030 | aws s3 cp - s3://B/K
 *   mariadb --batch -e "QUERY"            | iconv -f utf-8 -t gb18030 | aws s3 cp - s3://B/K
 * Credentials go through the environment (PGPASSWORD, MYSQL_PWD), not the command line.
 */
/** The client command that dumps `query` as text to stdout, and its environment. */
function dumpCommand(db: DbUrl, query: string): { env: Record<string, string>; dump: string } {
  const u = new URL(db.url);
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  const dbName = decodeURIComponent(u.pathname.slice(1));
  let dump: string;
  if (db.engine === "postgres") {
    env.PGPASSWORD = decodeURIComponent(u.password);
    dump = `psql -X -q -h ${u.hostname} -p ${u.port || 5432} -U ${decodeURIComponent(u.username)} -d ${dbName} -c "\\copy (${query}) to stdout csv"`;
  } else {
    env.MYSQL_PWD = decodeURIComponent(u.password);
    dump = `mariadb -h ${u.hostname} -P ${u.port || 3306} -u ${decodeURIComponent(u.username)} ${dbName} --batch -e "${query}"`;
  }
  return { env, dump };
}

export function runBaseline(
  db: DbUrl,
  query: string,
  bucket: string,
  key: string,
  endpoint: string,
): number {
  const { env, dump } = dumpCommand(db, query);
  const script = `set -o pipefail; ${dump} | iconv -f utf-8 -t gb18030 | aws s3 cp - s3://${bucket}/${key} --endpoint-url ${endpoint} --only-show-errors`;
  const started = process.hrtime.bigint();
  const res = spawnSync("bash", ["-c", script], { env, stdio: ["ignore", "ignore", "pipe"] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (res.status !== 0) throw new Error(`baseline failed: ${res.stderr.toString().slice(0, 500)}`);
  return seconds;
}

/**
 * The database's own pace: the same query dumped by its command-line client to /dev/null
 * (psql \copy ... csv, or mariadb --batch), nothing converted or uploaded.
 */
export function runRawDump(db: DbUrl, query: string): number {
  const { env, dump } = dumpCommand(db, query);
  const started = process.hrtime.bigint();
  const res = spawnSync("bash", ["-c", `set -o pipefail; ${dump} > /dev/null`], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (res.status !== 0) throw new Error(`raw dump failed: ${res.stderr.toString().slice(0, 500)}`);
  return seconds;
}
