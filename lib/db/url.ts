export type Engine = "mysql" | "postgres";

export interface DbUrl {
  engine: Engine;
  /** Full connection string, credentials included: never log it. */
  url: string;
  /** host:port/database, no credentials: safe for logs. */
  label: string;
}

const SCHEMES: Record<string, Engine> = {
  "mysql:": "mysql",
  "mariadb:": "mysql",
  "postgres:": "postgres",
  "postgresql:": "postgres",
};

export function parseDbUrl(value: string): DbUrl {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error("not a valid URL (expected mysql://user:pass@host:port/db or postgres://...)");
  }
  const engine = SCHEMES[u.protocol];
  if (!engine) {
    throw new Error(`unsupported scheme "${u.protocol}" (use mysql://, mariadb:// or postgres://)`);
  }
  if (!u.hostname) throw new Error("the URL has no host");
  const db = u.pathname.replace(/^\//, "");
  if (!db) throw new Error("the URL names no database (add /dbname)");
  // mysql2 only understands mysql://
  const url =
    engine === "mysql" && u.protocol === "mariadb:" ? value.replace(/^mariadb:/, "mysql:") : value;
  return { engine, url, label: `${engine}://${u.host}/${db}` };
}
