import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redact } from "../../lib/redact.js";

describe("redact", () => {
  it("redact removes URL credentials and IPs even when unknown", () => {
    assert.equal(redact("mysql://root:pw@10.0.0.1:3306/db", []), "mysql://***@***/db");
  });
});
