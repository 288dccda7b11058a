import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createDeployedApp } from "../lib/app.js";
import { warnAboutDataRole } from "../lib/doctor.js";
import { createExportMetrics } from "../lib/metrics.js";
import { handleSqsBatch } from "../lib/worker.js";

// Once per container; a missing setting or unreadable secret fails every call with its name.
const ready = createDeployedApp("worker");
// Also once per container, in the background: warn when task SQL runs as a powerful user.
const roleChecked = ready
  .then((app) =>
    warnAboutDataRole(app.config.taskDb, app.config.dataDb, app.config.taskTable, app.logger),
  )
  .catch(() => {});
const metrics = createExportMetrics(process.env.POWERTOOLS_SERVICE_NAME ?? "offline-export");

const NOTIFY_END_MARGIN_MS = 2000;

// Stop short of the Lambda timeout, so the upload is aborted and the task says why.
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const app = await ready;
  const end = Date.now() + context.getRemainingTimeInMillis();
  try {
    return await handleSqsBatch(app.exportDeps, event, {
      deadline: end - app.config.deadlineMarginSeconds * 1000,
      // Notifications run after the row is final, inside the margin, and stop short of the end.
      notifyBy: end - NOTIFY_END_MARGIN_MS,
      metrics,
    });
  } finally {
    metrics.flush();
    // Lambda freezes the process after the return: let the first check finish its logging.
    await roleChecked;
  }
};
