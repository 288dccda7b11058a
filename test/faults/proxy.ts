import net from "node:net";

/**
 * A TCP forwarder between the pipeline and one real service, so a test can make the service
 * vanish (connections cut, new ones refused, as when it is stopped) and come back, without
 * losing the service's state. The emulator and databases themselves keep running.
 */
export class FaultProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  cuts = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy in front of the host:port of a URL, and the same URL pointing through it. */
  static async forUrl(url: string): Promise<{ proxy: FaultProxy; url: string }> {
    const u = new URL(url);
    const proxy = new FaultProxy(u.hostname, Number(u.port));
    await proxy.listen();
    u.host = `127.0.0.1:${proxy.port}`;
    return { proxy, url: u.toString().replace(/\/$/, url.endsWith("/") ? "/" : "") };
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** The service "stops": open connections are reset and new ones refused. */
  async cut(): Promise<void> {
    this.cuts += 1;
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) =>
      server ? server.close(() => resolve()) : resolve(),
    );
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** The service is back, on the same address. */
  async restore(): Promise<void> {
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.cut();
    this.cuts -= 1;
  }
}
