import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { timeoutStatement } from "../../lib/engines/mysql/source.js";

describe("MySQL statement timeout", () => {
  it("uses MariaDB's max_statement_time in seconds", () => {
    assert.equal(
      timeoutStatement("10.11.19-MariaDB-0+deb12u1", 30),
      "SET SESSION max_statement_time = 30",
    );
  });
  it("uses MySQL's max_execution_time in milliseconds", () => {
    assert.equal(timeoutStatement("8.4.3", 30), "SET SESSION max_execution_time = 30000");
  });
});
