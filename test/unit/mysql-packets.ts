// MySQL text-protocol bytes for tests: length-encoded integers and a row's payload, as the
// server writes them (the wire guard's and the fast path's tests build rows the same way).

/** A length-encoded integer, as the text protocol writes a value's length. */
export function lenenc(n: number): Buffer {
  if (n < 0xfb) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

/** A text-protocol row's payload: each value length-encoded, 0xFB for NULL. */
export function rowPayload(fields: (string | Buffer | null)[]): Buffer {
  return Buffer.concat(
    fields.flatMap((f) => {
      if (f === null) return [Buffer.from([0xfb])];
      const b = typeof f === "string" ? Buffer.from(f, "utf8") : f;
      return [lenenc(b.length), b];
    }),
  );
}
