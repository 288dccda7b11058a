// Feeding a wire scanner bytes the ways a socket can cut them.
import assert from "node:assert/strict";
import type { WireScanner } from "../../lib/sources/wire-guard.js";

/** The first verdict, and how many bytes had been fed when it came. */
export function scan(
  scanner: WireScanner,
  chunks: Buffer[],
): { verdict: Error | undefined; fed: number } {
  let fed = 0;
  for (const c of chunks) {
    const verdict = scanner.feed(c);
    fed += c.length;
    if (verdict) return { verdict, fed };
  }
  return { verdict: undefined, fed };
}

/** The verdict's shape, for comparing: its name, and row and column when it has them. */
export function shape(err: Error | undefined): string {
  if (err === undefined) return "fits";
  const e = err as Error & { row?: number; column?: number };
  return e.row === undefined ? err.name : `${err.name} row ${e.row} column ${e.column}`;
}

/**
 * The same verdict whether the bytes come whole, one at a time, or cut in two at every
 * offset (and in three around `near`, where the interesting bytes are).
 */
export function assertEverySplit(
  make: () => WireScanner,
  bytes: Buffer,
  expected: string,
  near: number[] = [],
): void {
  assert.equal(shape(scan(make(), [bytes]).verdict), expected, "whole");
  const single = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  assert.equal(shape(scan(make(), single).verdict), expected, "byte by byte");
  for (let i = 0; i <= bytes.length; i++) {
    const got = shape(scan(make(), [bytes.subarray(0, i), bytes.subarray(i)]).verdict);
    assert.equal(got, expected, `cut at ${i}`);
  }
  for (const a of near)
    for (let b = a; b <= Math.min(bytes.length, a + 16); b++) {
      const got = shape(
        scan(make(), [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]).verdict,
      );
      assert.equal(got, expected, `cut at ${a} and ${b}`);
    }
}
