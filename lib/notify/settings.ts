import { type AllowEntry, checkWebhookUrl, parseAllowList } from "./allow-list.js";

/** Where finished tasks are announced (README, "Notifications"); all optional. */
export interface NotifySettings {
  /** NOTIFY_TOPIC_ARN: an SNS topic. */
  topicArn: string | undefined;
  /** NOTIFY_WEBHOOK_URL: the deployment's own receiver, signed with the secret itself. */
  webhookUrl: URL | undefined;
  /** NOTIFY_WEBHOOK_SECRET (deployed: NOTIFY_WEBHOOK_SECRET_ARN): the HMAC key. */
  webhookSecret: string | undefined;
  /** NOTIFY_WEBHOOK_ALLOW: where a task's own notify_url may point; empty, nowhere. */
  allow: AllowEntry[];
  timeoutSeconds: number;
}

const MIN_SECRET_CHARS = 32;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

type Env = Record<string, string | undefined>;

/** Reads and checks the NOTIFY_* settings; throws an Error naming the variable. */
export function loadNotifySettings(env: Env, timeoutSeconds: number): NotifySettings {
  const get = (name: string) => env[name]?.trim() || undefined;
  const topicArn = get("NOTIFY_TOPIC_ARN");
  if (topicArn !== undefined && !TOPIC_ARN.test(topicArn))
    throw new Error(
      `NOTIFY_TOPIC_ARN must be a standard SNS topic ARN (arn:aws:sns:region:account:name), got "${topicArn}".`,
    );
  const allow = parseAllowList(get("NOTIFY_WEBHOOK_ALLOW"));
  const rawUrl = get("NOTIFY_WEBHOOK_URL");
  let webhookUrl: URL | undefined;
  if (rawUrl !== undefined) {
    try {
      webhookUrl = checkWebhookUrl(rawUrl, allow, true);
    } catch (err) {
      throw new Error(`NOTIFY_WEBHOOK_URL ${(err as Error).message}.`);
    }
  }
  const webhookSecret = get("NOTIFY_WEBHOOK_SECRET");
  if ((webhookUrl !== undefined || allow.length > 0) && webhookSecret === undefined)
    throw new Error(
      "NOTIFY_WEBHOOK_SECRET (or NOTIFY_WEBHOOK_SECRET_ARN) is required with NOTIFY_WEBHOOK_URL or NOTIFY_WEBHOOK_ALLOW: webhooks are always signed.",
    );
  if (webhookSecret !== undefined && webhookSecret.length < MIN_SECRET_CHARS)
    throw new Error(`NOTIFY_WEBHOOK_SECRET must be at least ${MIN_SECRET_CHARS} characters.`);
  return { topicArn, webhookUrl, webhookSecret, allow, timeoutSeconds };
}
