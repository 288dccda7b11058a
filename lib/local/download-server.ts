import { createServer, type Server } from "node:http";
import { type DownloadDeps, handleDownload } from "../links/download.js";

/**
 * The download function on 127.0.0.1, as its Lambda function URL serves it: each request goes
 * through the same handleDownload. For `npm run dev` and the tests; never deployed. `deps` may
 * be a getter, so the port can be taken before the app (whose config names it) exists.
 */
export async function serveDownloads(
  deps: DownloadDeps | (() => DownloadDeps),
  port: number,
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://127.0.0.1");
    const d = typeof deps === "function" ? deps() : deps;
    handleDownload(d, {
      method: req.method ?? "GET",
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
    }).then(
      (r) => {
        res.writeHead(r.statusCode, r.headers);
        res.end(req.method === "HEAD" ? undefined : r.body);
      },
      (err: unknown) => {
        d.logger.error("download failed", { error: err });
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("Something went wrong; try again in a minute.\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
