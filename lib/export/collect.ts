/**
 * A full garbage collection started once per upload part's worth of output, where the runtime
 * exposes one (the worker is deployed with --expose-gc in NODE_OPTIONS; elsewhere this does
 * nothing). Started, not waited for: V8 marks incrementally while the export goes on. A
 * synchronous collection each part cost about 20 ms (the heap is mostly the bundle's code),
 * 0.8 s of a 5 s export; started asynchronously the growth stayed the same (npm run bench).
 *
 * Why: every stage of an export hands on fresh Buffers (socket reads, rendered CSV, encoded
 * bytes, lib-storage's 5 MB parts). Their memory lives outside V8's heap, and a fast path
 * allocates almost nothing on the heap itself, so V8 seldom collects: dead Buffers piled up to
 * 50 MB before it did, and peak RSS grew 20-30 MB from 200k to 2M rows. One collection per part
 * (about 30 for a 150 MB file, a few ms each) keeps it flat (npm run bench, "growth").
 */
export function createCollector(everyBytes: number): (bytes: number) => void {
  const gc = (globalThis as { gc?: (options: GcOptions) => unknown }).gc;
  if (typeof gc !== "function") return () => {};
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes) return;
    since = 0;
    gc({ type: "major", execution: "async" });
  };
}

/** Node's gc() options (--expose-gc): a major collection, started and not waited for. */
interface GcOptions {
  type: "major";
  execution: "async";
}
