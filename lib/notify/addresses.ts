import { isIPv4, isIPv6 } from "node:net";

// Addresses a task's webhook must not reach: the worker's own host, its VPC and the cloud's
// metadata service (169.254.169.254, fd00:ec2::254; Alibaba's 100.100.100.200 is in 100.64/10).
// [first octets, prefix length, what it is]
const V4: [number[], number, string][] = [
  [[0], 8, "unspecified (0.0.0.0/8)"],
  [[10], 8, "private (10.0.0.0/8)"],
  [[100, 64], 10, "carrier-grade NAT (100.64.0.0/10)"],
  [[127], 8, "loopback (127.0.0.0/8)"],
  [[169, 254], 16, "link-local and cloud metadata (169.254.0.0/16)"],
  [[172, 16], 12, "private (172.16.0.0/12)"],
  [[192, 0, 0], 24, "IETF protocol (192.0.0.0/24)"],
  [[192, 168], 16, "private (192.168.0.0/16)"],
  [[198, 18], 15, "benchmarking (198.18.0.0/15)"],
  [[224], 4, "multicast (224.0.0.0/4)"],
  [[240], 4, "reserved or broadcast (240.0.0.0/4)"],
];

function v4Bytes(ip: string): number[] {
  return ip.split(".").map(Number);
}

function inPrefix(bytes: number[], first: number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const keep = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - keep)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((first[i] ?? 0) & mask)) return false;
  }
  return true;
}

function v4Reason(bytes: number[]): string | undefined {
  return V4.find(([first, bits]) => inPrefix(bytes, first, bits))?.[2];
}

/** The 16 bytes of an IPv6 address in any text form (`::`, an IPv4 tail, a `%zone`). */
export function ipv6Bytes(ip: string): number[] {
  let text = ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (tail) {
    const [a, b, c, d] = v4Bytes(tail) as [number, number, number, number];
    text = `${text.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const words = (s: string) => (s === "" ? [] : s.split(":").map((w) => Number.parseInt(w, 16)));
  const h = words(head);
  const r = rest === undefined ? [] : words(rest);
  const all = [...h, ...Array(8 - h.length - r.length).fill(0), ...r];
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

function v6Reason(b: number[]): string | undefined {
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const embedded = (at: number) => v4Reason(b.slice(at, at + 4));
  if (zero(0, 16)) return "unspecified (::)";
  if (zero(0, 15) && b[15] === 1) return "loopback (::1)";
  // IPv4 inside IPv6: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64, 6to4. Each
  // reaches the IPv4 address it carries, so it is judged as that address.
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return embedded(12);
  if (zero(0, 12)) return embedded(12) ?? "IPv4-compatible (::/96)";
  if (inPrefix(b, [0, 0x64, 0xff, 0x9b], 32) && zero(4, 12)) return embedded(12);
  if (inPrefix(b, [0, 0x64, 0xff, 0x9b, 0, 1], 48)) return "local NAT64 (64:ff9b:1::/48)";
  if (inPrefix(b, [0x20, 0x02], 16)) return embedded(2);
  if (inPrefix(b, [0xfc], 7)) return "unique local, cloud metadata (fc00::/7, fd00::/8)";
  if (inPrefix(b, [0xfe, 0x80], 10)) return "link-local (fe80::/10)";
  if (inPrefix(b, [0xfe, 0xc0], 10)) return "site-local (fec0::/10)";
  if (inPrefix(b, [0xff], 8)) return "multicast (ff00::/8)";
  if (inPrefix(b, [0x01, 0, 0, 0, 0, 0, 0, 0], 64)) return "discard (100::/64)";
  return undefined;
}

/**
 * Why an address is internal (loopback, private, link-local, metadata, ...), or undefined for
 * a public one. Takes the text a resolver or a URL gives: dotted IPv4, IPv6 in any form
 * (bracketed, compressed, with an IPv4 tail or a zone). Anything else counts as internal:
 * what cannot be read cannot be shown to be safe.
 */
export function internalAddress(ip: string): string | undefined {
  const bare = ip.replace(/^\[|\]$/g, "");
  if (isIPv4(bare)) return v4Reason(v4Bytes(bare));
  if (isIPv6(bare.replace(/%.*$/, ""))) return v6Reason(ipv6Bytes(bare));
  return "not an IP address";
}
