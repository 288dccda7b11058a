import type { TaskRow } from "../../lib/tasks/store.js";

/** A second of 2026-12-02 10:00 UTC. */
export const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));

/** A finished task row as TaskStore returns it, with the fields a test cares about replaced. */
export function taskRow(over: Partial<TaskRow> = {}, task: Partial<TaskRow["task"]> = {}): TaskRow {
  return {
    status: 2,
    msg: null,
    filepath: "https://example.test/d/7?o=k&e=1&s=2",
    s3Key: "exports/task-7-a1-x.csv",
    rowCount: 1000,
    byteCount: 57_344,
    waitedSeconds: 1,
    cancelledBy: null,
    slices: null,
    timeline: {
      created_at: at(0),
      dispatched_at: at(1),
      retry_at: null,
      started_at: at(1),
      heartbeat_at: at(4),
      cancel_requested_at: null,
      finished_at: at(5),
    },
    ...over,
    task: {
      id: 7,
      name: "订单导出",
      title: "序号,订单号",
      query: "SELECT order_no\nFROM orders",
      createrName: "alice",
      attempts: 1,
      attemptBase: 0,
      options: null,
      ...task,
    },
  };
}
