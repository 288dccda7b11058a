import { STATUS } from "../status.js";

export type StatusName = keyof typeof STATUS;

const NAMES = Object.fromEntries(Object.entries(STATUS).map(([k, v]) => [v, k])) as Record<
  number,
  StatusName
>;

/** 0 -> "pending"; a code the product never writes is shown as its number. */
export function statusName(code: number): string {
  return NAMES[code] ?? String(code);
}

/**
 * "pending,failed" or "0,3" (names and codes may mix) -> codes; throws naming the bad part.
 * The names are the README's: pending 0, processing 1, succeeded 2, failed 3.
 */
export function parseStatuses(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",").map((s) => s.trim().toLowerCase())) {
    const code =
      part in STATUS ? STATUS[part as StatusName] : /^[0-3]$/.test(part) ? Number(part) : undefined;
    if (code === undefined) {
      throw new Error(
        `unknown status "${part}": use pending, processing, succeeded, failed (or 0, 1, 2, 3), comma-separated`,
      );
    }
    if (!out.includes(code)) out.push(code);
  }
  return out;
}
