import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  booleanValue,
  columnLetters,
  numberValue,
  STYLE,
  typedCell,
} from "../../lib/formats/xlsx/cells.js";
import { dateSerial, temporalSerial } from "../../lib/formats/xlsx/serial-date.js";

describe("numbers", () => {
  it("writes the database's decimals as numbers, as written", () => {
    for (const s of [
      "0",
      "42",
      "-7",
      "123.45",
      "123.450",
      "0.000001",
      "-0.5",
      "999999999999999",
      "100000000000000000000",
    ])
      assert.equal(numberValue(s), s, s);
  });

  it("normalises exponents and a leading plus", () => {
    assert.equal(numberValue("1e+20"), "100000000000000000000");
    assert.equal(numberValue("-1.5E-7"), "-1.5e-7");
    assert.equal(numberValue("+3"), "3");
  });

  it("leaves as text what Excel cannot hold exactly: more than 15 significant digits", () => {
    // bigint, long decimals, a 16-digit card number
    for (const s of [
      "9223372036854775807",
      "1234567890123456",
      "0.1234567890123456",
      "12345678901234.56",
    ])
      assert.equal(numberValue(s), undefined, s);
    // The same, signed or with an exponent (the careful path).
    for (const s of ["+1234567890123456", "1.234567890123456e5", "-9.99999999999999999E10"])
      assert.equal(numberValue(s), undefined, s);
    assert.equal(numberValue("1.23456789012345e5"), "123456.789012345");
    // 15 digits, the point between them, are exact; so are 15 digits with zeros around them.
    assert.equal(numberValue("12345678901234.5"), "12345678901234.5");
    assert.equal(numberValue("-0.00123456789012345"), "-0.00123456789012345");
    assert.equal(numberValue("123456789012345000"), "123456789012345000");
    assert.equal(numberValue("0.000123456789012345"), "0.000123456789012345");
  });

  it("leaves as text what is not a finite number in Excel's range", () => {
    for (const s of [
      "NaN",
      "Infinity",
      "-Infinity",
      "1e400",
      "1e-400",
      `1${"0".repeat(400)}`,
      "",
      "1,5",
      "0x1F",
      " 1",
      "1.",
    ])
      assert.equal(numberValue(s), undefined, JSON.stringify(s));
    assert.equal(numberValue("9.99999999999999e307"), "9.99999999999999e+307");
    assert.equal(numberValue("0e-400"), "0", "zero is zero at any exponent");
  });
});

describe("booleans", () => {
  it("takes PostgreSQL t/f, MySQL 1/0 and true/false; nothing else", () => {
    assert.deepEqual(["t", "1", "true", "f", "0", "false"].map(booleanValue), [
      "1",
      "1",
      "1",
      "0",
      "0",
      "0",
    ]);
    for (const s of ["T", "yes", "2", "", "-1"]) assert.equal(booleanValue(s), undefined);
  });
});

describe("serial dates (Excel's 1900 date system)", () => {
  it("counts from 1899-12-30 after the fictional 1900-02-29 (serial 60), from 1899-12-31 before it", () => {
    assert.equal(dateSerial(1900, 1, 1), 1);
    assert.equal(dateSerial(1900, 2, 28), 59);
    assert.equal(dateSerial(1900, 3, 1), 61);
    assert.equal(dateSerial(1900, 2, 29), undefined, "not a day in the database");
    assert.equal(dateSerial(2024, 1, 1), 45292);
    assert.equal(dateSerial(2024, 2, 29), 45351);
    assert.equal(dateSerial(9999, 12, 31), 2958465, "Excel's last day");
  });

  it("has no serial for days Excel cannot show or that do not exist", () => {
    assert.equal(dateSerial(1899, 12, 31), undefined);
    assert.equal(dateSerial(10000, 1, 1), undefined);
    assert.equal(dateSerial(2023, 2, 29), undefined);
    assert.equal(dateSerial(2024, 4, 31), undefined);
    assert.equal(dateSerial(2024, 13, 1), undefined);
    assert.equal(dateSerial(2024, 0, 1), undefined);
    assert.equal(dateSerial(2024, 1, 0), undefined);
    assert.equal(dateSerial(2100, 2, 29), undefined, "not a leap year");
    assert.equal(dateSerial(2000, 2, 29), 36585, "a leap year");
  });

  it("reads dates, times and timestamps as the databases write them", () => {
    assert.deepEqual(temporalSerial("2024-01-01", "date"), { serial: 45292, fraction: false });
    assert.deepEqual(temporalSerial("12:00:00", "time"), { serial: 0.5, fraction: false });
    assert.deepEqual(temporalSerial("06:00:00.000000", "time"), { serial: 0.25, fraction: false });
    assert.deepEqual(temporalSerial("2024-01-01 18:00:00", "timestamp"), {
      serial: 45292.75,
      fraction: false,
    });
    const micro = temporalSerial("2024-01-01 00:00:01.123456", "timestamp");
    assert.equal(micro?.fraction, true);
    assert.ok(Math.abs((micro?.serial ?? 0) - (45292 + 1.123456 / 86400)) < 1e-11);
  });

  it("keeps the wall time of PostgreSQL's timestamptz and timetz, dropping the offset", () => {
    const wall = temporalSerial("2024-01-01 08:30:00", "timestamp");
    for (const s of [
      "2024-01-01 08:30:00+08",
      "2024-01-01 08:30:00-05:30",
      "2024-01-01 08:30:00+07:42:04",
      "2024-01-01T08:30:00Z",
    ])
      assert.deepEqual(temporalSerial(s, "timestamp"), wall, s);
    assert.deepEqual(temporalSerial("12:00:00+08", "time"), { serial: 0.5, fraction: false });
  });

  it("has no serial for BC, years past 9999, infinity, zero dates, hours past 23 or other styles", () => {
    const texts: [string, "date" | "time" | "timestamp"][] = [
      ["0044-03-15 BC", "date"],
      ["2024-01-01 00:00:00 BC", "timestamp"],
      ["10000-01-01", "date"],
      ["1899-12-31", "date"],
      ["infinity", "date"],
      ["-infinity", "timestamp"],
      ["0000-00-00", "date"],
      ["2024-00-00", "date"],
      ["0000-00-00 00:00:00", "timestamp"],
      ["24:00:00", "time"],
      ["838:59:59", "time"],
      ["-01:00:00", "time"],
      ["12:60:00", "time"],
      ["Mon Jan 01 00:00:00 2024", "timestamp"],
      ["01/02/2024", "date"],
      ["2024-01-01", "timestamp"],
      ["2024-01-01 00:00:00", "date"],
    ];
    for (const [s, kind] of texts) assert.equal(temporalSerial(s, kind), undefined, s);
  });
});

describe("typed cells", () => {
  it("writes each kind as its Excel type, and text for anything it cannot type", () => {
    assert.equal(typedCell("B2", "12.5", "number"), '<c r="B2"><v>12.5</v></c>');
    assert.equal(
      typedCell("B2", "12345678901234567", "number"),
      '<c r="B2" t="inlineStr"><is><t>12345678901234567</t></is></c>',
    );
    assert.equal(
      typedCell("C2", "2024-01-01", "date"),
      `<c r="C2" s="${STYLE.date}"><v>45292</v></c>`,
    );
    assert.equal(typedCell("C2", "12:00:00", "time"), `<c r="C2" s="${STYLE.time}"><v>0.5</v></c>`);
    assert.equal(
      typedCell("C2", "12:00:00.5", "time"),
      `<c r="C2" s="${STYLE.timeMs}"><v>${(43200.5 / 86400).toString()}</v></c>`,
    );
    assert.equal(
      typedCell("C2", "2024-01-01 12:00:00", "timestamp"),
      `<c r="C2" s="${STYLE.dateTime}"><v>45292.5</v></c>`,
    );
    assert.match(
      typedCell("C2", "2024-01-01 12:00:00.001", "timestamp"),
      new RegExp(`^<c r="C2" s="${STYLE.dateTimeMs}"><v>45292.5000`),
    );
    assert.equal(typedCell("D2", "t", "boolean"), '<c r="D2" t="b"><v>1</v></c>');
    assert.equal(typedCell("D2", "0", "boolean"), '<c r="D2" t="b"><v>0</v></c>');
    assert.equal(
      typedCell("D2", "maybe", "boolean"),
      '<c r="D2" t="inlineStr"><is><t>maybe</t></is></c>',
    );
    assert.equal(
      typedCell("E2", "0001 kept", "date"),
      '<c r="E2" t="inlineStr"><is><t>0001 kept</t></is></c>',
    );
  });

  it("writes text, binary and other kinds as inline strings: never a number, a formula or a date", () => {
    for (const kind of ["text", "binary", "other"] as const) {
      for (const s of ["123", "=1+1", "2024-01-01", "t", "110101199003077777"])
        assert.equal(typedCell("F9", s, kind), `<c r="F9" t="inlineStr"><is><t>${s}</t></is></c>`);
    }
    assert.equal(
      typedCell("F9", "\\x00ff", "binary"),
      '<c r="F9" t="inlineStr"><is><t>\\x00ff</t></is></c>',
    );
  });
});

describe("column letters", () => {
  it("count A..Z, AA..ZZ, AAA.. up to Excel's last column XFD", () => {
    assert.deepEqual([0, 1, 25, 26, 27, 51, 52, 701, 702, 16383].map(columnLetters), [
      "A",
      "B",
      "Z",
      "AA",
      "AB",
      "AZ",
      "BA",
      "ZZ",
      "AAA",
      "XFD",
    ]);
  });
});
