import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { contentDisposition, downloadFileName } from "../../lib/storage.js";

describe("download file name", () => {
  it("adds .csv and keeps Chinese names", () => {
    assert.equal(downloadFileName("订单导出", "csv"), "订单导出.csv");
    assert.equal(downloadFileName("report.CSV", "csv"), "report.CSV");
  });

  it("strips path separators and control characters", () => {
    assert.equal(downloadFileName("../etc/passwd", "csv"), ".._etc_passwd.csv");
    assert.equal(downloadFileName('a\r\nb"c', "csv"), "a__b_c.csv");
    assert.equal(downloadFileName("   ", "csv"), "export.csv");
  });

  it("builds an RFC 6266/5987 header with an ASCII fallback", () => {
    assert.equal(
      contentDisposition("订单导出", "csv"),
      "attachment; filename=\"____.csv\"; filename*=UTF-8''%E8%AE%A2%E5%8D%95%E5%AF%BC%E5%87%BA.csv",
    );
    assert.equal(
      contentDisposition("it's (1)", "csv"),
      "attachment; filename=\"it's (1).csv\"; filename*=UTF-8''it%27s%20%281%29.csv",
    );
    assert.match(
      contentDisposition("x\\y", "csv"),
      /^[\x20-\x7e]+$/,
      "header value is plain ASCII",
    );
  });

  it("cuts a long name by code point, never between the halves of an emoji", () => {
    const name = `${"名".repeat(179)}😀😀`;
    const file = downloadFileName(name, "csv");
    assert.equal(file, `${"名".repeat(179)}😀.csv`);
    assert.doesNotThrow(() => contentDisposition(name, "csv"));
  });
});
