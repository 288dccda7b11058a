import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Stable download links: `<base>/d/<id>?o=<object>&e=<expiry>&s=<signature>`.
 *
 *   signature = hex(HMAC-SHA256(secret, "oe-link-v1\n" + id + "\n" + object + "\n" + expiry))
 *
 * id is the task id, object the last part of the file's S3 key (task-42-a1-<uuid>.csv), expiry
 * Unix seconds. The link carries no AWS credentials, so it lives as long as its expiry and the
 * file: each click is checked and answered with a fresh, short presigned URL (lib/links/download.ts).
 * PHP mints the same link with hash_hmac('sha256', $message, $secret); README has test vectors.
 */
export const LINK_VERSION = "oe-link-v1";
export const MIN_SECRET_LENGTH = 32;

/** The signing secret; links signed with `previous` still verify while it is set (rotation). */
export interface LinkKeys {
  current: string;
  previous?: string;
}

export interface LinkClaims {
  id: number;
  object: string;
  /** Unix seconds. */
  expires: number;
}

// Keys are ours (lib/export/object-key.ts); refusing anything else keeps links plain ASCII.
const OBJECT_NAME = /^[A-Za-z0-9._-]{1,200}$/;

export function linkMessage(c: LinkClaims): string {
  return `${LINK_VERSION}\n${c.id}\n${c.object}\n${c.expires}`;
}

export function signLink(secret: string, c: LinkClaims): string {
  return createHmac("sha256", secret).update(linkMessage(c), "utf8").digest("hex");
}

export function mintStableLink(baseUrl: string, keys: LinkKeys, c: LinkClaims): string {
  if (!OBJECT_NAME.test(c.object)) throw new Error(`not a link object name: ${c.object}`);
  const base = baseUrl.replace(/\/+$/, "");
  const q = new URLSearchParams({
    o: c.object,
    e: String(c.expires),
    s: signLink(keys.current, c),
  });
  return `${base}/d/${c.id}?${q}`;
}

export type LinkCheck =
  | { kind: "valid"; claims: LinkClaims }
  /** Signature missing, malformed or wrong: the link was altered or never ours. */
  | { kind: "tampered" }
  | { kind: "expired"; claims: LinkClaims };

function sameSignature(expectedHex: string, givenHex: string): boolean {
  const a = Buffer.from(expectedHex, "hex");
  const b = Buffer.from(givenHex, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Checks a link's path and query: signature first (constant time), then expiry. */
export function verifyStableLink(
  keys: LinkKeys,
  path: string,
  query: Readonly<Record<string, string | undefined>>,
  nowSeconds: number,
): LinkCheck {
  const idText = /^\/d\/(\d{1,15})$/.exec(path)?.[1];
  const { o: object, e: expiresText, s: sig } = query;
  if (
    idText === undefined ||
    object === undefined ||
    !OBJECT_NAME.test(object) ||
    expiresText === undefined ||
    !/^\d{1,12}$/.test(expiresText) ||
    sig === undefined ||
    !/^[0-9a-f]{64}$/.test(sig)
  ) {
    return { kind: "tampered" };
  }
  const claims: LinkClaims = { id: Number(idText), object, expires: Number(expiresText) };
  const candidates = keys.previous ? [keys.current, keys.previous] : [keys.current];
  if (!candidates.some((k) => sameSignature(signLink(k, claims), sig))) return { kind: "tampered" };
  if (claims.expires <= nowSeconds) return { kind: "expired", claims };
  return { kind: "valid", claims };
}

/**
 * The secret as stored (Secrets Manager, SSM or LINK_SECRET): a plain string, or
 * `{"current": "...", "previous": "..."}` while rotating.
 */
export function parseLinkKeys(text: string): LinkKeys {
  const trimmed = text.trim();
  let keys: LinkKeys;
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error(
        'the link secret looks like JSON but does not parse; expected {"current": "..."}',
      );
    }
    const { current, previous } = parsed as { current?: unknown; previous?: unknown };
    if (typeof current !== "string")
      throw new Error('the link secret JSON needs a "current" string');
    if (previous !== undefined && previous !== null && typeof previous !== "string")
      throw new Error('the link secret\'s "previous" must be a string');
    keys = { current, ...(typeof previous === "string" && previous !== "" ? { previous } : {}) };
  } else {
    keys = { current: trimmed };
  }
  for (const k of [keys.current, keys.previous]) {
    if (k !== undefined && k.length < MIN_SECRET_LENGTH)
      throw new Error(`the link secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  return keys;
}

/** The S3 key's last part, which a link names. */
export function objectName(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}
