// Where a notification may go: internal addresses in every spelling, the allow-list, the URL
// rules, and the resolve-once check (lib/notify/addresses.ts, allow-list.ts, target.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { internalAddress, ipv6Bytes } from "../../lib/notify/addresses.js";
import { checkWebhookUrl, parseAllowList, WebhookRefused } from "../../lib/notify/allow-list.js";
import { type Lookup, resolveTarget } from "../../lib/notify/target.js";

/** The host a URL parser makes of `host`: how a task's URL reaches the address check. */
const viaUrl = (host: string) => new URL(`https://${host}/`).hostname;

describe("internal addresses", () => {
  it("finds loopback, private, link-local, metadata and the like, in IPv4", () => {
    for (const ip of [
      "127.0.0.1",
      "127.255.255.254",
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "169.254.170.2",
      "0.0.0.0",
      "100.100.100.200",
      "192.0.0.192",
      "198.18.0.1",
      "224.0.0.1",
      "255.255.255.255",
    ])
      assert.ok(internalAddress(ip), ip);
    for (const ip of ["8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255", "1.1.1.1"])
      assert.equal(internalAddress(ip), undefined, ip);
  });

  it("reads the forms a URL allows as the address they are: decimal, hex, octal, short", () => {
    // WHATWG URL parsing turns each into the dotted form before any check sees it.
    for (const host of [
      "2130706433",
      "0x7f000001",
      "0177.0.0.1",
      "127.1",
      "0x7f.1",
      "017700000001",
    ])
      assert.equal(viaUrl(host), "127.0.0.1", host);
    assert.equal(viaUrl("0xa9fea9fe"), "169.254.169.254");
    for (const host of ["2130706433", "0x7f.1", "0xa9fea9fe", "3232235777"])
      assert.ok(internalAddress(viaUrl(host)), host);
  });

  it("finds them in IPv6: loopback, ULA (fd00::/8), link-local, and IPv4 carried inside", () => {
    for (const ip of [
      "::1",
      "[::1]",
      "::",
      "0:0:0:0:0:0:0:1",
      "fd00:ec2::254",
      "fd12:3456::1",
      "fc00::1",
      "fe80::1",
      "fe80::1%eth0",
      "fec0::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "[::ffff:169.254.169.254]",
      "::ffff:a9fe:a9fe",
      "::127.0.0.1",
      "64:ff9b::a00:1",
      "64:ff9b::10.0.0.1",
      "2002:7f00:1::",
      "2002:c0a8:101::1",
      "100::1",
    ])
      assert.ok(internalAddress(ip), ip);
    for (const ip of [
      "2001:4860:4860::8888",
      "::ffff:8.8.8.8",
      "64:ff9b::808:808",
      "2002:808:808::",
    ])
      assert.equal(internalAddress(ip), undefined, ip);
    // A URL writes a mapped address in hex; it is still the IPv4 address it carries.
    assert.equal(viaUrl("[::ffff:127.0.0.1]"), "[::ffff:7f00:1]");
    assert.ok(internalAddress(viaUrl("[::ffff:127.0.0.1]")));
    assert.ok(internalAddress(viaUrl("[0:0:0:0:0:ffff:a9fe:a9fe]")));
  });

  it("expands IPv6 text to its bytes", () => {
    assert.deepEqual(ipv6Bytes("::1"), [...Array(15).fill(0), 1]);
    assert.deepEqual(ipv6Bytes("::ffff:1.2.3.4").slice(10), [0xff, 0xff, 1, 2, 3, 4]);
    assert.deepEqual(ipv6Bytes("fd00:ec2::254").slice(0, 4), [0xfd, 0, 0x0e, 0xc2]);
  });

  it("counts what is not an address as internal (cannot be shown safe)", () => {
    assert.ok(internalAddress("localhost"));
    assert.ok(internalAddress(""));
  });
});

describe("the allow-list (NOTIFY_WEBHOOK_ALLOW)", () => {
  const allow = parseAllowList(
    "hooks.example.com, *.partner.example ,https://alt.example.com:8443,http://127.0.0.1:8080",
  );

  it("reads hosts, wildcards and origins", () => {
    assert.deepEqual(allow, [
      { kind: "host", host: "hooks.example.com" },
      { kind: "suffix", suffix: ".partner.example" },
      { kind: "origin", origin: "https://alt.example.com:8443" },
      { kind: "origin", origin: "http://127.0.0.1:8080" },
    ]);
    assert.deepEqual(parseAllowList(""), []);
    assert.deepEqual(parseAllowList(undefined), []);
  });

  it("refuses entries it cannot read exactly", () => {
    for (const bad of [
      "hooks.example.com:8443",
      "https://hooks.example.com/path",
      "https://u:p@hooks.example.com",
      "ftp://hooks.example.com",
      "*.",
      "a b",
      "127.1",
      "hooks.example.com/x",
    ])
      assert.throws(() => parseAllowList(bad), /NOTIFY_WEBHOOK_ALLOW/, bad);
  });

  const ok = (url: string) => checkWebhookUrl(url, allow, false).href;
  const refused = (url: string, rule: RegExp) =>
    assert.throws(
      () => checkWebhookUrl(url, allow, false),
      (e: Error) => {
        assert.ok(e instanceof WebhookRefused, url);
        assert.match(e.message, rule, url);
        return true;
      },
    );

  it("lets a task's URL through only by an entry", () => {
    assert.equal(ok("https://hooks.example.com/oe?x=1#frag"), "https://hooks.example.com/oe?x=1");
    assert.equal(ok("https://HOOKS.example.com:443/a"), "https://hooks.example.com/a");
    ok("https://a.partner.example/x");
    ok("https://a.b.partner.example/x");
    ok("https://alt.example.com:8443/x");
    ok("http://127.0.0.1:8080/hook");
    refused("https://partner.example/x", /not on the deployment's webhook allow-list/);
    refused("https://evilpartner.example/x", /not on the deployment's webhook allow-list/);
    refused("https://hooks.example.com:8443/x", /not on the deployment's webhook allow-list/);
    refused("https://alt.example.com/x", /not on the deployment's webhook allow-list/);
    refused("https://127.0.0.1:8080/x", /not on the deployment's webhook allow-list/);
    refused("https://169.254.169.254/latest/meta-data/", /NOTIFY_WEBHOOK_ALLOW/);
    refused("https://[::1]/x", /NOTIFY_WEBHOOK_ALLOW/);
    refused("https://[::ffff:127.0.0.1]:8080/x", /NOTIFY_WEBHOOK_ALLOW/);
    refused("https://2130706433/x", /NOTIFY_WEBHOOK_ALLOW/);
  });

  it("wants https, except an http origin listed as such; never a user or password", () => {
    refused("http://hooks.example.com/x", /must be https/);
    refused("http://127.0.0.1:8081/x", /must be https/);
    refused("https://user:pw@hooks.example.com/x", /user name or password/);
    refused("https://user@hooks.example.com/x", /user name or password/);
    refused("ftp://hooks.example.com/x", /https URL/);
    refused("file:///etc/passwd", /https URL/);
    refused("/relative", /absolute URL/);
    refused(`https://hooks.example.com/${"a".repeat(2048)}`, /longer than 2048/);
  });

  it("trusts the deployment's own URL (NOTIFY_WEBHOOK_URL) for its host, not for http", () => {
    assert.equal(
      checkWebhookUrl("https://internal.corp/hook", allow, true).href,
      "https://internal.corp/hook",
    );
    assert.throws(() => checkWebhookUrl("http://internal.corp/hook", allow, true), /must be https/);
    assert.throws(() => checkWebhookUrl("https://u:p@internal.corp/", allow, true), /user name/);
  });
});

describe("resolving once, at send time", () => {
  const allow = parseAllowList("*.partner.example, inside.partner.example, http://127.0.0.1:8080");
  const dns =
    (answers: Record<string, string[]>): Lookup =>
    async (host) =>
      (answers[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  const url = (u: string) => checkWebhookUrl(u, allow, false);

  it("connects to the address it checked", async () => {
    const t = await resolveTarget(
      url("https://a.partner.example/x"),
      allow,
      false,
      dns({ "a.partner.example": ["93.184.216.34", "2606:2800::1"] }),
    );
    assert.deepEqual([t.address, t.family], ["93.184.216.34", 4]);
  });

  it("refuses a name with any internal address, unless listed by that exact name", async () => {
    for (const addresses of [
      ["127.0.0.1"],
      ["93.184.216.34", "10.0.0.7"],
      ["::1"],
      ["fd00:ec2::254"],
      ["::ffff:169.254.169.254"],
    ]) {
      await assert.rejects(
        resolveTarget(
          url("https://b.partner.example/x"),
          allow,
          false,
          dns({ "b.partner.example": addresses }),
        ),
        (e: Error) =>
          e instanceof WebhookRefused && /resolves to an internal address/.test(e.message),
        addresses.join(),
      );
    }
    const listed = await resolveTarget(
      url("https://inside.partner.example/x"),
      allow,
      false,
      dns({ "inside.partner.example": ["10.0.0.7"] }),
    );
    assert.equal(listed.address, "10.0.0.7");
    const origin = await resolveTarget(url("http://127.0.0.1:8080/x"), allow, false, dns({}));
    assert.equal(origin.address, "127.0.0.1");
    // The deployment's own URL is the operator's choice.
    const trusted = await resolveTarget(
      new URL("https://php.internal/x"),
      allow,
      true,
      dns({ "php.internal": ["10.1.2.3"] }),
    );
    assert.equal(trusted.address, "10.1.2.3");
  });

  it("says so when the name has no address", async () => {
    await assert.rejects(
      resolveTarget(url("https://c.partner.example/x"), allow, false, dns({})),
      /has no address/,
    );
  });
});
