import { createHmac, timingSafeEqual } from "node:crypto";

export const TIMESTAMP_HEADER = "X-Offline-Export-Timestamp";
export const SIGNATURE_HEADER = "X-Offline-Export-Signature";
/** A receiver refuses a timestamp further than this from its clock: a captured request replays for at most this long. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const hmacHex = (key: string, text: string | Buffer) =>
  createHmac("sha256", key).update(text).digest("hex");

/** `v1=` + hex HMAC-SHA256(key, timestamp + "." + body): the timestamp is signed with the body. */
export function signBody(key: string, timestamp: number | string, body: string | Buffer): string {
  return `v1=${hmacHex(key, Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)]))}`;
}

/**
 * The key a task's own webhook is signed with: derived from NOTIFY_WEBHOOK_SECRET and the URL's
 * origin, so a receiver chosen by a task holds a key that signs for its origin only and
 * cannot forge events to the deployment's webhook or to another origin. The operator gives
 * each such receiver its key (README, "Notifications").
 */
export function originKey(secret: string, origin: string): string {
  return hmacHex(secret, `oe-webhook-v1\n${origin}`);
}

/** A receiver's check (the README's PHP does the same): fresh timestamp, constant-time compare. */
export function verifyBody(
  key: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: string | Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(signBody(key, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
