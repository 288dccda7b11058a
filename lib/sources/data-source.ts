import type { DbUrl } from "../db/url.js";
import { DIALECTS } from "../engines/index.js";
import { checkTaskSql } from "./statement-guard.js";
import type { DataSource, SourceOptions } from "./types.js";

/** The data database, with task SQL checked (statement-guard.ts) before it is sent. */
export function createDataSource(db: DbUrl, o: SourceOptions): DataSource {
  const dialect = DIALECTS[db.engine];
  const inner = dialect.createSource(db, o);
  const openRendered = inner.openRendered;
  return {
    label: inner.label,
    open(sql) {
      checkTaskSql(dialect.guard, sql);
      return inner.open(sql);
    },
    ...(openRendered && {
      openRendered(sql, rendering) {
        checkTaskSql(dialect.guard, sql);
        return openRendered(sql, rendering);
      },
    }),
  };
}
