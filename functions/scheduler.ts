import type { Context } from "aws-lambda";
import { createDeployedApp } from "../lib/app.js";
import { runSchedulerLoop } from "../lib/scheduler.js";

// Once per container; a missing setting or unreadable secret fails every call with its name.
const ready = createDeployedApp("scheduler");
// Leave this much of the Lambda's time unused, so a pass never runs into the timeout.
const SAFETY_MS = 5000;

export const handler = async (_event: unknown, context: Context) => {
  const app = await ready;
  const { schedulerRunSeconds, schedulerPollSeconds } = app.config;
  const runMs = Math.min(
    schedulerRunSeconds * 1000,
    context.getRemainingTimeInMillis() - SAFETY_MS,
  );
  return runSchedulerLoop(app.schedulerDeps, { runMs, pollMs: schedulerPollSeconds * 1000 });
};
