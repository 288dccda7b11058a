import iconv from "iconv-lite";
import type { TextEncoding } from "../formats/encoding/encoder.js";

/** Decodes a finished file, for the demo, the benchmark and the tests. */
export function decodeText(bytes: Buffer, encoding: TextEncoding): string {
  if (encoding === "gb18030") return iconv.decode(bytes, "gb18030");
  const text = bytes.toString("utf8");
  return encoding === "utf8-bom" ? text.replace(/^\uFEFF/, "") : text;
}
