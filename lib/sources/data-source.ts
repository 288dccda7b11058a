import { checkTaskSql, type GuardRules } from "./statement-guard.js";
import type { DataSource } from "./types.js";

/** A data source whose task SQL is checked (statement-guard.ts) before it is sent. */
export function guardedSource(inner: DataSource, rules: GuardRules): DataSource {
  const openRendered = inner.openRendered;
  return {
    label: inner.label,
    open(sql) {
      checkTaskSql(rules, sql);
      return inner.open(sql);
    },
    ...(openRendered && {
      openRendered(sql, rendering) {
        checkTaskSql(rules, sql);
        return openRendered(sql, rendering);
      },
    }),
  };
}
