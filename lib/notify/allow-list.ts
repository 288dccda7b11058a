import { Permanent } from "./backoff.js";

/**
 * NOTIFY_WEBHOOK_ALLOW: where a task's own notify_url may point. Entries, comma-separated:
 * - `hooks.example.com`: that host, https on port 443;
 * - `*.example.com`: any host under it (not example.com itself), https on port 443;
 * - `https://hooks.example.com:8443` or `http://127.0.0.1:8080`: exactly that origin; the only
 *   way to allow plain http (local tests), since the body carries the download link.
 */
export type AllowEntry =
  | { kind: "host"; host: string }
  | { kind: "suffix"; suffix: string }
  | { kind: "origin"; origin: string };

/** A notify URL refused by the rules; the message names the rule (never retried). */
export class WebhookRefused extends Permanent {
  override name = "WebhookRefused";
}

export const MAX_WEBHOOK_URL_CHARS = 2048;

/** The host as the URL parser normalises it (lower case, IDN, IPv4 forms, [IPv6]), or undefined. */
function normalHost(host: string): string | undefined {
  try {
    const u = new URL(`https://${host}/`);
    return u.hostname === host.toLowerCase() && u.port === "" ? u.hostname : undefined;
  } catch {
    return undefined;
  }
}

export function parseAllowList(text: string | undefined): AllowEntry[] {
  const out: AllowEntry[] = [];
  for (const item of (text ?? "").split(",").map((s) => s.trim())) {
    if (item === "") continue;
    if (item.includes("://")) {
      let u: URL;
      try {
        u = new URL(item);
      } catch {
        throw new Error(`NOTIFY_WEBHOOK_ALLOW: "${item}" is not a URL origin`);
      }
      if (!["https:", "http:"].includes(u.protocol) || u.username || u.password)
        throw new Error(`NOTIFY_WEBHOOK_ALLOW: "${item}" must be an http(s) origin without a user`);
      if (u.pathname !== "/" || u.search || u.hash)
        throw new Error(`NOTIFY_WEBHOOK_ALLOW: "${item}" must be an origin, without a path`);
      out.push({ kind: "origin", origin: u.origin });
      continue;
    }
    const wild = item.startsWith("*.");
    const host = normalHost(wild ? item.slice(2) : item);
    if (host === undefined)
      throw new Error(
        `NOTIFY_WEBHOOK_ALLOW: "${item}" is not a host name, *.domain or scheme://host:port origin`,
      );
    out.push(wild ? { kind: "suffix", suffix: `.${host}` } : { kind: "host", host });
  }
  return out;
}

/** The entry that lets `u` through, if any. */
export function allowedBy(u: URL, allow: readonly AllowEntry[]): AllowEntry | undefined {
  const https443 = u.protocol === "https:" && u.port === "";
  return allow.find((e) =>
    e.kind === "origin"
      ? e.origin === u.origin
      : e.kind === "host"
        ? https443 && u.hostname === e.host
        : https443 && u.hostname.endsWith(e.suffix) && u.hostname.length > e.suffix.length,
  );
}

/** Listed by its own name (a host or origin entry, not a wildcard): may be internal. */
export function listedExactly(u: URL, allow: readonly AllowEntry[]): boolean {
  const exact = allow.filter((e) => e.kind !== "suffix");
  return allowedBy(u, exact) !== undefined;
}

/**
 * A webhook URL checked by its text: http(s), no user or password, https unless its exact
 * http origin is listed, and (for a task's own URL, `trusted` false) allowed by the list.
 * Where it resolves is checked at send time (target.ts).
 */
export function checkWebhookUrl(raw: string, allow: readonly AllowEntry[], trusted: boolean): URL {
  if (raw.length > MAX_WEBHOOK_URL_CHARS)
    throw new WebhookRefused(`is longer than ${MAX_WEBHOOK_URL_CHARS} characters`);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new WebhookRefused("is not an absolute URL");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new WebhookRefused(`must be an https URL, not ${u.protocol}`);
  if (u.username || u.password)
    throw new WebhookRefused("must not carry a user name or password (the body is signed instead)");
  const entry = allowedBy(u, allow);
  if (u.protocol === "http:" && entry?.kind !== "origin")
    throw new WebhookRefused(
      "must be https: plain http is allowed only for an http origin listed in NOTIFY_WEBHOOK_ALLOW",
    );
  if (!trusted && entry === undefined)
    throw new WebhookRefused(
      `host "${u.host}" is not on the deployment's webhook allow-list (NOTIFY_WEBHOOK_ALLOW); ask an operator to add it`,
    );
  u.hash = "";
  return u;
}
