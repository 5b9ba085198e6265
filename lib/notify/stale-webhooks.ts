import { prisma } from "@/lib/db";
import { appUrl } from "@/lib/config";
import { backupHealth } from "@/lib/backup/jobs/health";
import type { DeliveryOptions } from "@/lib/notify/deliver";
import { describeOutcomes, sendToWebhooks } from "@/lib/notify/send-webhooks";
import { staleMessage } from "@/lib/notify/webhook-messages";
import { webhooksFor } from "@/lib/notify/webhooks";
import type { Settings } from "@/lib/settings";

/** Remembers the stale period last told (`{ period, sentAt, outcome }`), so each is told once. */
export const STALE_SENT_KEY = "notify.staleSent";

interface StaleRecord {
  period: string;
  sentAt: string;
  outcome: string;
}

export async function lastStaleNotice(): Promise<StaleRecord | null> {
  const row = await prisma.setting.findUnique({ where: { key: STALE_SENT_KEY } });
  try {
    return row ? (JSON.parse(row.value) as StaleRecord) : null;
  } catch {
    return null;
  }
}

/**
 * Claims a stale period for this process: the portal's tick, the scheduler and the workers all run
 * maintenance, and only one of them may send. A compare-and-set on one row decides.
 */
async function claim(period: string): Promise<boolean> {
  const row = await prisma.setting.findUnique({ where: { key: STALE_SENT_KEY } });
  const record: StaleRecord = { period, sentAt: new Date().toISOString(), outcome: "sending" };
  if (!row) {
    try {
      await prisma.setting.create({ data: { key: STALE_SENT_KEY, value: JSON.stringify(record) } });
      return true;
    } catch {
      return false;
    }
  }
  if ((JSON.parse(row.value) as StaleRecord).period === period) return false;
  const { count } = await prisma.setting.updateMany({ where: { key: STALE_SENT_KEY, value: row.value }, data: { value: JSON.stringify(record) } });
  return count === 1;
}

/**
 * The maintenance tick's part: when the last backup is stale (older than the schedule allows), the webhooks
 * that want "stale" hear it once for that period. A period is named by the last successful backup: a new
 * backup ends it, and if that one too grows old, that is a new period. Returns what was told, or null.
 */
export async function notifyStaleBackup(settings: Settings, options?: DeliveryOptions): Promise<string | null> {
  if (!settings.enableBackupModule) return null;
  const hooks = await webhooksFor("stale");
  if (hooks.length === 0) return null;
  const health = await backupHealth(settings);
  if (!health.stale) return null;
  const period = health.lastSuccessAt ?? "never";
  if ((await lastStaleNotice())?.period === period) return null;
  if (!(await claim(period))) return null;
  const message = staleMessage(health.lastSuccessAt, appUrl());
  const { sentence } = describeOutcomes(
    await sendToWebhooks(
      hooks.map((hook) => ({ hook, message })),
      options,
    ),
  );
  const record: StaleRecord = { period, sentAt: new Date().toISOString(), outcome: sentence };
  await prisma.setting.update({ where: { key: STALE_SENT_KEY }, data: { value: JSON.stringify(record) } }).catch(() => {});
  return sentence;
}
