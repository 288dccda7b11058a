#!/usr/bin/env bash
# LocalStack ready hook: the bucket, queue and DLQ that serverless.yml declares, for `npm run dev`.
set -euo pipefail
bucket=${EXPORT_BUCKET:-offline-export-dev}
queue=${EXPORT_QUEUE_NAME:-offline-export-dev-tasks}

awslocal s3api create-bucket --bucket "$bucket" >/dev/null 2>&1 || true
awslocal s3api put-bucket-lifecycle-configuration --bucket "$bucket" --lifecycle-configuration '{
  "Rules": [{"ID": "expire-exports-and-abort-incomplete-uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
             "Expiration": {"Days": 30}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]}'

dlq_url=$(awslocal sqs create-queue --queue-name "$queue-dlq" --query QueueUrl --output text)
dlq_arn=$(awslocal sqs get-queue-attributes --queue-url "$dlq_url" --attribute-names QueueArn --query Attributes.QueueArn --output text)
awslocal sqs create-queue --queue-name "$queue" --attributes "{
  \"VisibilityTimeout\": \"60\",
  \"RedrivePolicy\": \"{\\\"deadLetterTargetArn\\\":\\\"$dlq_arn\\\",\\\"maxReceiveCount\\\":\\\"3\\\"}\"}" >/dev/null
echo "offline-export: bucket $bucket, queue $queue (DLQ $queue-dlq) ready"
