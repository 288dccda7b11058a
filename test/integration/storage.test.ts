import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { awsClientConfig } from "../../lib/aws-config.js";
import { ensureBucket } from "../../lib/local/aws-setup.js";
import { contentDisposition, presignDownload, uploadStream } from "../../lib/storage.js";
import { download, serviceUrl, uniqueName } from "../helpers.js";

const MB = 1024 * 1024;

describe("S3 storage (emulator over HTTP)", () => {
  let s3: S3Client;
  const bucket = uniqueName("oe-store").replace(/_/g, "-").toLowerCase();
  before(async () => {
    serviceUrl("mysql"); // fails early with a clear message outside `npm test`
    s3 = new S3Client(
      awsClientConfig({ region: "us-east-1", endpointUrl: process.env.AWS_ENDPOINT_URL }),
    );
    await ensureBucket(s3, bucket);
  });
  after(() => s3.destroy());

  const base = {
    bucket,
    contentType: "text/csv; charset=GB18030",
    partSizeBytes: 5 * MB,
    queueSize: 2,
  };

  it("uploads a stream in several parts with the name and type on the object", async () => {
    const key = "ok/multi.csv";
    // 12 MB in 1 MB chunks: three parts of 5 MB max.
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 12; i++) yield Buffer.alloc(MB, 0x41 + i);
      })(),
    );
    await uploadStream(s3, {
      ...base,
      key,
      body,
      contentDisposition: contentDisposition("订单导出", "csv"),
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(head.ContentLength, 12 * MB);
    assert.equal(head.ContentType, "text/csv; charset=GB18030");
    assert.match(
      head.ContentDisposition ?? "",
      /filename\*=UTF-8''%E8%AE%A2%E5%8D%95%E5%AF%BC%E5%87%BA\.csv/,
    );
    const got = await download(await presignDownload(s3, bucket, key, 60));
    assert.equal(got.status, 200);
    assert.equal(got.bytes.length, 12 * MB);
    assert.equal(got.bytes[11 * MB], 0x41 + 11, "parts in order");
  });

  it("aborts the multipart upload when the body fails mid-stream: no parts, no object", async () => {
    const key = "fail/broken.csv";
    const body = Readable.from(
      (async function* () {
        for (let i = 0; i < 11; i++) yield Buffer.alloc(MB, 0x61);
        throw new Error("source died");
      })(),
    );
    await assert.rejects(
      uploadStream(s3, { ...base, key, body, contentDisposition: contentDisposition("x", "csv") }),
      /source died/,
    );
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.deepEqual(uploads.Uploads ?? [], [], "no incomplete multipart upload left to bill");
    await assert.rejects(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
      /NotFound|404/,
    );
  });
});
