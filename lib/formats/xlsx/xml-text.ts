import type { XmlBytes } from "./xml-bytes.js";

/**
 * Text for a cell or label in the sheet's XML. XML's own specials become entities; characters
 * XML 1.0 cannot hold (most C0 controls, U+FFFE, U+FFFF) and CR (an XML parser turns it into
 * LF) become OOXML's `_xHHHH_`; text that already looks like such an escape gets its underscore
 * escaped (`_x005F_`) so a reader gives it back as written; a lone surrogate, which UTF-8
 * cannot encode, becomes U+FFFD. Surrogate pairs (emoji, CJK Extension B) stay as they are.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const NEEDS_WORK = /[&<>\u0000-\u0008\u000b-\u001f\ud800-\udfff\ufffe\uffff]|_x/i;
const ESCAPE_LIKE = /^_[xX][0-9A-Fa-f]{4}_/;
const hex4 = (c: number) => c.toString(16).toUpperCase().padStart(4, "0");

export function xmlText(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let rep: string | undefined;
    if (c === 0x26) rep = "&amp;";
    else if (c === 0x3c) rep = "&lt;";
    else if (c === 0x3e) rep = "&gt;";
    else if (c < 0x20) rep = c === 0x09 || c === 0x0a ? undefined : `_x${hex4(c)}_`;
    else if (c === 0xfffe || c === 0xffff) rep = `_x${hex4(c)}_`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1;
        continue;
      }
      rep = "\ufffd";
    } else if (c >= 0xdc00 && c <= 0xdfff) rep = "\ufffd";
    else if (c === 0x5f && ESCAPE_LIKE.test(text.slice(i, i + 7))) rep = "_x005F_";
    if (rep !== undefined) {
      out += text.slice(from, i) + rep;
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

/** Whether a reader would drop whitespace at either end unless the element keeps it. */
function edgeSpace(text: string): boolean {
  if (text.length === 0) return false;
  const a = text.charCodeAt(0);
  const z = text.charCodeAt(text.length - 1);
  return a === 32 || a === 9 || a === 10 || a === 13 || z === 32 || z === 9 || z === 10 || z === 13;
}

/** `<c`, with its reference unless it follows the previous cell (`ref` ""). */
export function openCell(out: XmlBytes, ref: string): void {
  if (ref === "") {
    out.ascii("<c");
    return;
  }
  out.ascii('<c r="');
  out.ascii(ref);
  out.ascii('"');
}

/**
 * An inline-string cell (`ref` as in openCell): never read as a formula or a number, whatever
 * the text.
 */
export function writeInlineString(out: XmlBytes, ref: string, text: string, style?: number): void {
  openCell(out, ref);
  out.ascii(style === undefined ? ' t="inlineStr"><is>' : ` t="inlineStr" s="${style}"><is>`);
  out.ascii(edgeSpace(text) ? '<t xml:space="preserve">' : "<t>");
  out.text(xmlText(text));
  out.ascii("</t></is></c>");
}
