import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { internalAddress } from "./addresses.js";
import { type AllowEntry, listedExactly, WebhookRefused } from "./allow-list.js";

/** The address a request goes to: resolved once and checked, then connected to as it is. */
export interface Target {
  url: URL;
  address: string;
  family: 4 | 6;
}

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Resolves the URL's host once. For a task's own URL (`trusted` false) every address the name
 * has must be public, unless the host is listed by its exact name or origin: a name with one
 * internal record among public ones is refused too. The request then connects to the address
 * checked here (webhook.ts pins it), so a second, different DNS answer cannot redirect it.
 */
export async function resolveTarget(
  url: URL,
  allow: readonly AllowEntry[],
  trusted: boolean,
  lookup: Lookup = systemLookup,
): Promise<Target> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const found = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host);
  if (found.length === 0) throw new Error(`"${host}" has no address`);
  if (!trusted && !listedExactly(url, allow)) {
    for (const a of found) {
      const reason = internalAddress(a.address);
      if (reason)
        throw new WebhookRefused(
          `host "${url.host}" resolves to an internal address (${reason}); only a host listed by its exact name in NOTIFY_WEBHOOK_ALLOW may`,
        );
    }
  }
  // IPv4 first: a Lambda function's network rarely routes IPv6 out.
  const pick = (found.find((a) => a.family === 4) ?? found[0]) as {
    address: string;
    family: number;
  };
  return { url, address: pick.address, family: pick.family === 6 ? 6 : 4 };
}
