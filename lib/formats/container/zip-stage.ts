import { Duplex, PassThrough, type Readable } from "node:stream";
import { ZipFile } from "yazl";
import { isEntryMarker, type OutputChunk } from "../entries.js";

export interface ZipStageOptions {
  /** The entry that bytes before any marker go to (the only one when there is no marker). */
  entryName: string;
  /** Deflate level: 0 stores, 1 is fastest, 9 smallest. */
  level: number;
  /** ZIP64 records for every entry and the archive, even small ones (tests). */
  forceZip64?: boolean;
  /** Every entry's modification time (default: now). */
  mtime?: Date;
}

// What one entry's stream holds before the writer waits for the ZIP to take it.
const ENTRY_BUFFER_BYTES = 64 * 1024;

/**
 * The entry protocol (format.ts) in, one ZIP archive's bytes out, with yazl: each entry is
 * deflated as it streams, its CRC and sizes follow it in a data descriptor (nothing is known
 * in advance), and yazl switches an entry to ZIP64 once it or its offset passes 4 GB, and the
 * archive once it passes 4 GB or 65,534 entries. Nothing is held beyond the streams' buffers:
 * a write waits until the entry's stream drains, and the archive's output stream pauses while
 * the next stage is full, so a slow upload pauses the source.
 */
export function createZipStage(o: ZipStageOptions): Duplex {
  const zip = new ZipFile();
  const out = zip.outputStream as Readable;
  const names = new Set<string>();
  let entry: PassThrough | undefined;
  const open = (name: string) => {
    if (names.has(name)) throw new Error(`the archive already has an entry named ${name}`);
    names.add(name);
    entry?.end();
    entry = new PassThrough({ highWaterMark: ENTRY_BUFFER_BYTES });
    zip.addReadStream(entry, name, {
      compressionLevel: o.level,
      forceZip64Format: o.forceZip64 ?? false,
      ...(o.mtime ? { mtime: o.mtime } : {}),
    });
  };
  const stage = new Duplex({
    writableObjectMode: true,
    writableHighWaterMark: 1,
    write(chunk: OutputChunk, _enc, done) {
      try {
        if (isEntryMarker(chunk)) {
          open(chunk.entry);
          done();
          return;
        }
        if (entry === undefined) open(o.entryName);
        const current = entry as PassThrough;
        const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
        if (current.write(bytes)) done();
        else current.once("drain", () => done());
      } catch (err) {
        done(err as Error);
      }
    },
    final(done) {
      try {
        if (entry === undefined) open(o.entryName);
        entry?.end();
        zip.end({ forceZip64Format: o.forceZip64 ?? false, comment: "" });
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    read() {
      out.resume();
    },
    destroy(err, done) {
      entry?.destroy();
      out.destroy();
      done(err);
    },
  });
  out.on("data", (bytes: Buffer) => {
    if (!stage.push(bytes)) out.pause();
  });
  out.once("end", () => stage.push(null));
  zip.on("error", (err: Error) => stage.destroy(err));
  return stage;
}
