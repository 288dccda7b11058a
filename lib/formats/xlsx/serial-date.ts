/**
 * The database's text for dates, times and timestamps as Excel serial numbers (days since
 * 1899-12-30, the time of day as the fraction), in Excel's 1900 date system. Anything Excel
 * cannot show as a date (before 1900, after 9999, BC, `infinity`, MySQL's zero dates, hours
 * past 23, other DateStyles) gives undefined, and the value is written as text.
 */

const DAY_MS = 86_400_000;
const DAY_ZERO = Date.UTC(1899, 11, 30);

/** 1900-03-01 as days since 1899-12-30: the first day after Excel's fictional 1900-02-29. */
const FIRST_AFTER_LEAP_BUG = 61;

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (y: number, m: number) =>
  m === 2 && isLeap(y) ? 29 : (MONTH_DAYS[m - 1] as number);

/**
 * The serial of a calendar day, month 1-based. Excel counts 1900 as a leap year (serial 60 is
 * 1900-02-29, a day that never was), so days before 1900-03-01 count from 1899-12-31.
 */
export function dateSerial(y: number, m: number, d: number): number | undefined {
  if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) return undefined;
  const days = (Date.UTC(y, m - 1, d) - DAY_ZERO) / DAY_MS;
  return days < FIRST_AFTER_LEAP_BUG ? days - 1 : days;
}

/** The fraction of a day, or undefined for a time of day Excel cannot show as one. */
export function timeFraction(h: number, mi: number, s: number, frac: string): number | undefined {
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return (h * 3600 + mi * 60 + s + (frac === "" ? 0 : Number(`0${frac}`))) / 86400;
}

/** A UTC offset after a time (PostgreSQL's timestamptz and timetz): dropped, the wall time kept. */
const OFFSET = "(?:[+-]\\d{2}(?::?\\d{2}){0,2}|Z)?";
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = new RegExp(`^(\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?${OFFSET}$`);
const TIMESTAMP = new RegExp(
  `^(\\d{4})-(\\d{2})-(\\d{2})[ T](\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?${OFFSET}$`,
);

export type TemporalKind = "date" | "time" | "timestamp";

export interface Serial {
  serial: number;
  /** Whether the text had a fraction of a second other than zero (shown as milliseconds). */
  fraction: boolean;
}

const hasFraction = (frac: string | undefined) => frac !== undefined && /[1-9]/.test(frac);

/** The serial for a date, time or timestamp as the database writes it, or undefined. */
export function temporalSerial(text: string, kind: TemporalKind): Serial | undefined {
  const fast = plainSerial(text, kind);
  if (fast !== undefined) return fast < 0 ? undefined : { serial: fast, fraction: false };
  if (kind === "date") {
    const m = DATE.exec(text);
    if (!m) return undefined;
    const serial = dateSerial(Number(m[1]), Number(m[2]), Number(m[3]));
    return serial === undefined ? undefined : { serial, fraction: false };
  }
  if (kind === "time") {
    const m = TIME.exec(text);
    if (!m) return undefined;
    const serial = timeFraction(Number(m[1]), Number(m[2]), Number(m[3]), m[4] ?? "");
    return serial === undefined ? undefined : { serial, fraction: hasFraction(m[4]) };
  }
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const day = dateSerial(Number(m[1]), Number(m[2]), Number(m[3]));
  const time = timeFraction(Number(m[4]), Number(m[5]), Number(m[6]), m[7] ?? "");
  if (day === undefined || time === undefined) return undefined;
  return { serial: day + time, fraction: hasFraction(m[7]) };
}

/** Two digits at `at` as a number, or -1. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

// The last day seen: a column of timestamps repeats its day for many rows.
let lastDay = "";
let lastDaySerial = -1;

/** `YYYY-MM-DD` at the start of text, as a serial (cached), or -1. */
function daySerial(text: string): number {
  const key = text.length === 10 ? text : text.slice(0, 10);
  if (key === lastDay) return lastDaySerial;
  const hi = twoDigits(text, 0);
  const lo = twoDigits(text, 2);
  const m = twoDigits(text, 5);
  const d = twoDigits(text, 8);
  if (hi < 0 || lo < 0 || m < 0 || d < 0 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45)
    return -1;
  const serial = dateSerial(hi * 100 + lo, m, d) ?? -1;
  lastDay = key;
  lastDaySerial = serial;
  return serial;
}

/** `HH:MM:SS` at `at`, as a fraction of a day, or -1. */
function timeOfDay(text: string, at: number): number {
  const h = twoDigits(text, at);
  const mi = twoDigits(text, at + 3);
  const s = twoDigits(text, at + 6);
  if (h < 0 || mi < 0 || s < 0 || text.charCodeAt(at + 2) !== 58 || text.charCodeAt(at + 5) !== 58)
    return -1;
  return timeFraction(h, mi, s, "") ?? -1;
}

/**
 * The usual shapes without regular expressions (most temporal cells): `YYYY-MM-DD`,
 * `HH:MM:SS`, `YYYY-MM-DD HH:MM:SS`. The serial, -1 when the shape fits but Excel cannot
 * show it, or undefined for any other shape (the careful path decides).
 */
function plainSerial(text: string, kind: TemporalKind): number | undefined {
  if (kind === "date") return text.length === 10 ? daySerial(text) : undefined;
  if (kind === "time") return text.length === 8 ? timeOfDay(text, 0) : undefined;
  if (text.length !== 19 || (text.charCodeAt(10) !== 32 && text.charCodeAt(10) !== 84))
    return undefined;
  const day = daySerial(text);
  const time = timeOfDay(text, 11);
  return day < 0 || time < 0 ? -1 : day + time;
}
