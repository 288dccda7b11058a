import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { TEXT_ENCODINGS } from "../../lib/formats/encoding/encoder.js";
import {
  COMPRESSIONS,
  OPTION_KEYS,
  OptionsRejected,
  OUTPUT_FORMATS,
  type OutputOptions,
  resolveOptions,
} from "../../lib/formats/options.js";

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

  it("takes a slice key and a slice count for a plain CSV file", () => {
    assert.deepEqual(resolveOptions('{"slice_key":"order_id","slices":8}', defaults), {
      ...defaults,
      sliceKey: "order_id",
      slices: 8,
    });
    assert.deepEqual(resolveOptions('{"slice_key":"order_id","slice_rows":500000}', defaults), {
      ...defaults,
      sliceKey: "order_id",
      sliceRows: 500_000,
    });
  });

  const refused: [string, RegExp][] = [
    ['{"slice_key":"id\\" OR 1=1"}', /option "slice_key" must name a column/],
    ['{"slice_key":"1d"}', /option "slice_key" must name a column/],
    ['{"slice_key":"id","slices":101}', /option "slices" must be a whole number from 1 to 100/],
    ['{"slice_key":"id","slices":2.5}', /option "slices" must be a whole number/],
    ['{"slices":4}', /option "slices" needs "slice_key"/],
    ['{"slice_rows":4}', /option "slice_rows" needs "slice_key"/],
    ['{"slice_key":"id","slice_rows":0}', /option "slice_rows" must be a whole number of rows/],
    ['{"slice_key":"id","slices":2,"slice_rows":9}', /"slices" and "slice_rows" both say/],
    ['{"slice_key":"id","format":"xlsx"}', /option "slice_key" works for plain CSV files only/],
    ['{"slice_key":"id","compress":"zip"}', /option "slice_key" works for plain CSV files only/],
    ['{"slice_key":"id","split_rows":true}', /option "slice_key" works for plain CSV files only/],
    ["not json", /must be a JSON object/],
    ["[1]", /must be a JSON object/],
    ['"csv"', /must be a JSON object/],
    [
      '{"fromat":"xlsx"}',
      /unknown option "fromat" \(the options are format, encoding, escape_formulas, long_digits_as_text, split_rows, compress, notify_url, slice_key, slices, slice_rows\)/,
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

describe("the PHP helper's options (php/OfflineExportTask.php)", () => {
  it("lists the same keys and values the worker takes", () => {
    const php = readFileSync(new URL("../../php/OfflineExportTask.php", import.meta.url), "utf8");
    const block = php.slice(php.indexOf("OPTIONS = ["), php.indexOf("];"));
    const listed = Object.fromEntries(
      [...block.matchAll(/'([a-z_]+)' => \[([^\]]*)\]/g)].map((m) => [
        m[1],
        (m[2] ?? "").split(",").map((v) => v.trim().replace(/^'|'$/g, "")),
      ]),
    );
    const urls = [...(/URL_OPTIONS = \[([^\]]*)\]/.exec(php)?.[1] ?? "").matchAll(/'([a-z_]+)'/g)];
    const slices = [
      ...(/SLICE_OPTIONS = \[([^\]]*)\]/.exec(php)?.[1] ?? "").matchAll(/'([a-z_]+)'/g),
    ];
    assert.deepEqual(
      [...Object.keys(listed), ...urls.map((m) => m[1]), ...slices.map((m) => m[1])],
      OPTION_KEYS,
    );
    assert.deepEqual(listed.format, [...OUTPUT_FORMATS]);
    assert.deepEqual(listed.encoding, [...TEXT_ENCODINGS]);
    assert.deepEqual(listed.compress, [...COMPRESSIONS]);
    for (const flag of ["escape_formulas", "long_digits_as_text", "split_rows"])
      assert.deepEqual(listed[flag], ["true", "false"]);
  });
});
