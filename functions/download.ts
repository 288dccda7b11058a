import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createDeployedApp } from "../lib/app.js";
import { handleDownload } from "../lib/links/download.js";

// Once per container; a missing setting or unreadable secret fails every call with its name.
const ready = createDeployedApp("download");

// A Lambda function URL (payload format 2.0): a stable link's click -> 302 / 403 / 410 / 404.
export const handler = async (
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const app = await ready;
  return handleDownload(app.downloadDeps, {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
  });
};
