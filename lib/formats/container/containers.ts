import type { Duplex } from "node:stream";
import { createGzip } from "node:zlib";
import type { OutputFormat } from "../format.js";
import { createSingleStream } from "./single-stream.js";
import { createZipStage } from "./zip-stage.js";

/**
 * A container wraps a format's bytes on their way to storage: as they are, gzip-compressed,
 * or as entries of a ZIP archive. It decides the object's extension and content type.
 */
export interface Container {
  /** The object's extension, given the format's: csv -> csv.gz. */
  extension(formatExtension: string): string;
  /** The object's Content-Type, given the format's. */
  contentType(formatContentType: string): string;
  /** Whether it holds several files (entry markers after the first byte). */
  multipleEntries: boolean;
  /** The stages after the format's: the entry protocol (format.ts) in, the object's bytes out. */
  createStages(o: { entryName: string; level: number }): Duplex[];
}

/** Deflate level for gzip and ZIP: 1, the fastest; an export's time matters more than its last bytes. */
export const DEFAULT_LEVEL = 1;

export const CONTAINERS = {
  none: {
    extension: (ext) => ext,
    contentType: (type) => type,
    multipleEntries: false,
    // The format's own stages are the whole pipeline: today's path, unchanged.
    createStages: () => [],
  },
  gzip: {
    extension: (ext) => `${ext}.gz`,
    contentType: () => "application/gzip",
    multipleEntries: false,
    createStages: ({ level }) => [createSingleStream(), createGzip({ level })],
  },
  zip: {
    extension: () => "zip",
    contentType: () => "application/zip",
    multipleEntries: true,
    createStages: ({ entryName, level }) => [createZipStage({ entryName, level })],
  },
} as const satisfies Record<string, Container>;

export type ContainerName = keyof typeof CONTAINERS;
export const CONTAINER_NAMES = Object.keys(CONTAINERS) as ContainerName[];

/**
 * A format inside a container, as one OutputFormat: the container's extension and content
 * type, the format's stages followed by the container's. The writer learns whether it may
 * split its output into entries (WriterOptions.multipleEntries), and the single entry is
 * named `entryName` (default `export.<format's extension>`).
 */
export function inContainer(
  format: OutputFormat,
  name: ContainerName,
  level: number = DEFAULT_LEVEL,
): OutputFormat {
  if (name === "none") return format;
  const container: Container = CONTAINERS[name];
  return {
    extension: container.extension(format.extension),
    contentType: (s) => container.contentType(format.contentType(s)),
    serverRendering: (s) => format.serverRendering(s),
    createWriter(o) {
      const writer = format.createWriter({ ...o, multipleEntries: container.multipleEntries });
      const entryName = o.entryName ?? `export.${format.extension}`;
      return {
        stages: [...writer.stages, ...container.createStages({ entryName, level })],
        rowCount: writer.rowCount,
      };
    },
  };
}
