import { isUtf8 } from "node:buffer";

/**
 * One chunk of a UTF-8 stream, as both encoders read it: the previous chunk's cut-off character
 * joined on, the whole characters (`body`), whether they are well-formed UTF-8, and the
 * character cut off at this chunk's end, to carry into the next.
 */
export function wholeCharacters(
  input: Buffer,
  carry?: Buffer,
): { body: Buffer; valid: boolean; carry: Buffer | undefined } {
  const buf = carry ? Buffer.concat([carry, input]) : input;
  const whole = completeLength(buf);
  const body = whole === buf.length ? buf : buf.subarray(0, whole);
  return {
    body,
    valid: isUtf8(body),
    carry: whole < buf.length ? Buffer.from(buf.subarray(whole)) : undefined,
  };
}

/** The bytes before a character cut off at the end (whose rest comes in the next chunk). */
function completeLength(buf: Buffer): number {
  const n = buf.length;
  for (let j = n - 1; j >= 0 && j >= n - 3; j--) {
    const b = buf[j] as number;
    if ((b & 0xc0) === 0x80) continue;
    if (b < 0xc2 || b > 0xf4) return n;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return j + need > n ? j : n;
  }
  return n;
}
