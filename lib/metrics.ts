import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { ExportOutcome } from "./export/types.js";
import type { NotifyReport } from "./notify/notifier.js";

/** CloudWatch namespace of our metrics; the template's FailedTasks alarm reads it. */
export const METRICS_NAMESPACE = "OfflineExport";

/** What the worker reports per task; a stub in tests, Powertools Metrics (EMF) when deployed. */
export interface ExportMetrics {
  record(outcome: ExportOutcome): void;
  /** One finished task's notifications: NotificationsSent / NotificationsFailed. */
  notified(report: NotifyReport): void;
  /** Writes the stored metrics as EMF log lines; once per invocation. */
  flush(): void;
}

/**
 * Exports succeeded / failed / retried, rows, bytes, duration and pickup latency in CloudWatch's
 * embedded metric format: one JSON log line per invocation, no API calls, no extra permissions.
 */
export function createExportMetrics(serviceName: string, metrics?: Metrics): ExportMetrics {
  const m = metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  return {
    record(o) {
      switch (o.kind) {
        case "exported":
          m.addMetric("ExportsSucceeded", MetricUnit.Count, 1);
          m.addMetric("RowsExported", MetricUnit.Count, o.rows);
          m.addMetric("BytesExported", MetricUnit.Bytes, o.bytes);
          m.addMetric("ExportDuration", MetricUnit.Seconds, o.seconds);
          if (o.waitedSeconds !== null)
            m.addMetric("PickupLatency", MetricUnit.Seconds, o.waitedSeconds);
          return;
        case "failed":
          m.addMetric("ExportsFailed", MetricUnit.Count, 1);
          return;
        case "retrying":
          m.addMetric("ExportsRetried", MetricUnit.Count, 1);
          return;
        default:
          return;
      }
    },
    notified(r) {
      if (r.sent > 0) m.addMetric("NotificationsSent", MetricUnit.Count, r.sent);
      if (r.failed > 0) m.addMetric("NotificationsFailed", MetricUnit.Count, r.failed);
    },
    flush() {
      m.publishStoredMetrics();
    },
  };
}
