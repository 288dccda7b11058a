import { Transform } from "node:stream";
import iconv from "iconv-lite";
import { encodeGb18030FromUtf8, splitHighSurrogate } from "./gb18030.js";

/** How text files are written. */
export type TextEncoding = "gb18030" | "utf8-bom" | "utf8";
export const TEXT_ENCODINGS: readonly TextEncoding[] = ["gb18030", "utf8-bom", "utf8"];

/**
 * Text in, bytes out. GB18030 covers all of Unicode (characters outside the BMP take four
 * bytes), so nothing is lost, and Excel on Chinese Windows opens it without garbling.
 */
export function createEncoder(encoding: TextEncoding): Transform {
  if (encoding === "gb18030") return gb18030Stream();
  let first = true;
  return new Transform({
    decodeStrings: false,
    transform(chunk: string | Buffer, _enc, done) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      if (first && encoding === "utf8-bom") {
        first = false;
        done(null, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]));
        return;
      }
      first = false;
      done(null, buf);
    },
    flush(done) {
      // An empty export in UTF-8 with BOM is still marked as UTF-8.
      if (first && encoding === "utf8-bom") this.push(Buffer.from([0xef, 0xbb, 0xbf]));
      done();
    },
  });
}

/** Text (UTF-8 Buffers from the CSV layout or a COPY, or strings) in, GB18030 out; see gb18030.ts. */
function gb18030Stream(): Transform {
  let carry = "";
  let carryBytes: Buffer | undefined;
  return new Transform({
    decodeStrings: false,
    transform(chunk: string | Buffer, _enc, done) {
      if (typeof chunk === "string") {
        // Via UTF-8 bytes: Buffer.from is native, and the byte encoder is faster than
        // walking a concatenated string (npm run bench). A high surrogate at the very end
        // waits for its pair in the next chunk.
        const [text, rest] = splitHighSurrogate(carry + chunk);
        carry = rest;
        const r = encodeGb18030FromUtf8(Buffer.from(text, "utf8"));
        done(null, r.bytes.length > 0 ? r.bytes : undefined);
      } else {
        const r = encodeGb18030FromUtf8(chunk, carryBytes);
        carryBytes = r.carry;
        done(null, r.bytes.length > 0 ? r.bytes : undefined);
      }
    },
    flush(done) {
      // A character cut off at the very end: what a decoder would make of it.
      const rest = (carryBytes ? carryBytes.toString("utf8") : "") + carry;
      if (rest !== "") this.push(iconv.encode(rest, "gb18030"));
      done();
    },
  });
}

/** The charset parameter of a Content-Type for this encoding. */
export function charsetOf(encoding: TextEncoding): string {
  return encoding === "gb18030" ? "GB18030" : "utf-8";
}
