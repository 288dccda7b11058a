import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  linkMessage,
  mintStableLink,
  parseLinkKeys,
  signLink,
  verifyStableLink,
} from "../../lib/links/stable-link.js";

// The README's test vectors, computed independently with
//   printf 'oe-link-v1\n42\n<object>\n1893456000' | openssl dgst -sha256 -hmac "<secret>"
const SECRET = "offline-export-test-vector-secret-0001";
const VECTORS = [
  {
    claims: {
      id: 42,
      object: "task-42-a1-0b7c1f2e-6d1a-4a8e-9f3b-2c5d8e7f9a10.csv",
      expires: 1893456000,
    },
    sig: "e30bac1f938e6fe55d68f1804062278fccce4e31b64ec0caf3112bb5ae1a9906",
  },
  {
    claims: {
      id: 7,
      object: "task-7-a2-5f0e3d2c-1b0a-4987-8654-3210fedcba98.csv",
      expires: 1767225600,
    },
    sig: "f5d4687164355c37653b201727e4a2b33fc79f2d16f4bbfd5766c30cc2b7543e",
  },
];

function parts(link: string) {
  const u = new URL(link);
  return { path: u.pathname, query: Object.fromEntries(u.searchParams) };
}

describe("stable links", () => {
  it("signs the documented message as the test vectors say", () => {
    for (const v of VECTORS) {
      assert.equal(
        linkMessage(v.claims),
        `oe-link-v1\n${v.claims.id}\n${v.claims.object}\n${v.claims.expires}`,
      );
      assert.equal(signLink(SECRET, v.claims), v.sig);
    }
  });

  it("mints a link that verifies, under a base URL with or without a path and slash", () => {
    const v = VECTORS[0] as (typeof VECTORS)[0];
    const link = mintStableLink("https://dl.example.com/x/", { current: SECRET }, v.claims);
    assert.equal(
      link,
      `https://dl.example.com/x/d/42?o=${v.claims.object}&e=1893456000&s=${v.sig}`,
    );
    const p = parts(
      mintStableLink("https://abc.lambda-url.us-east-1.on.aws", { current: SECRET }, v.claims),
    );
    assert.deepEqual(verifyStableLink({ current: SECRET }, p.path, p.query, 1_800_000_000), {
      kind: "valid",
      claims: v.claims,
    });
  });

  it("refuses every altered part as tampered, and a past expiry as expired", () => {
    const v = VECTORS[0] as (typeof VECTORS)[0];
    const keys = { current: SECRET };
    const now = 1_800_000_000;
    const q = { o: v.claims.object, e: String(v.claims.expires), s: v.sig };
    const flip = (s: string) => (s[0] === "0" ? `1${s.slice(1)}` : `0${s.slice(1)}`);
    const altered: [string, Record<string, string | undefined>][] = [
      ["/d/43", q],
      ["/d/42", { ...q, o: "task-42-a2-0b7c1f2e-6d1a-4a8e-9f3b-2c5d8e7f9a10.csv" }],
      ["/d/42", { ...q, e: "1893456001" }],
      ["/d/42", { ...q, s: flip(v.sig) }],
      ["/d/42", { ...q, s: v.sig.toUpperCase() }],
      ["/d/42", { ...q, s: v.sig.slice(0, 63) }],
      ["/d/42", { ...q, s: undefined }],
      ["/d/42", { ...q, o: "../../etc/passwd" }],
      ["/d/42/", q],
      ["/x/42", q],
    ];
    for (const [path, query] of altered)
      assert.equal(
        verifyStableLink(keys, path, query, now).kind,
        "tampered",
        `${path} ${JSON.stringify(query)}`,
      );
    assert.equal(verifyStableLink({ current: "z".repeat(32) }, "/d/42", q, now).kind, "tampered");
    assert.equal(
      verifyStableLink(keys, "/d/42", q, 1893456000).kind,
      "expired",
      "expiry is exclusive",
    );
    assert.equal(verifyStableLink(keys, "/d/42", q, 1893455999).kind, "valid");
  });

  it("keeps links signed with the previous key valid while rotating", () => {
    const v = VECTORS[1] as (typeof VECTORS)[1];
    const q = { o: v.claims.object, e: String(v.claims.expires), s: v.sig };
    const rotated = { current: "n".repeat(40), previous: SECRET };
    assert.equal(verifyStableLink(rotated, "/d/7", q, 1_700_000_000).kind, "valid");
    assert.equal(
      verifyStableLink({ current: "n".repeat(40) }, "/d/7", q, 1_700_000_000).kind,
      "tampered",
    );
  });

  it("reads the secret as a string or as {current, previous}, and refuses short keys", () => {
    assert.deepEqual(parseLinkKeys(` ${SECRET}\n`), { current: SECRET });
    assert.deepEqual(parseLinkKeys(JSON.stringify({ current: SECRET, previous: "p".repeat(32) })), {
      current: SECRET,
      previous: "p".repeat(32),
    });
    assert.deepEqual(parseLinkKeys(JSON.stringify({ current: SECRET, previous: "" })), {
      current: SECRET,
    });
    assert.throws(() => parseLinkKeys("short"), /at least 32 characters/);
    assert.throws(
      () => parseLinkKeys(JSON.stringify({ current: SECRET, previous: "short" })),
      /at least 32/,
    );
    assert.throws(() => parseLinkKeys("{not json"), /does not parse/);
  });
});
