import { Transform } from "node:stream";
import { isEntryMarker, type OutputChunk } from "../entries.js";

/**
 * The entry protocol (format.ts) in, one stream of bytes out, for containers that hold one
 * file: a marker before the first byte names that file and is dropped; a marker after it
 * would need a second file, which such a container cannot hold, so it fails the export
 * (a writer splits only when told its container holds entries).
 */
export function createSingleStream(): Transform {
  let started = false;
  return new Transform({
    writableObjectMode: true,
    writableHighWaterMark: 1,
    transform(chunk: OutputChunk, _enc, done) {
      if (isEntryMarker(chunk)) {
        done(
          started
            ? new Error(
                `the output starts a second file (${chunk.entry}), which this container cannot hold`,
              )
            : undefined,
        );
        return;
      }
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      if (bytes.length > 0) started = true;
      done(null, bytes);
    },
  });
}
