import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionsRejected, type OutputOptions, resolveOptions } from "../../lib/formats/options.js";

const defaults: OutputOptions = {
  format: "csv",
  encoding: "gb18030",
  escapeFormulas: true,
  longDigitsAsText: true,
  splitRows: false,
  compress: "none",
};

describe("task options", () => {
  it("uses the deployment's defaults when the task sets none", () => {
    for (const raw of [null, "", "  ", "{}"])
      assert.deepEqual(resolveOptions(raw, defaults), defaults);
  });

  it("overrides each default the task sets, as PHP's json_encode writes them", () => {
    const o = resolveOptions(
      '{"encoding":"UTF8-BOM","escape_formulas":false,"long_digits_as_text":0,"split_rows":true,"compress":"zip"}',
      defaults,
    );
    assert.deepEqual(o, {
      format: "csv",
      encoding: "utf8-bom",
      escapeFormulas: false,
      longDigitsAsText: false,
      splitRows: true,
      compress: "zip",
    });
    assert.deepEqual(resolveOptions('{"format":"xlsx"}', defaults), {
      ...defaults,
      format: "xlsx",
      splitRows: false,
      compress: "none",
    });
  });

  const refused: [string, RegExp][] = [
    ["not json", /must be a JSON object/],
    ["[1]", /must be a JSON object/],
    ['"csv"', /must be a JSON object/],
    [
      '{"fromat":"xlsx"}',
      /unknown option "fromat" \(the options are format, encoding, escape_formulas, long_digits_as_text, split_rows, compress\)/,
    ],
    ['{"constructor":1}', /unknown option "constructor"/],
    ['{"format":"pdf"}', /option "format" must be one of csv, xlsx, not "pdf"/],
    [
      '{"encoding":"latin1"}',
      /option "encoding" must be one of gb18030, utf8-bom, utf8, not "latin1"/,
    ],
    ['{"compress":"rar"}', /option "compress" must be one of none, gzip, zip, not "rar"/],
    ['{"escape_formulas":"yes"}', /option "escape_formulas" must be true or false, not "yes"/],
    ['{"split_rows":2}', /option "split_rows" must be true or false, not 2/],
    ['{"format":"xlsx","encoding":"utf8"}', /option "encoding" applies to CSV only/],
    ['{"format":"xlsx","compress":"zip"}', /option "compress" applies to CSV only/],
    ['{"split_rows":true,"compress":"gzip"}', /"split_rows" delivers its parts in one ZIP/],
  ];
  for (const [raw, message] of refused) {
    it(`refuses ${raw}, naming the option and what it may be`, () => {
      assert.throws(
        () => resolveOptions(raw, defaults),
        (e: unknown) => e instanceof OptionsRejected && message.test(e.message),
      );
    });
  }
});
