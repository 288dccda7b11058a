import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ageSeconds,
  runAttempt,
  runSeconds,
  taskJson,
  timelineOf,
} from "../../lib/ops/task-view.js";
import { at, taskRow } from "./task-row.js";

describe("task view", () => {
  it("orders the timeline by time, with the time since the step before", () => {
    const row = taskRow({
      status: 0,
      timeline: {
        created_at: at(0),
        dispatched_at: null,
        retry_at: at(40),
        started_at: at(2),
        heartbeat_at: at(5),
        cancel_requested_at: null,
        finished_at: null,
      },
    });
    assert.deepEqual(
      timelineOf(row).map((e) => [e.label, e.afterPrevious]),
      [
        ["created", null],
        ["started", 2],
        ["last heartbeat", 3],
        ["retry at", 35],
      ],
    );
  });

  it("measures the run to the finish, or to now while processing; nothing before a start", () => {
    const now = at(30);
    assert.equal(runSeconds(taskRow(), now), 4);
    const running = taskRow({ status: 1, timeline: { ...taskRow().timeline, finished_at: null } });
    assert.equal(runSeconds(running, now), 29);
    const pending = taskRow({
      status: 0,
      timeline: { ...taskRow().timeline, started_at: null, finished_at: null },
    });
    assert.equal(runSeconds(pending, now), null);
    // A re-run task waiting again: the old start is no run in progress.
    const rerunWaiting = taskRow({
      status: 0,
      timeline: { ...taskRow().timeline, finished_at: null },
    });
    assert.equal(runSeconds(rerunWaiting, now), null);
    assert.equal(ageSeconds(taskRow(), now), 30);
    assert.equal(ageSeconds(taskRow(), at(-5)), 0, "a clock behind the row's is no negative age");
  });

  it("counts this run's attempts from attempt_base", () => {
    assert.equal(runAttempt(taskRow({}, { attempts: 5, attemptBase: 3 })), 2);
    assert.equal(runAttempt(taskRow({}, { attempts: 2, attemptBase: undefined })), 2);
  });

  it("gives scripts snake_case fields, ISO times, and the query only when asked", () => {
    const j = taskJson(taskRow(), at(10), { withQuery: false });
    assert.equal(j.status_name, "succeeded");
    assert.equal(j.creator, "alice");
    assert.equal(j.link, "https://example.test/d/7?o=k&e=1&s=2");
    assert.equal(j.timeline.created_at, "2026-12-02T10:00:00.000Z");
    assert.equal(j.timeline.retry_at, null);
    assert.equal("query" in j, false);
    assert.equal(
      taskJson(taskRow(), at(10), { withQuery: true }).query,
      "SELECT order_no\nFROM orders",
    );
  });
});
