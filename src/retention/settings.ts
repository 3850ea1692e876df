/**
 * Project overrides of the retention, one row per project in its D1 shard
 * (`project_settings`), through `projectDb`. The purger reads them from the shard side
 * (src/retention/shard-scan.ts).
 */
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { RetentionConfig } from "../config";
import type { Retention } from "../contract/retention";
import { projectSettings, type ProjectSettingsRow } from "../db/schema";

export async function findProjectSettings(d1: D1Database, projectId: string): Promise<ProjectSettingsRow | null> {
  const rows = await drizzle(d1).select().from(projectSettings).where(eq(projectSettings.projectId, projectId)).limit(1);
  return rows[0] ?? null;
}

/** Sets the project's retention to `days`. */
export async function setRetentionDays(d1: D1Database, projectId: string, days: number, by: string, now: number): Promise<ProjectSettingsRow> {
  const row: ProjectSettingsRow = { projectId, retentionDays: days, updatedBy: by, updatedAt: now };
  await drizzle(d1)
    .insert(projectSettings)
    .values(row)
    .onConflictDoUpdate({ target: projectSettings.projectId, set: { retentionDays: days, updatedBy: by, updatedAt: now } });
  return row;
}

/** Back to the default: the row goes. True when there was one. */
export async function clearRetentionDays(d1: D1Database, projectId: string): Promise<boolean> {
  const result = await d1.prepare("DELETE FROM project_settings WHERE project_id = ?").bind(projectId).run();
  return result.meta.changes > 0;
}

/** The project's retention as the API shows it. */
export function retentionView(projectId: string, row: ProjectSettingsRow | null, config: RetentionConfig): Retention {
  const days = row?.retentionDays ?? null;
  return {
    projectId,
    days: days ?? config.days,
    overridden: days !== null,
    defaultDays: config.days,
    deletedGraceDays: config.deletedGraceDays,
    updatedAt: days !== null && row ? new Date(row.updatedAt).toISOString() : null,
    updatedBy: days !== null && row ? row.updatedBy : null,
  };
}
