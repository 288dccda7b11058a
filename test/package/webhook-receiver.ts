// A webhook receiver in a process of its own for npm run test:package: the packaged functions
// run under spawnSync, which blocks this process's event loop, so a receiver here could not
// answer them. It checks each request as the README's PHP does and writes one JSON line per
// request to a file.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const RECEIVER = `
const http = require("node:http"), crypto = require("node:crypto"), fs = require("node:fs");
const [, , out] = process.argv;
const key = process.env.RECEIVER_KEY;
http.createServer((req, res) => {
  const parts = [];
  req.on("data", (c) => parts.push(c));
  req.on("end", () => {
    const body = Buffer.concat(parts);
    const ts = String(req.headers["x-offline-export-timestamp"] || "");
    const sig = Buffer.from(String(req.headers["x-offline-export-signature"] || ""));
    const want = Buffer.from("v1=" + crypto.createHmac("sha256", key).update(ts + "." + body).digest("hex"));
    const fresh = /^\\d+$/.test(ts) && Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
    const ok = fresh && sig.length === want.length && crypto.timingSafeEqual(sig, want);
    fs.appendFileSync(out, JSON.stringify({ path: req.url, ok, ts, signature: String(sig), body: body.toString("utf8") }) + "\\n");
    res.writeHead(ok ? 200 : 401).end();
  });
}).listen(0, "127.0.0.1", function () { process.stdout.write(this.address().port + "\\n"); });
`;

export interface ReceivedHook {
  path: string;
  ok: boolean;
  ts: string;
  signature: string;
  body: string;
}

export async function startReceiver(
  dir: string,
  key: string,
): Promise<{ origin: string; hooks: () => ReceivedHook[]; stop: () => void }> {
  const script = join(dir, "receiver.cjs");
  const out = join(dir, "receiver.jsonl");
  writeFileSync(script, RECEIVER);
  writeFileSync(out, "");
  const child = spawn(process.execPath, [script, out], {
    env: { PATH: process.env.PATH, RECEIVER_KEY: key },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
    child.once("exit", (code) => reject(new Error(`webhook receiver exited (${code})`)));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    hooks: () =>
      readFileSync(out, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as ReceivedHook),
    stop: () => child.kill(),
  };
}
