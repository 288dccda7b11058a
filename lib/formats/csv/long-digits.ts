/**
 * Text Excel would turn into a number and lose digits of: 12 or more digits (Excel shows a
 * General number of 12+ digits in scientific notation and keeps only 15 significant digits),
 * optionally ending in X as a Chinese ID card number may, or digits with a leading zero
 * (Excel drops it). A phone number with a dash, or a decimal, is left alone: Excel keeps the
 * first as text and the second loses nothing.
 */
const LONG_DIGITS = /^(?:\d{12,}[Xx]?|0\d+)$/;

/**
 * The CSV field for a text value Excel would mangle: the formula ="digits", whose result is
 * the text itself, so Excel shows every digit and no apostrophe. Other readers see the
 * formula's text (LibreOffice evaluates it too). Undefined for any other value.
 */
export function longDigitsField(text: string): string | undefined {
  const first = text.charCodeAt(0);
  if (first < 0x30 || first > 0x39 || text.length < 2 || text.length > 64) return undefined;
  return LONG_DIGITS.test(text) ? `"=""${text}"""` : undefined;
}
