/** The most characters a task's msg holds (it is written to a TEXT column and shown in a panel). */
export const MSG_MAX_CHARS = 2000;

/** Removes known secrets, credentials in URLs and host:port pairs. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 3) out = out.split(s).join("***");
  }
  return out
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, "$1***@")
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, "***")
    .replace(/\[[0-9a-f:]+\](:\d+)?/gi, "***");
}

/** Cuts text to at most max code points (never between the halves of a surrogate pair). */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** Secrets to keep out of logs and msg: passwords, users and hosts of configured URLs. */
export function secretsOf(urls: string[]): string[] {
  const out = new Set<string>();
  for (const u of urls) {
    try {
      const p = new URL(u);
      if (p.password) {
        out.add(p.password);
        out.add(decodeURIComponent(p.password));
      }
      if (p.hostname && p.hostname !== "localhost") out.add(p.hostname);
      out.add(u);
    } catch {
      // not a URL: nothing to add
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}
