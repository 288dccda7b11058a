// Reads a ZIP archive back with an independent reader: Python's zipfile (standard library),
// which checks every entry's CRC and sizes against the central directory.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ReadEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  size: number;
  compressedSize: number;
  /** Whether the central directory carries a ZIP64 extra field (0x0001) for it. */
  zip64Extra: boolean;
  /** Bit 3 of the flags: CRC and sizes follow the data in a descriptor. */
  dataDescriptor: boolean;
  data: Buffer;
}

export interface ReadArchive {
  entries: ReadEntry[];
  /** The archive ends with a ZIP64 end of central directory record and locator. */
  zip64End: boolean;
}

const SCRIPT = `
import base64, json, struct, sys, zipfile
path = sys.argv[1]
with_data = sys.argv[2] == "1"
with zipfile.ZipFile(path) as z:
    bad = z.testzip()
    if bad is not None:
        sys.exit("bad entry " + bad)
    out = []
    for i in z.infolist():
        extra, ids = i.extra, []
        while len(extra) >= 4:
            hid, ln = struct.unpack("<HH", extra[:4])
            ids.append(hid)
            extra = extra[4 + ln:]
        out.append({"name": i.filename, "method": i.compress_type, "size": i.file_size,
                    "compressedSize": i.compress_size, "zip64Extra": 1 in ids,
                    "dataDescriptor": bool(i.flag_bits & 8),
                    "data": base64.b64encode(z.read(i)).decode() if with_data else ""})
with open(path, "rb") as f:
    f.seek(0, 2)
    size = f.tell()
    f.seek(max(0, size - 22 - 20 - 56))
    tail = f.read()
print(json.dumps({"entries": out, "zip64End": b"PK\\x06\\x06" in tail and b"PK\\x06\\x07" in tail}))
`;

/** The archive's entries as Python reads them; `withData: false` skips their bytes (large archives). */
export function readZip(bytes: Buffer, withData = true): ReadArchive {
  const dir = mkdtempSync(join(tmpdir(), "oe-zip-"));
  try {
    const path = join(dir, "archive.zip");
    writeFileSync(path, bytes);
    const r = spawnSync("python3", ["-c", SCRIPT, path, withData ? "1" : "0"], {
      encoding: "utf8",
      maxBuffer: 512 * 1024 * 1024,
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`python3 zipfile: ${r.stderr || r.error}`);
    const parsed = JSON.parse(r.stdout) as {
      entries: (Omit<ReadEntry, "data"> & { data: string })[];
      zip64End: boolean;
    };
    return {
      zip64End: parsed.zip64End,
      entries: parsed.entries.map((e) => ({ ...e, data: Buffer.from(e.data, "base64") })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
