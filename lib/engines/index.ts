import type { DbUrl, Engine } from "../db/url.js";
import { type Classified, classifyNetwork } from "../failure/kinds.js";
import { guardedSource } from "../sources/data-source.js";
import { orderKey } from "../sources/order-key.js";
import type { DataSource, SourceOptions, SqlText } from "../sources/types.js";
import { wrappableSql } from "../sources/wrappable.js";
import type { DbClient, Dialect } from "./dialect.js";
import { mysqlDialect } from "./mysql/index.js";
import { postgresDialect } from "./postgres/index.js";

/** Every engine's dialect. A new Engine without an entry here, or a Dialect missing a piece, does not compile. */
export const DIALECTS: Record<Engine, Dialect> = {
  mysql: mysqlDialect,
  postgres: postgresDialect,
};

/** A pooled connection that died while idle (Lambda frozen, database restarted): worth one retry. */
export function isStaleConnection(dialect: Dialect, err: unknown): boolean {
  return (dialect.classify(err) ?? classifyNetwork(err))?.kind === "lost";
}

/**
 * What an error means, whichever engine (or the network) raised it. Called once where a
 * failure is caught; the result is passed on (failure/policy.ts, failure/describe.ts).
 */
export function classifyError(err: unknown): Classified {
  for (const dialect of Object.values(DIALECTS)) {
    const c = dialect.classify(err);
    if (c) return c;
  }
  return classifyNetwork(err) ?? { kind: "other" };
}

/** A pooled client for the database `db` names, carrying its dialect. */
export function createSqlClient(db: DbUrl, poolSize = 4): DbClient {
  const dialect = DIALECTS[db.engine];
  const client = dialect.createClient(db, {
    poolSize,
    isStaleConnection: (err) => isStaleConnection(dialect, err),
  });
  return Object.assign(client, { dialect });
}

/** How SQL text for this engine is written around task SQL (lib/slices). */
export function sqlTextOf(dialect: Dialect): SqlText {
  return {
    quoteIdent: dialect.quoteIdent,
    wrappable: (sql) => wrappableSql(sql, dialect.guard.lex),
    orderKey: (sql) => orderKey(sql, dialect.guard.lex),
    ...dialect.sliceKeys,
  };
}

/**
 * The data database, with task SQL checked by its engine's guard before it is sent, and the
 * functions it calls checked again as the server resolves them where the engine can.
 */
export function createDataSource(db: DbUrl, o: SourceOptions): DataSource {
  const dialect = DIALECTS[db.engine];
  const source = dialect.createSource(db, { ...o, functionRules: dialect.guard });
  return { ...guardedSource(source, dialect.guard), sqlText: sqlTextOf(dialect) };
}
