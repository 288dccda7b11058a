// The floor under the PostgreSQL COPY path, as its own process (bundled and run like
// export-one.ts): the same COPY straight into the same multipart upload, with nothing in between.
// No task row, no claim, no checks, no layout, no GB18030: what an export on the same machine
// can at best come near, printed beside the worker to show how much of the worker's time is the
// database and the emulator rather than the worker's own work.
import { S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import { awsClientConfig } from "../lib/aws-config.js";
import { loadConfig } from "../lib/config.js";
import { CopyOutQuery } from "../lib/engines/postgres/copy-stream.js";
import { uploadStream } from "../lib/storage.js";

const [query, key] = process.argv.slice(2);
if (!query || !key) throw new Error("usage: floor-one.mjs QUERY KEY");
const config = loadConfig();
const started = process.hrtime.bigint();
const client = new pg.Client({ connectionString: config.dataDb.url });
await client.connect();
const s3 = new S3Client(awsClientConfig(config));
// The worker's own COPY reader (the fastest here), without the proof, checks or layout.
const copy = client.query(new CopyOutQuery(`COPY (${query}) TO STDOUT (FORMAT csv)`)).bytes;
await uploadStream(s3, {
  bucket: config.bucket,
  key,
  body: copy,
  contentType: "text/csv",
  contentDisposition: "attachment",
  partSizeBytes: config.partSizeBytes,
  queueSize: config.uploadQueueSize,
  metadata: {},
});
await client.end();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
// The size comes from the object itself (the bench asks S3): a data listener here would undo
// the backpressure the upload puts on the COPY.
const usage = process.resourceUsage();
const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds })}\n`);
