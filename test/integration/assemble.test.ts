import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { awsClientConfig } from "../../lib/aws-config.js";
import { ensureBucket } from "../../lib/local/aws-setup.js";
import { type AssembleRequest, assembleObject } from "../../lib/slices/assemble.js";
import { contentDisposition } from "../../lib/storage.js";
import { uniqueName } from "../helpers.js";

const MB = 1024 * 1024;

describe("assembleObject: slices into one object (emulator over HTTP)", () => {
  let s3: S3Client;
  const bucket = uniqueName("oe-asm").replace(/_/g, "-").toLowerCase();
  /** Sizes of the parts each assembly sent, in order (UploadPart bodies, copy ranges). */
  let sent: number[] = [];

  before(async () => {
    if (!process.env.AWS_ENDPOINT_URL) {
      throw new Error("AWS_ENDPOINT_URL is not set: run the tests with `npm test`.");
    }
    s3 = new S3Client(
      awsClientConfig({ region: "us-east-1", endpointUrl: process.env.AWS_ENDPOINT_URL }),
    );
    await ensureBucket(s3, bucket);
    // Records part sizes as they go out, so the 5 MiB floor is checked here and not only
    // trusted to the emulator.
    // Parts go out several at a time: each size is kept at its part number's place.
    const send = s3.send.bind(s3) as (cmd: unknown, o?: unknown) => Promise<unknown>;
    (s3 as { send: unknown }).send = (cmd: unknown, o?: unknown) => {
      if (cmd instanceof UploadPartCommand)
        sent[(cmd.input.PartNumber as number) - 1] = (cmd.input.Body as Buffer).length;
      if (cmd instanceof UploadPartCopyCommand) {
        const [a, b] = (cmd.input.CopySourceRange ?? "").slice(6).split("-").map(Number);
        sent[(cmd.input.PartNumber as number) - 1] = (b as number) - (a as number) + 1;
      }
      return send(cmd, o);
    };
  });
  after(() => s3.destroy());

  /** Puts slices of the given sizes with distinct random bytes; their keys and concatenation. */
  async function putSlices(prefix: string, sizes: number[]) {
    const bodies = sizes.map((n) => randomBytes(n));
    const slices = sizes.map((bytes, i) => ({ key: `${prefix}/part ${i}-分片`, bytes }));
    await Promise.all(
      slices.map((s, i) =>
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: s.key, Body: bodies[i] })),
      ),
    );
    return { slices, whole: Buffer.concat(bodies) };
  }

  const request = (key: string, slices: AssembleRequest["slices"]): AssembleRequest => ({
    bucket,
    key,
    slices,
    contentType: "text/csv; charset=GB18030",
    contentDisposition: contentDisposition("订单导出", "csv"),
  });

  async function get(key: string): Promise<Buffer> {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(
      await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  }

  async function noUploadLeft(): Promise<void> {
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.deepEqual(uploads.Uploads ?? [], [], "no incomplete multipart upload left");
  }

  /** Assembles, then checks the bytes, the 5 MiB floor of every part but the last, and cleanup. */
  async function assembleAndCheck(name: string, sizes: number[], extra?: Partial<AssembleRequest>) {
    const { slices, whole } = await putSlices(`slices/${name}`, sizes);
    const key = `final/${name}.csv`;
    sent = [];
    const result = await assembleObject(s3, { ...request(key, slices), ...extra });
    const got = await get(key);
    assert.equal(got.length, whole.length);
    assert.ok(got.equals(whole), "the final object is the slices concatenated in order");
    assert.equal(result.bytes, whole.length);
    assert.equal(result.parts, sent.length);
    for (const n of sent.slice(0, -1))
      assert.ok(n >= 5 * MB, `a part of ${n} bytes before the last`);
    await noUploadLeft();
    // The caller deletes the slices once it has recorded the result, not the assembly.
    for (const s of slices) await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: s.key }));
    return { result, sent: [...sent], key };
  }

  it("the emulator enforces S3's 5 MiB floor on parts before the last (EntityTooSmall)", async () => {
    const key = "probe/too-small";
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
    );
    const part = async (PartNumber: number) =>
      (
        await s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber,
            Body: Buffer.alloc(MB),
          }),
        )
      ).ETag;
    const parts = [
      { PartNumber: 1, ETag: await part(1) },
      { PartNumber: 2, ETag: await part(2) },
    ];
    await assert.rejects(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
      /EntityTooSmall|smaller than the minimum/,
    );
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
    await noUploadLeft();
  });

  it("copies three slices of 5 MiB or more server-side, one part each", async () => {
    const { result } = await assembleAndCheck("three-large", [5 * MB, 6 * MB, 7 * MB + 3]);
    assert.equal(result.parts, 3);
  });

  it("copies several parts at once, and one at a time when told to", async () => {
    const inFlight = { now: 0, most: 0 };
    const send = s3.send.bind(s3) as (cmd: unknown, o?: unknown) => Promise<unknown>;
    (s3 as { send: unknown }).send = async (cmd: unknown, o?: unknown) => {
      if (!(cmd instanceof UploadPartCopyCommand)) return send(cmd, o);
      inFlight.now += 1;
      inFlight.most = Math.max(inFlight.most, inFlight.now);
      try {
        return await send(cmd, o);
      } finally {
        inFlight.now -= 1;
      }
    };
    try {
      await assembleAndCheck("lanes", [6 * MB, 6 * MB, 6 * MB, 6 * MB]);
      assert.ok(inFlight.most >= 2, `${inFlight.most} copies in flight at most`);
      inFlight.most = 0;
      await assembleAndCheck("one-lane", [6 * MB, 6 * MB, 6 * MB], { concurrency: 1 });
      assert.equal(inFlight.most, 1);
    } finally {
      (s3 as { send: unknown }).send = send;
    }
  });

  it("merges small slices at the start, middle and end with their neighbours", async () => {
    const sizes = [1 * MB, 6 * MB, 100, 3 * MB, 7 * MB, 2 * MB];
    const { sent } = await assembleAndCheck("mixed", sizes);
    // 1+6 read whole; 100 B + 3 MiB + the 7 MiB slice's head; the rest of it copied; 2 MiB last.
    assert.deepEqual(sent, [7 * MB, 5 * MB, 7 * MB - (5 * MB - 100 - 3 * MB), 2 * MB]);
  });

  it("copies a slice larger than maxCopyBytes in ranges, alone and before a small slice", async () => {
    const alone = await assembleAndCheck("ranges", [13 * MB], { maxCopyBytes: 6 * MB });
    assert.deepEqual(alone.sent, [6 * MB, 6 * MB, 1 * MB]);
    const mid = await assembleAndCheck("ranges-mid", [13 * MB, 2 * MB], { maxCopyBytes: 6 * MB });
    assert.deepEqual(mid.sent, [6 * MB, 6 * MB, 3 * MB]);
  });

  it("makes all-tiny slices one part, skipping empty ones", async () => {
    const { result } = await assembleAndCheck("tiny", [10, 0, MB, 2 * MB + 7, 0]);
    assert.equal(result.parts, 1);
  });

  it("writes an empty object with its headers when every slice is empty", async () => {
    const { result, key } = await assembleAndCheck("empty", [0, 0]);
    assert.deepEqual(result, { bytes: 0, parts: 0 });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(head.ContentLength, 0);
    assert.equal(head.ContentType, "text/csv; charset=GB18030");
  });

  it("puts Content-Type, Content-Disposition and metadata on the final object", async () => {
    const { key } = await assembleAndCheck("headers", [6 * MB, 10], {
      metadata: { "task-id": "42" },
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(head.ContentType, "text/csv; charset=GB18030");
    assert.equal(head.ContentDisposition, contentDisposition("订单导出", "csv"));
    assert.equal(head.Metadata?.["task-id"], "42");
  });

  for (const [what, sizes] of [
    ["copied", [6 * MB, 6 * MB]],
    ["read", [1 * MB, 2 * MB]],
  ] as const) {
    it(`rejects a missing slice that would be ${what}, leaving no upload and no object`, async () => {
      const { slices } = await putSlices(`slices/missing-${what}`, [...sizes]);
      const key = `final/missing-${what}.csv`;
      const gone = [...slices, { key: `slices/missing-${what}/nope`, bytes: sizes[0] }];
      await assert.rejects(assembleObject(s3, request(key, gone)), /NoSuchKey|NotFound|404/);
      await noUploadLeft();
      await assert.rejects(
        s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
        /NotFound|404/,
      );
    });
  }

  it("stops on its abort signal between parts and aborts the upload", async () => {
    const { slices } = await putSlices("slices/cancel", [6 * MB, 6 * MB, 6 * MB]);
    const controller = new AbortController();
    const send = s3.send;
    (s3 as { send: unknown }).send = (cmd: unknown, o?: unknown) => {
      if (cmd instanceof UploadPartCopyCommand && cmd.input.PartNumber === 2) controller.abort();
      return (send as (c: unknown, o?: unknown) => Promise<unknown>).call(s3, cmd, o);
    };
    try {
      const req = { ...request("final/cancel.csv", slices), abortSignal: controller.signal };
      await assert.rejects(assembleObject(s3, req), /abort/i);
    } finally {
      (s3 as { send: unknown }).send = send;
    }
    await noUploadLeft();
  });

  it("refuses a file that needs more than 10,000 parts before starting an upload", async () => {
    const slices = Array.from({ length: 10_001 }, (_, i) => ({ key: `never/${i}`, bytes: 5 * MB }));
    await assert.rejects(
      assembleObject(s3, request("final/too-many.csv", slices)),
      /10000 parts|S3 allows 10000/,
    );
    await noUploadLeft();
  });
});
