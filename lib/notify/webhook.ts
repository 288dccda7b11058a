import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { Permanent } from "./backoff.js";
import { SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from "./signature.js";
import type { Target } from "./target.js";

/** Read no more of a receiver's answer than this: only its status matters. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One signed POST of `body` to the target's checked address. Resolves on a 2xx; throws
 * Permanent on an answer another try would get again (3xx: redirects are not followed, they
 * could lead anywhere; 4xx but 408 and 429), and a plain Error (retried) on 5xx, 408, 429, a
 * network error or no answer within `timeoutMs`. Signed at each try, so the timestamp is fresh.
 */
export function postSigned(
  target: Target,
  key: string,
  body: string,
  timeoutMs: number,
  nowSeconds = () => Math.floor(Date.now() / 1000),
): Promise<void> {
  const { url, address, family } = target;
  const timestamp = nowSeconds();
  const payload = Buffer.from(body);
  // The checked address, whatever the resolver would say now (DNS rebinding).
  const pinned: LookupFunction = (_host, options, cb) => {
    if ((options as { all?: boolean }).all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  };
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const tls = url.protocol === "https:";
  return new Promise<void>((resolve, reject) => {
    const req = (tls ? https : http).request({
      method: "POST",
      host,
      port: url.port || (tls ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      lookup: pinned,
      agent: false,
      // The certificate is checked against the URL's host name, not the address.
      ...(tls && !/^[\d.]+$|:/.test(host) ? { servername: host } : {}),
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-length": payload.length,
        "user-agent": "offline-export-notify/1",
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signBody(key, timestamp, payload),
      },
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on("response", (res) => {
      let seen = 0;
      const done = () => {
        clearTimeout(timer);
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) resolve();
        else if (code >= 500 || code === 408 || code === 429)
          reject(new Error(`the receiver answered HTTP ${code}`));
        else reject(new Permanent(`the receiver answered HTTP ${code}; not retried`));
      };
      res.on("data", (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > MAX_ANSWER_BYTES) {
          res.destroy();
          done();
        }
      });
      res.on("end", done);
      res.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.end(payload);
  });
}
