/**
 * Text for one CSV cell. Sources already hand over the database's own text output (strings);
 * this only covers values a source could not turn into text, so nothing prints as
 * `[object Object]` or epoch milliseconds.
 */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Date) return formatDate(v);
  if (Buffer.isBuffer(v)) return `\\x${v.toString("hex")}`;
  return JSON.stringify(v);
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function formatDate(d: Date): string {
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return d.getMilliseconds() ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * What goes in front of a cell that Excel would evaluate as a formula: a single quote (OWASP
 * CSV injection advice), but nothing for plain numbers such as -1.5.
 */
export function formulaPrefix(text: string): "" | "'" {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? "'" : "";
}

/** The cell with its formulaPrefix. */
export function escapeFormula(text: string): string {
  return formulaPrefix(text) + text;
}
