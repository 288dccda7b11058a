// The entry protocol's chunks; format.ts says how they are used.

/** Starts a new file inside a container: the bytes after it, up to the next marker, are its. */
export interface EntryMarker {
  entry: string;
}

/** A chunk of a format's output: bytes, text (taken as UTF-8), or the start of a new entry. */
export type OutputChunk = Buffer | string | EntryMarker;

export function isEntryMarker(chunk: unknown): chunk is EntryMarker {
  return (
    typeof chunk === "object" &&
    chunk !== null &&
    !(chunk instanceof Uint8Array) &&
    typeof (chunk as { entry?: unknown }).entry === "string"
  );
}
