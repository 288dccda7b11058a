import type { Readable, TransformOptions } from "node:stream";
import { type StopOutcome, WORKER_TIMEOUT_CODE } from "../failure/kinds.js";

/** The worker's own time limit was reached; `stopped` says how the stop on the server ended. */
export class StatementTimeout extends Error {
  override name = "StatementTimeout";
  readonly code = WORKER_TIMEOUT_CODE;
  stopped?: StopOutcome;
  constructor(readonly seconds: number) {
    super(`the query ran past ${seconds} seconds`);
  }
}

/**
 * The statement timeout the worker keeps itself, whatever the SQL did to the server's. Started
 * before the first message carrying task SQL is sent (the checks, then the query), so it never
 * reads less than the server's clock: a result that ends at or past the limit was cut short by
 * the server (a MariaDB BENCHMARK interrupted by max_statement_time returns 0 as if it had
 * finished) and fails like one that is still running. At the limit it fails the stream and runs
 * `stop` (stop.ts), once.
 */
export class StatementLimit {
  readonly error: StatementTimeout;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private stream: Readable | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly seconds: number,
    private readonly stop: () => Promise<StopOutcome>,
  ) {
    this.error = new StatementTimeout(seconds);
    this.timer = setTimeout(() => this.fire(), seconds * 1000);
  }

  get reached(): boolean {
    return performance.now() - this.started >= this.seconds * 1000;
  }

  private fire(): void {
    if (this.stream && (this.stream.destroyed || this.stream.readableEnded)) return;
    this.stopping ??= this.stop().then((outcome) => {
      this.error.stopped = outcome;
    });
    this.stream?.destroy(this.error);
  }

  /**
   * A flush for the stream the rows pass through (failFast's PassThrough): the last row came at
   * or past the limit, so the result may be cut short.
   */
  readonly flush: NonNullable<TransformOptions["flush"]> = (done) => {
    if (!this.reached) return done();
    this.disarm();
    done(this.error);
  };

  /** The stream the limit fails (at once if it fired during the checks); it disarms when the stream closes. */
  watch(stream: Readable): void {
    this.stream = stream;
    if (this.stopping) stream.destroy(this.error);
    stream.once("close", () => this.disarm());
  }

  disarm(): void {
    clearTimeout(this.timer);
  }

  /**
   * What a failure before the stream exists means: once the limit fired (the stop cancelled
   * the checks), the timeout with the stop's outcome; otherwise `err` itself.
   */
  async failure(err: unknown): Promise<unknown> {
    this.disarm();
    if (this.stopping === undefined) return err;
    await this.stopping;
    return this.error;
  }

  /** Resolves once a stop the limit started has finished and its outcome is on `error`. */
  async settled(): Promise<void> {
    await this.stopping;
  }
}
