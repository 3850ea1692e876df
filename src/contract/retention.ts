/** A project's retention (docs/retention.md): how long its finished jobs and batches are kept. */
import { z } from "@hono/zod-openapi";
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from "../retention/policy";

export const Retention = z
  .object({
    projectId: z.string(),
    days: z.number().openapi({ description: "Days a finished job or batch is kept after it finished: the project's override, else the service's default." }),
    overridden: z.boolean().openapi({ description: "Whether `days` is this project's own setting (false: the service's `RETENTION_DAYS`)." }),
    defaultDays: z.number().openapi({ description: "The service's `RETENTION_DAYS`." }),
    deletedGraceDays: z.number().openapi({ description: "Days a deleted job or batch is kept after its delete (`DELETED_GRACE_DAYS`)." }),
    updatedAt: z.string().nullable().openapi({ description: "When the override was set; null without one." }),
    updatedBy: z.string().nullable(),
  })
  .openapi("Retention");
export type Retention = z.infer<typeof Retention>;

const DAYS_RULE = `Invalid days. Must be a whole number of days between ${MIN_RETENTION_DAYS} and ${MAX_RETENTION_DAYS}.`;

export const RetentionBody = z
  .strictObject({
    days: z
      .number({ error: DAYS_RULE })
      .int({ error: DAYS_RULE })
      .min(MIN_RETENTION_DAYS, { error: DAYS_RULE })
      .max(MAX_RETENTION_DAYS, { error: DAYS_RULE })
      .openapi({ example: 90 }),
  })
  .openapi("RetentionBody");
