// Buffers held (process.memoryUsage().arrayBuffers) above which a part's check collects: about
// what an export holds alive when the upload is the bottleneck (two 5 MB parts in flight, one
// being gathered, the streams' buffers), so below it there is little garbage to free.
const HELD_BYTES = 24 * 1024 * 1024;
// Young-generation collections between the full ones: each frees the Buffers that died since the
// last (most do: a chunk lives for one trip down the pipeline) in under a millisecond.
const MINORS_PER_PART = 4;

/**
 * A full garbage collection, once per upload part's worth of output, when the Buffers held pass
 * HELD_BYTES (or at every part for the row paths, `everyPart`), and a young-generation one at
 * each quarter between, when the runtime exposes gc (the worker is deployed with --expose-gc in
 * NODE_OPTIONS; elsewhere this does nothing).
 *
 * Why: every stage of an export hands on fresh Buffers (socket reads, rendered CSV, encoded
 * bytes, lib-storage's 5 MB parts). Their memory lives outside V8's heap, and a fast path
 * allocates almost nothing on the heap itself, so V8 seldom collected: dead Buffers piled up to
 * 50 MB before it did, and peak RSS grew 20-30 MB from 200k to 2M rows. A collection stops the
 * export for about 20 ms (the heap is mostly the bundle's code), so it runs only when there is
 * garbage to free; started asynchronously instead, V8 finished it too late to hold the growth
 * under 20 MB (npm run bench, "growth"). The young collections cost ~0.7 ms each (61 ms in a 2M-row
 * export, against 16 ms per full one); they cut the compressed paths' Buffer peaks from 40-44 MB
 * to 27-29 MB and their growth from +24..+37 MB to +13..+21 MB.
 */
export function createCollector(
  everyBytes: number,
  {
    held = () => process.memoryUsage().arrayBuffers,
    everyPart = false,
  }: {
    /** The Buffers held, in bytes (tests stub it). */
    held?: () => number;
    /**
     * Collect fully at every part, whatever the Buffers held: for the row paths, whose garbage
     * is on the heap (a string per value), where the Buffers say nothing about it. Without it
     * the PostgreSQL row path's heap reached 44-46 MB at 2M rows and its peak RSS grew
     * +22..+24 MB from 200k rows in five runs of five; with it +15..+17 (npm run bench), for
     * 0.5-0.8 s more CPU in 9 (the MySQL row path, which stayed under +20 without it: about
     * 1 s in 10.5).
     */
    everyPart?: boolean;
  } = {},
): (bytes: number) => void {
  const gc = (globalThis as { gc?: (o?: { type: "minor" }) => void }).gc;
  if (typeof gc !== "function") return () => {};
  const minorBytes = everyBytes / MINORS_PER_PART;
  let since = 0;
  let sinceMinor = 0;
  return (bytes) => {
    since += bytes;
    sinceMinor += bytes;
    if (since >= everyBytes) {
      since = 0;
      sinceMinor = 0;
      if (everyPart || held() > HELD_BYTES) gc();
      return;
    }
    if (sinceMinor >= minorBytes) {
      sinceMinor = 0;
      gc({ type: "minor" });
    }
  };
}
