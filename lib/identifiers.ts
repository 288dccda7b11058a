import type { Engine } from "./db/url.js";

/** A table name that has been checked, so it may be quoted into SQL text. */
export interface TableName {
  schema: string | undefined;
  name: string;
}

// Conservative on purpose: letters, digits and underscores, not starting with a digit.
const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function parseTableName(value: string): TableName {
  const parts = value.split(".");
  if (parts.length > 2 || !parts.every((p) => IDENT.test(p))) {
    throw new Error(
      `"${value}" is not a valid table name (letters, digits and _ only, optionally schema.table)`,
    );
  }
  return parts.length === 2
    ? { schema: parts[0], name: parts[1] as string }
    : { schema: undefined, name: parts[0] as string };
}

export function quoteIdent(engine: Engine, ident: string): string {
  if (!IDENT.test(ident)) throw new Error(`refusing to quote unchecked identifier "${ident}"`);
  return engine === "mysql" ? `\`${ident}\`` : `"${ident}"`;
}

export function quoteTable(engine: Engine, t: TableName): string {
  const name = quoteIdent(engine, t.name);
  return t.schema ? `${quoteIdent(engine, t.schema)}.${name}` : name;
}
