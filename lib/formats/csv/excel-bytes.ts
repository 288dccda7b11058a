// The Excel-facing rules of value-text.ts and long-digits.ts, on UTF-8 bytes, for the COPY path
// (copy-csv.ts), which never turns a value into a string. A unit test holds them to the
// string versions for every case those are tested with.

const ZERO = 0x30;
const NINE = 0x39;
const isDigit = (b: number) => b >= ZERO && b <= NINE;

/** Bytes that start a formula in Excel: = + - @ tab CR. */
export function startsFormula(b: number): boolean {
  return b === 0x3d || b === 0x2b || b === 0x2d || b === 0x40 || b === 0x09 || b === 0x0d;
}

/** A sign must be followed by a plain number for the cell not to be a formula. */
export function isSign(b: number): boolean {
  return b === 0x2b || b === 0x2d;
}

/** value-text.ts's PLAIN_NUMBER: [+-]?(digits[.digits*] | .digits)([eE][+-]?digits)? */
export function isPlainNumber(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  if (i < end && isSign(buf[i] as number)) i++;
  let mantissa = 0;
  while (i < end && isDigit(buf[i] as number)) {
    i++;
    mantissa++;
  }
  if (i < end && buf[i] === 0x2e) {
    i++;
    let fraction = 0;
    while (i < end && isDigit(buf[i] as number)) {
      i++;
      fraction++;
    }
    if (mantissa === 0 && fraction === 0) return false;
  } else if (mantissa === 0) {
    return false;
  }
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    if (i < end && isSign(buf[i] as number)) i++;
    let exponent = 0;
    while (i < end && isDigit(buf[i] as number)) {
      i++;
      exponent++;
    }
    if (exponent === 0) return false;
  }
  return i === end;
}

/** long-digits.ts's rule: 12+ digits with an optional X at the end, or 0 then digits; at most 64. */
export function isLongDigits(buf: Buffer, start: number, end: number): boolean {
  const n = end - start;
  if (n < 2 || n > 64 || !isDigit(buf[start] as number)) return false;
  let last = end;
  const tail = buf[end - 1] as number;
  if (tail === 0x58 || tail === 0x78) last = end - 1;
  for (let i = start; i < last; i++) if (!isDigit(buf[i] as number)) return false;
  const digits = last - start;
  if (last < end) return digits >= 12;
  return digits >= 12 || buf[start] === ZERO;
}

/** Could the value still turn out long digits (or, after a sign, a plain number)? */
export function isDigitByte(b: number): boolean {
  return isDigit(b);
}
