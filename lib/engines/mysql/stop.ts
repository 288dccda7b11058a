import mysql from "mysql2";
import type { SessionControl, StopTarget } from "../../sources/stop.js";

// ER_NO_SUCH_THREAD: the thread is gone already.
const NO_SUCH_THREAD = 1094;
// ER_KILL_DENIED_ERROR ("You are not owner of thread"), ER_SPECIFIC_ACCESS_DENIED_ERROR.
const NOT_ALLOWED = new Set([1095, 1227]);

/**
 * The data connection `conn` as the stop reaches it: by thread id, from a connection of the
 * monitor login (KILL of another user's thread needs CONNECTION ADMIN or SUPER) or of the data
 * user, which may kill its own threads.
 */
export function mysqlStopTarget(
  conn: mysql.Connection,
  urls: { monitor: string | undefined; data: string },
  label: string,
): StopTarget {
  const id = conn.threadId;
  return {
    describe: { source: label, thread: id },
    async connect(as) {
      const url = as === "monitor" ? urls.monitor : urls.data;
      return mysqlControl(url ?? urls.data, Number(id));
    },
    notAllowed: (err) => NOT_ALLOWED.has(Number((err as { errno?: number })?.errno)),
    dropOwn: () => conn.destroy(),
  };
}

async function mysqlControl(url: string, id: number): Promise<SessionControl> {
  if (!Number.isSafeInteger(id)) throw new Error("the data connection has no thread id");
  // No database: KILL and the process list need none, and the monitor may have no grant on it.
  const server = new URL(url);
  server.pathname = "/";
  const c = mysql.createConnection({ uri: server.toString(), connectTimeout: 5000 });
  c.on("error", () => {});
  const run = (sql: string) =>
    new Promise<unknown>((resolve, reject) =>
      c.query(sql, [id], (err, res) => (err ? reject(err) : resolve(res))),
    );
  /** Whether the thread was there to be killed. */
  const kill = (sql: string) =>
    run(sql).then(
      () => true,
      (err: { errno?: number }) => {
        if (err?.errno !== NO_SUCH_THREAD) throw err;
        return false;
      },
    );
  return {
    cancel: async () => {
      await kill("KILL QUERY ?");
    },
    terminate: async () => {
      await kill("KILL CONNECTION ?");
    },
    // Asked with KILL QUERY, harmless to a session being stopped anyway: the process list shows
    // other users' threads only to PROCESS, and a monitor without it would see every one gone.
    present: () => kill("KILL QUERY ?"),
    close: async () => c.destroy(),
  };
}
