import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createApp } from "../lib/app.js";
import { loadConfig } from "../lib/config.js";
import { handleSqsBatch } from "../lib/worker.js";

// Created once per container; a missing or bad setting fails the cold start with its name.
const app = createApp(loadConfig());

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> =>
  handleSqsBatch(app.exportDeps, event);
