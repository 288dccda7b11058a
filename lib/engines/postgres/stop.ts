import pg from "pg";
import type { SessionControl, StopTarget } from "../../sources/stop.js";

/**
 * The data session `client` as the stop reaches it: by backend pid, from a connection of the
 * monitor login (which needs pg_signal_backend, or membership in the data role) or of the data
 * user. pg_stat_activity lists every backend's pid to any role, even with track_activities off.
 */
export function postgresStopTarget(
  client: pg.Client,
  urls: { monitor: string | undefined; data: string },
  label: string,
): StopTarget {
  const pid = (client as unknown as { processID: number }).processID;
  return {
    describe: { source: label, pid },
    async connect(as) {
      const url = as === "monitor" ? urls.monitor : urls.data;
      return postgresControl(url ?? urls.data, pid);
    },
    // insufficient_privilege: "permission denied to cancel query" (pg_signal_backend missing).
    notAllowed: (err) => (err as { code?: string })?.code === "42501",
    dropOwn() {
      client.end().catch(() => {});
      client.connection.stream.destroy();
    },
  };
}

async function postgresControl(url: string, pid: number): Promise<SessionControl> {
  const c = new pg.Client({
    connectionString: url,
    application_name: "offline-export-monitor",
    connectionTimeoutMillis: 5000,
  });
  c.on("error", () => {});
  await c.connect();
  return {
    async cancel() {
      await c.query("SELECT pg_cancel_backend($1)", [pid]);
    },
    async terminate() {
      await c.query("SELECT pg_terminate_backend($1)", [pid]);
    },
    async present() {
      const r = await c.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid]);
      return (r.rowCount ?? 0) > 0;
    },
    close: () => c.end(),
  };
}
