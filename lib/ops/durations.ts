/** Seconds per unit an operator may write after a number: 30s, 15m, 12h, 7d, 2w. */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const WORDS: [seconds: number, one: string][] = [
  [604_800, "week"],
  [86_400, "day"],
  [3600, "hour"],
  [60, "minute"],
  [1, "second"],
];

/**
 * "7d", "12h", "30m", "45s", "2w" (or a bare number of seconds) -> seconds; undefined for
 * anything else. A whole number only: "1.5d" is refused rather than guessed.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})([smhdw]?)$/.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  const n = Number(m[1]) * (UNITS[m[2] || "s"] ?? 1);
  return n > 0 ? n : undefined;
}

/** 2592000 -> "30 days", 43200 -> "12 hours", 90 -> "90 seconds": the largest unit that divides it. */
export function durationWords(seconds: number): string {
  const [unit, word] = WORDS.find(([u]) => seconds % u === 0 && seconds >= u) ?? [1, "second"];
  const n = seconds / unit;
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
