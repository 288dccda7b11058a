import type { SNSClient } from "@aws-sdk/client-sns";
import { notifyUrlOf } from "../formats/options.js";
import type { Logger } from "../logger.js";
import type { TaskStore } from "../tasks/store.js";
import { checkWebhookUrl } from "./allow-list.js";
import { DEFAULT_POLICY, type DeliveryPolicy, deliveryBudgetMs, withBackoff } from "./backoff.js";
import { finishedEvent } from "./event.js";
import type { NotifySettings } from "./settings.js";
import { originKey } from "./signature.js";
import { publishEvent } from "./sns.js";
import { type Lookup, resolveTarget, systemLookup } from "./target.js";
import { postSigned } from "./webhook.js";

/** Deliveries of one task's event: each channel counts once, after its last try. */
export interface NotifyReport {
  sent: number;
  failed: number;
}

export interface Notifier {
  /**
   * A task's notify_url checked by its text when the task is claimed (its options), the
   * normalised URL back; throws naming the rule. Undefined: no allow-list, so tasks may not
   * name their own URL.
   */
  checkTaskUrl: ((url: string) => string) | undefined;
  /**
   * Reads the task row and, if it is final (2 or 3), sends its event to every channel at once,
   * each retried with backoff, all done by `until` (epoch ms) at the latest. Never throws:
   * failures are logged and counted, and the task's row and outcome stay as they are.
   */
  taskFinished(id: number, until?: number): Promise<NotifyReport>;
}

export interface NotifierDeps {
  settings: NotifySettings;
  sns: SNSClient | undefined;
  tasks: Pick<TaskStore, "get">;
  logger: Logger;
  lookup?: Lookup;
  policy?: DeliveryPolicy;
}

/** `host` names a webhook's receiver in the logs (never its path or query, which may hold a token). */
type Channel = { name: string; host?: string; send: (timeoutMs: number) => Promise<void> };

function timeLimited<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The notifier for these settings, or undefined when no channel is configured. */
export function createNotifier(d: NotifierDeps): Notifier | undefined {
  const { settings: s, logger } = d;
  const policy = d.policy ?? { ...DEFAULT_POLICY, timeoutMs: s.timeoutSeconds * 1000 };
  const lookup = d.lookup ?? systemLookup;
  if (!s.topicArn && !s.webhookUrl && s.allow.length === 0) return undefined;

  // Resolved and checked at each try, then connected to as checked (target.ts).
  const webhook = (url: URL, key: string, trusted: boolean, text: string): Channel["send"] => {
    return async (timeoutMs) => {
      const started = Date.now();
      const target = await timeLimited(
        resolveTarget(url, s.allow, trusted, lookup),
        timeoutMs,
        "resolving the host",
      );
      return postSigned(target, key, text, Math.max(1, timeoutMs - (Date.now() - started)));
    };
  };

  return {
    checkTaskUrl:
      s.allow.length > 0 ? (raw) => checkWebhookUrl(raw, s.allow, false).href : undefined,

    async taskFinished(id, until) {
      let event: ReturnType<typeof finishedEvent>;
      let ownUrl: string | undefined;
      try {
        // Bounded too: a task database that stalls now must not hold the invocation past its end.
        const wait = Math.max(1, Math.min(policy.timeoutMs, (until ?? Infinity) - Date.now()));
        const row = await timeLimited(d.tasks.get(id), wait, "reading the task row");
        event = row && finishedEvent(row);
        ownUrl = row ? notifyUrlOf(row.task.options ?? null) : undefined;
      } catch (error) {
        logger.warn("notification not sent: the task row could not be read", { taskId: id, error });
        return { sent: 0, failed: 1 };
      }
      if (event === undefined) return { sent: 0, failed: 0 };
      // The budget starts when sending does (the row read above is not part of it).
      const end = Math.min(Date.now() + deliveryBudgetMs(policy), until ?? Infinity);
      const text = JSON.stringify(event);
      const channels: Channel[] = [];
      if (d.sns && s.topicArn) {
        const [sns, topicArn] = [d.sns, s.topicArn];
        channels.push({ name: "sns", send: (t) => publishEvent(sns, topicArn, event, text, t) });
      }
      if (s.webhookUrl && s.webhookSecret)
        channels.push({
          name: "webhook",
          host: s.webhookUrl.host,
          send: webhook(s.webhookUrl, s.webhookSecret, true, text),
        });
      if (ownUrl !== undefined && s.webhookSecret && s.allow.length > 0) {
        try {
          const url = checkWebhookUrl(ownUrl, s.allow, false);
          const key = originKey(s.webhookSecret, url.origin);
          channels.push({
            name: "task-webhook",
            host: url.host,
            send: webhook(url, key, false, text),
          });
        } catch (error) {
          // Refused when the task was claimed too; its msg already says why.
          logger.debug("task's notify_url refused; not sent", { taskId: id, error });
        }
      }
      const results = await Promise.all(
        channels.map(async (c) => ({ c, r: await withBackoff(c.send, policy, end) })),
      );
      const report: NotifyReport = { sent: 0, failed: 0 };
      for (const { c, r } of results) {
        if (r.ok) {
          report.sent += 1;
          logger.info("notification sent", {
            taskId: id,
            channel: c.name,
            host: c.host,
            tries: r.tries,
          });
        } else {
          report.failed += 1;
          logger.warn("notification not delivered; the task is unaffected", {
            taskId: id,
            channel: c.name,
            host: c.host,
            tries: r.tries,
            error: r.error,
          });
        }
      }
      return report;
    },
  };
}
