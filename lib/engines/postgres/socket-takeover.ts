import type { Duplex } from "node:stream";
import type pg from "pg";

/** A socket 'data' listener: pg's parser, or a reader that reads an answer in its place. */
export type DataListener = (chunk: Buffer) => void;

/** A backend message's header: type byte and int32 length (which counts itself). */
export const HEADER = 5;
// Asynchronous messages the server may send at any time: NoticeResponse 'N', ParameterStatus
// 'S', NotificationResponse 'A'.
const NOTICE = 0x4e;
const PARAMETER_STATUS = 0x53;
const NOTIFICATION = 0x41;

/** Whether a message is one the server may send at any time: nothing for an export to do. */
export function isAsyncMessage(type: number): boolean {
  return type === NOTICE || type === PARAMETER_STATUS || type === NOTIFICATION;
}

/**
 * One answer's bytes read in place of pg's parser (the COPY reader and the fast row path), then
 * handed back: `take` puts `onData` where pg's parser was, `giveBack` puts the parser back and
 * feeds it what the reader did not read, so errors, the query's end and the connection's state
 * are pg's own. Once given back, the socket is pg's: `socket` is then undefined.
 */
export class SocketTakeover {
  socket?: Duplex;
  private pgListener?: DataListener;

  constructor(private readonly onData: DataListener) {}

  take(connection: pg.Connection): void {
    const socket = connection.stream as unknown as Duplex;
    // pg's parser was the first 'data' listener added (at connect); the wire guards are
    // prepended ahead of it, so it is the last in the list.
    const listeners = socket.listeners("data") as DataListener[];
    const pgListener = listeners[listeners.length - 1];
    if (pgListener === undefined) throw new Error("the connection has no protocol parser");
    this.socket = socket;
    this.pgListener = pgListener;
    socket.removeListener("data", pgListener);
    socket.on("data", this.onData);
  }

  giveBack(rest: Buffer): void {
    const socket = this.socket;
    const pgListener = this.pgListener;
    if (socket === undefined || pgListener === undefined) return;
    socket.removeListener("data", this.onData);
    socket.on("data", pgListener);
    this.pgListener = undefined;
    this.socket = undefined;
    // The answer's end must reach pg even with the reader behind (nothing would resume it).
    socket.resume();
    if (rest.length > 0) pgListener(rest);
  }
}
