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

const DEFAULT_PORTS: Record<Engine, string> = { mysql: "3306", postgres: "5432" };
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether a and b name the same database server (same engine, host and port; loopback names alike). */
export function sameServer(a: DbUrl, b: DbUrl): boolean {
  const where = (d: DbUrl) => {
    const u = new URL(d.url);
    const host = LOOPBACK.has(u.hostname) ? "loopback" : u.hostname.toLowerCase();
    return `${d.engine}://${host}:${u.port || DEFAULT_PORTS[d.engine]}`;
  };
  return where(a) === where(b);
}

/** The database a URL connects to (its path). */
export function databaseOf(d: DbUrl): string {
  return decodeURIComponent(new URL(d.url).pathname.replace(/^\//, ""));
}

// Engine names as RDS / Aurora write them in a generated secret's "engine".
const RDS_ENGINES: Record<string, string> = {
  mysql: "mysql",
  mariadb: "mysql",
  aurora: "mysql",
  "aurora-mysql": "mysql",
  postgres: "postgres",
  postgresql: "postgres",
  "aurora-postgresql": "postgres",
};

/**
 * A database secret as RDS writes it ({"engine", "host", "port", "username", "password",
 * "dbname"}), or a plain mysql:// / postgres:// URL, as a URL for parseDbUrl. Errors never
 * quote the secret.
 */
export function urlFromRdsSecret(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return trimmed;
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(trimmed) as Record<string, unknown>;
  } catch {
    throw new Error("the secret is neither a database URL nor JSON");
  }
  const field = (k: string) => {
    const v = s[k];
    return typeof v === "string" || typeof v === "number" ? String(v) : "";
  };
  const scheme = RDS_ENGINES[field("engine").toLowerCase()];
  if (!scheme) {
    throw new Error(
      `the secret's "engine" must be one of ${Object.keys(RDS_ENGINES).join(", ")}, got "${field("engine").slice(0, 40)}"`,
    );
  }
  for (const k of ["host", "username", "password", "dbname"]) {
    if (field(k) === "") throw new Error(`the secret has no "${k}"`);
  }
  if (!/^\d*$/.test(field("port"))) throw new Error('the secret\'s "port" is not a number');
  const port = field("port") === "" ? "" : `:${field("port")}`;
  const enc = encodeURIComponent;
  return `${scheme}://${enc(field("username"))}:${enc(field("password"))}@${field("host")}${port}/${enc(field("dbname"))}`;
}
