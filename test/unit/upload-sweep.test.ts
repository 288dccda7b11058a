// The sweep's decisions with a stub S3 and task table; test/faults runs it for real.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { S3Client } from "@aws-sdk/client-s3";
import { objectKey } from "../../lib/export/object-key.js";
import { createLogger } from "../../lib/logger.js";
import { STATUS } from "../../lib/status.js";
import type { TaskRow, TaskStore } from "../../lib/tasks/store.js";
import { sweepUploads } from "../../lib/upload-sweep.js";

const row = (id: number, status: number, attempts: number) =>
  ({ status, task: { id, attempts } }) as TaskRow;

describe("sweepUploads", () => {
  it("aborts uploads no live attempt owns, across pages, and leaves the rest alone", async () => {
    const live = objectKey("exports/", 1, 2, "csv"); // task 1 processing in attempt 2
    const oldAttempt = objectKey("exports/", 1, 1, "csv"); // a dead earlier attempt of task 1
    const finished = objectKey("exports/", 2, 1, "csv"); // task 2 already succeeded
    const gone = objectKey("exports/", 3, 1, "csv"); // task 3 deleted
    const foreign = "exports/someone-elses-file.csv";
    const pages = [
      {
        Uploads: [
          { Key: live, UploadId: "u1" },
          { Key: oldAttempt, UploadId: "u2" },
        ],
        IsTruncated: true,
        NextKeyMarker: "k",
        NextUploadIdMarker: "m",
      },
      {
        Uploads: [
          { Key: finished, UploadId: "u3" },
          { Key: gone, UploadId: "u4" },
          { Key: foreign, UploadId: "u5" },
        ],
        IsTruncated: false,
      },
    ];
    const aborted: string[] = [];
    let listed = 0;
    const s3 = {
      send: async (cmd: { constructor: { name: string }; input: { UploadId?: string } }) => {
        if (cmd.constructor.name === "ListMultipartUploadsCommand") return pages[listed++];
        if (cmd.constructor.name === "AbortMultipartUploadCommand")
          aborted.push(cmd.input.UploadId ?? "");
        return {};
      },
    } as unknown as S3Client;
    const rows = new Map([
      [1, row(1, STATUS.processing, 2)],
      [2, row(2, STATUS.succeeded, 1)],
    ]);
    let reads = 0;
    const tasks = {
      get: async (id: number) => {
        reads += 1;
        return rows.get(id);
      },
    } as unknown as TaskStore;
    const keys = await sweepUploads({
      s3,
      tasks,
      bucket: "b",
      keyPrefix: "exports/",
      logger: createLogger([], "test"),
    });
    assert.equal(listed, 2, "followed the second page");
    assert.deepEqual(aborted.sort(), ["u2", "u3", "u4"]);
    assert.deepEqual(keys.sort(), [oldAttempt, finished, gone].sort());
    assert.equal(reads, 3, "one task read per task id");
  });
});
