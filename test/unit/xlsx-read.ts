// Reads a written workbook back with two independent readers: exceljs (the library most Node
// code reads XLSX with) and Python's standard library (zipfile and its XML parser, expat),
// which refuses XML that is not well-formed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";

export async function readWithExcelJs(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return wb;
}

/** What a reader of OOXML makes of a cell's text after the XML parser: `_xHHHH_` decoded. */
export const decodeXstring = (s: string) =>
  s.replace(/_x([0-9A-Fa-f]{4})_/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));

export interface PyCell {
  /** The cell's place: its own r, or one past the previous cell's when it has none. */
  r: string;
  /** Whether the cell carried its r. */
  explicit: boolean;
  t: string | null;
  s: string | null;
  v: string | null;
  /** The inline string's text as the XML parser gives it (entities resolved, escapes not). */
  text: string | null;
}

export interface PyWorkbook {
  /** Entry names in archive order. */
  entries: string[];
  /** Sheet names as workbook.xml lists them, with their part. */
  sheets: { name: string; part: string }[];
  /** Per sheet (in workbook order): its rows' r, and cells unless counting only. */
  rows: { r: string; cells: PyCell[] }[][];
  /** Per sheet: the frozen pane's ySplit, or null. */
  ySplit: (string | null)[];
}

const SCRIPT = `
import json, sys, zipfile
import xml.etree.ElementTree as ET
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
path, count_only = sys.argv[1], sys.argv[2] == "1"
with zipfile.ZipFile(path) as z:
    if z.testzip() is not None:
        sys.exit("bad entry")
    names = [i.filename for i in z.infolist()]
    for n in names:
        if (n.endswith(".xml") or n.endswith(".rels")) and "worksheets/" not in n:
            ET.fromstring(z.read(n))
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {e.get("Id"): e.get("Target") for e in rels}
    sheets = [{"name": s.get("name"), "part": "xl/" + target[s.get(R + "id")]} for s in wb.iter(M + "sheet")]
    all_rows, splits = [], []
    for s in sheets:
        rows, split = [], None
        with z.open(s["part"]) as f:
            for ev, el in ET.iterparse(f, events=("end",)):
                if el.tag == M + "pane":
                    split = el.get("ySplit") if el.get("state") == "frozen" else None
                elif el.tag == M + "row":
                    cells, col = [], 0
                    for c in ([] if count_only else el.iter(M + "c")):
                        # A cell without r follows the previous one (ECMA-376: r is optional).
                        ref = c.get("r")
                        if ref is not None:
                            col = 0
                            for ch in ref.rstrip("0123456789"):
                                col = col * 26 + ord(ch) - 64
                        else:
                            col += 1
                        name, n = "", col
                        while n > 0:
                            n, rem = divmod(n - 1, 26)
                            name = chr(65 + rem) + name
                        cells.append({"r": name + el.get("r"), "explicit": ref is not None,
                            "t": c.get("t"), "s": c.get("s"),
                            "v": (c.find(M + "v").text if c.find(M + "v") is not None else None),
                            "text": ("".join(c.find(M + "is").itertext()) if c.find(M + "is") is not None else None)})
                    rows.append({"r": el.get("r"), "cells": cells})
                    el.clear()
        all_rows.append(rows)
        splits.append(split)
print(json.dumps({"entries": names, "sheets": sheets, "rows": all_rows, "ySplit": splits}))
`;

export function readWithPython(bytes: Buffer, countOnly = false): PyWorkbook {
  const dir = mkdtempSync(join(tmpdir(), "oe-xlsx-"));
  try {
    const path = join(dir, "book.xlsx");
    writeFileSync(path, bytes);
    const r = spawnSync("python3", ["-c", SCRIPT, path, countOnly ? "1" : "0"], {
      encoding: "utf8",
      maxBuffer: 1024 * 1024 * 1024,
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`python3: ${r.stderr || r.error}`);
    return JSON.parse(r.stdout) as PyWorkbook;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
