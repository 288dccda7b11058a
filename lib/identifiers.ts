/** A table name that has been checked, so it may be quoted into SQL text. */
export interface TableName {
  schema: string | undefined;
  name: string;
}

// Conservative on purpose: letters, digits and underscores, not starting with a digit.
export const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

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

/** Wraps an identifier in the engine's quote characters, refusing anything unchecked. */
export function quoteChecked(ident: string, open: string, close: string): string {
  if (!IDENT.test(ident)) throw new Error(`refusing to quote unchecked identifier "${ident}"`);
  return `${open}${ident}${close}`;
}

/** `schema.table` or `table`, each part quoted by `quote` (a dialect's quoteIdent). */
export function quoteTable(quote: (ident: string) => string, t: TableName): string {
  const name = quote(t.name);
  return t.schema ? `${quote(t.schema)}.${name}` : name;
}

/** A table next to `t` named `<t>_<suffix>` (the base cut so the name stays a valid identifier). */
export function companionTable(t: TableName, suffix: string): TableName {
  const name = `${t.name.slice(0, 62 - suffix.length)}_${suffix}`;
  if (!IDENT.test(name)) throw new Error(`cannot name a table "${name}"`);
  return { schema: t.schema, name };
}
