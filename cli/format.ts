/** 812 -> "812 B", 1536 -> "1.5 KB", 157286400 -> "150 MB" (powers of 1024, as `ls -h`). */
export function humanBytes(n: number | null): string {
  if (n === null) return "-";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 || v >= 10 ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, "");
  return `${text} ${units[u]}`;
}

/** 45 -> "45s", 185 -> "3m 05s", 7380 -> "2h 03m", 273600 -> "3d 04h"; two units at most. */
export function humanDuration(seconds: number | null): string {
  if (seconds === null) return "-";
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor(s / 3600) % 24)}h`;
}

/** 2026-12-02 10:11:12, in this machine's time zone (the table's times are shown as the server keeps them). */
export function localTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Newlines, tabs and other control characters as spaces: one table cell, one line. */
export function oneLine(text: string | null): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we replace
  return (text ?? "").replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

/**
 * Columns a character takes on a terminal: East Asian wide and fullwidth characters (task names
 * are often Chinese) and most emoji take two, combining marks none.
 */
export function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200b || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch.codePointAt(0) ?? 0);
  return w;
}

/** Cut to at most `width` columns, ending in "…" when cut. */
export function fitWidth(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  let out = "";
  let w = 0;
  for (const ch of text) {
    const cw = charWidth(ch.codePointAt(0) ?? 0);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

export interface Column {
  header: string;
  /** Numbers read better aligned right. */
  right?: boolean;
  /** Cut longer cells to this many columns. */
  max?: number;
}

/**
 * An aligned table: a header line and one line per row, columns two spaces apart, padded by
 * terminal width (not string length), trailing spaces trimmed.
 */
export function table(columns: Column[], rows: string[][]): string {
  const cells = rows.map((r) =>
    columns.map((c, i) => (c.max === undefined ? (r[i] ?? "") : fitWidth(r[i] ?? "", c.max))),
  );
  const widths = columns.map((c, i) =>
    Math.max(textWidth(c.header), ...cells.map((r) => textWidth(r[i] ?? ""))),
  );
  const line = (r: string[]) =>
    r
      .map((cell, i) => {
        const pad = " ".repeat((widths[i] ?? 0) - textWidth(cell));
        return columns[i]?.right ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join("\n");
}
