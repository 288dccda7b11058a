import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  fitWidth,
  humanBytes,
  humanDuration,
  localTime,
  oneLine,
  table,
  textWidth,
} from "../../cli/format.js";

describe("CLI formatting", () => {
  it("sizes in powers of 1024, one decimal below 10", () => {
    assert.deepEqual(
      [null, 0, 812, 1024, 1536, 10_240, 157_286_400, 5 * 1024 ** 3, 3 * 1024 ** 5].map(humanBytes),
      ["-", "0 B", "812 B", "1 KB", "1.5 KB", "10 KB", "150 MB", "5 GB", "3072 TB"],
    );
  });

  it("durations in at most two units", () => {
    assert.deepEqual(
      [null, 0, 45, 60, 185, 3600, 7380, 86_400, 273_600, -5, 59.6].map(humanDuration),
      [
        "-",
        "0s",
        "45s",
        "1m 00s",
        "3m 05s",
        "1h 00m",
        "2h 03m",
        "1d 00h",
        "3d 04h",
        "0s",
        "1m 00s",
      ],
    );
  });

  it("local times to the second", () => {
    assert.equal(localTime(new Date(2026, 11, 2, 9, 5, 7)), "2026-12-02 09:05:07");
  });

  it("one line per cell: newlines, tabs and control characters become one space", () => {
    assert.equal(oneLine("a\r\nb\t\tc\u0000d "), "a b c d");
    assert.equal(oneLine(null), "");
  });

  it("counts Chinese, fullwidth and emoji as two columns, combining marks as none", () => {
    assert.equal(textWidth("订单导出"), 8);
    assert.equal(textWidth("ab"), 2);
    assert.equal(textWidth("Ａ😀"), 4);
    assert.equal(textWidth("e\u0301"), 1);
    assert.equal(textWidth("𠀀"), 2);
  });

  it("cuts to a width with an ellipsis, never between the halves of a character", () => {
    assert.equal(fitWidth("short", 10), "short");
    assert.equal(fitWidth("abcdefghij", 5), "abcd…");
    assert.equal(fitWidth("订单导出任务", 7), "订单导…");
    assert.equal(fitWidth("😀😀😀", 4), "😀…");
  });

  it("aligns columns by terminal width, numbers to the right, trailing spaces trimmed", () => {
    const out = table(
      [{ header: "id", right: true }, { header: "name", max: 6 }, { header: "msg" }],
      [
        ["7", "订单导出", ""],
        ["12", "abc", "ok"],
      ],
    );
    assert.equal(out, ["id  name   msg", " 7  订单…", "12  abc    ok"].join("\n"));
  });
});
