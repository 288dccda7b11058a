import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createApp } from "../lib/app.js";
import { loadConfig } from "../lib/config.js";
import { handleSqsBatch } from "../lib/worker.js";

// Created once per container; a missing or bad setting fails the cold start with its name.
const app = createApp(loadConfig());

// Stop short of the Lambda timeout, so the upload is aborted and the task says why.
export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  handleSqsBatch(app.exportDeps, event, {
    deadline:
      Date.now() + context.getRemainingTimeInMillis() - app.config.deadlineMarginSeconds * 1000,
  });
