/** S3's floor for every part of a multipart upload but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's ceiling for one UploadPartCopy (and one part). */
export const MAX_COPY_BYTES = 5 * 1024 * 1024 * 1024;
/** S3's ceiling on the number of parts of one upload. */
export const MAX_PARTS = 10_000;

export interface SliceObject {
  key: string;
  /** The object's size, known to the caller. */
  bytes: number;
}

/** Bytes [start, end) of one slice object: `end` is exclusive. */
export interface ByteRange {
  key: string;
  start: number;
  end: number;
}

/** One part of the final object: copied server-side, or read into memory and uploaded. */
export type PartStep = { copy: ByteRange } | { buffer: ByteRange[] };

export const stepBytes = (s: PartStep): number =>
  "copy" in s ? s.copy.end - s.copy.start : s.buffer.reduce((n, r) => n + r.end - r.start, 0);

/**
 * The parts that concatenate `slices`, in order. Every part but the last is at least
 * minPartBytes; copies are at most maxCopyBytes; a buffered part stays under 2 * minPartBytes,
 * so memory is bounded whatever the slice sizes. No steps when there are no bytes.
 */
export function planParts(
  slices: readonly SliceObject[],
  minPartBytes = MIN_PART_BYTES,
  maxCopyBytes = MAX_COPY_BYTES,
): PartStep[] {
  if (!(Number.isSafeInteger(minPartBytes) && minPartBytes > 0)) {
    throw new RangeError(`minPartBytes must be a positive integer, not ${minPartBytes}`);
  }
  if (!(Number.isSafeInteger(maxCopyBytes) && maxCopyBytes >= minPartBytes)) {
    throw new RangeError(`maxCopyBytes (${maxCopyBytes}) must be an integer >= minPartBytes`);
  }
  for (const s of slices) {
    if (!(Number.isSafeInteger(s.bytes) && s.bytes >= 0)) {
      throw new RangeError(`slice ${s.key}: size ${s.bytes} is not a byte count`);
    }
  }
  const steps: PartStep[] = [];
  let pending: ByteRange[] = [];
  let pendingBytes = 0;
  const take = (key: string, start: number, end: number) => {
    pending.push({ key, start, end });
    pendingBytes += end - start;
  };
  const flush = () => {
    steps.push({ buffer: pending });
    pending = [];
    pendingBytes = 0;
  };
  let lastNonEmpty = -1;
  slices.forEach((s, i) => {
    if (s.bytes > 0) lastNonEmpty = i;
  });

  slices.forEach(({ key, bytes }, i) => {
    if (bytes === 0) return;
    if (bytes < minPartBytes) {
      // Too small to stand alone unless last: it joins the buffer, which leaves as soon as
      // it is big enough (so it stays under 2 * minPartBytes).
      take(key, 0, bytes);
      if (pendingBytes >= minPartBytes) flush();
      return;
    }
    let pos = 0;
    if (pendingBytes > 0) {
      // Top the buffer up with this slice's head; if what would be left could not be a part
      // of its own, the whole slice goes (it is then under 2 * minPartBytes).
      const need = minPartBytes - pendingBytes;
      pos = bytes - need >= minPartBytes ? need : bytes;
      take(key, 0, pos);
      flush();
    }
    const rest = bytes - pos;
    if (rest === 0) return;
    for (const [start, end] of splitCopy(pos, bytes, minPartBytes, maxCopyBytes)) {
      if (end - start < minPartBytes && i !== lastNonEmpty) take(key, start, end);
      else steps.push({ copy: { key, start, end } });
    }
  });
  if (pendingBytes > 0) flush();
  return steps;
}

/**
 * [start, end) in ranges of at most max bytes, all at least min when an even split allows.
 * When it does not (max < 2 * min, e.g. 13 MiB with max 6 and min 5), ranges of max bytes and
 * a shorter tail: the caller buffers that tail, or copies it when it ends the object.
 */
function splitCopy(start: number, end: number, min: number, max: number): [number, number][] {
  const len = end - start;
  const n = Math.ceil(len / max);
  const out: [number, number][] = [];
  if (Math.floor(len / n) >= min) {
    // Even pieces: the first len % n are one byte longer, so none is tiny.
    const base = Math.floor(len / n);
    let pos = start;
    for (let k = 0; k < n; k++) {
      const size = base + (k < len % n ? 1 : 0);
      out.push([pos, pos + size]);
      pos += size;
    }
    return out;
  }
  for (let pos = start; pos < end; pos += max) out.push([pos, Math.min(end, pos + max)]);
  return out;
}
