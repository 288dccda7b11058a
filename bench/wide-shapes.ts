import type { Engine } from "../lib/db/url.js";

/** The row shapes of the wide-row attack, as task SQL that makes its data on the server. */
export interface WideShape {
  name: string;
  engine: Engine;
  /** rows; copy (PostgreSQL's COPY); fast (CSV from the row protocol's bytes, either engine). */
  path: "rows" | "copy" | "fast";
  sql: string;
  /** Rows the query returns. */
  rows: number;
}

const DIGITS =
  "(SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";

/** n = 1..count (count <= 100,000), made by the server. */
function series(engine: Engine, count: number): string {
  if (engine === "postgres") return `generate_series(1, ${count}) s(n)`;
  return `(SELECT 1 + a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n AS n FROM ${DIGITS} a, ${DIGITS} b, ${DIGITS} c, ${DIGITS} d, ${DIGITS} e) s WHERE s.n <= ${count}`;
}

const repeat = (engine: Engine, ch: string, n: number) =>
  engine === "postgres" ? `repeat('${ch}', ${n})` : `REPEAT('${ch}', ${n})`;

const PATHS = [
  ["postgres", "rows"],
  ["postgres", "copy"],
  ["postgres", "fast"],
  ["mysql", "rows"],
  ["mysql", "fast"],
] as const;

/** The worker's settings that take a path, the others switched off. */
export function pathEnv(path: WideShape["path"]): Record<string, string> {
  return {
    PG_COPY: path === "copy" ? "true" : "false",
    PG_FAST_PATH: path === "fast" ? "true" : "false",
    MYSQL_FAST_PATH: path === "fast" ? "true" : "false",
  };
}

/** Many short values: 20 M values in 20,000 rows, on each path. */
export function narrowShapes(): WideShape[] {
  return PATHS.map(([engine, path]) => ({
    name: "20,000 rows of 1,000 one-character columns",
    engine,
    path,
    sql: `SELECT ${Array.from({ length: 1000 }, (_, i) => `'x' AS c${i + 1}`).join(", ")} FROM ${series(engine, 20000)}`,
    rows: 20000,
  }));
}

/** The shapes, on each path. */
export function wideShapes(): WideShape[] {
  const out: WideShape[] = [];
  for (const [engine, path] of PATHS) {
    const kb = engine === "postgres" ? 32 : 64;
    out.push({
      name: `5,000 rows of ${kb} KB`,
      engine,
      path,
      sql: `SELECT s.n, ${repeat(engine, "x", kb * 1024)} FROM ${series(engine, 5000)}`,
      rows: 5000,
    });
    out.push({
      name: "one 300M-character cell",
      engine,
      path,
      sql: `SELECT 1 AS n, ${repeat(engine, "x", 300_000_000)} AS big`,
      rows: 1,
    });
    out.push({
      name: "one row of 20 cells of 15M characters",
      engine,
      path,
      sql: `SELECT ${Array.from({ length: 20 }, (_, i) => `${repeat(engine, "x", 15_000_000)} AS c${i + 1}`).join(", ")}`,
      rows: 1,
    });
  }
  return out;
}
