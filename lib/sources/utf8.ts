/**
 * Whether buf[start, end) is well-formed UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF): what node:buffer's isUtf8 says, without a Buffer view per value. A unit test
 * holds the two to the same answer on every short sequence and on random bytes.
 */
export function isUtf8Range(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = buf[i] as number;
    if (c < 0x80) {
      i += 1;
      continue;
    }
    if (c < 0xc2 || c > 0xf4) return false;
    const c1 = i + 1 < end ? (buf[i + 1] as number) : 0;
    if (c < 0xe0) {
      if (i + 2 > end || (c1 & 0xc0) !== 0x80) return false;
      i += 2;
      continue;
    }
    if (c < 0xf0) {
      if (i + 3 > end || (c1 & 0xc0) !== 0x80 || ((buf[i + 2] as number) & 0xc0) !== 0x80)
        return false;
      // E0 needs A0..BF (shorter forms are overlong); ED needs 80..9F (A0.. are surrogates).
      if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return false;
      i += 3;
      continue;
    }
    if (
      i + 4 > end ||
      (c1 & 0xc0) !== 0x80 ||
      ((buf[i + 2] as number) & 0xc0) !== 0x80 ||
      ((buf[i + 3] as number) & 0xc0) !== 0x80
    )
      return false;
    // F0 needs 90..BF (overlong below); F4 needs 80..8F (past U+10FFFF above).
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return false;
    i += 4;
  }
  return true;
}
