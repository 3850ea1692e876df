/** Webhook subscriptions and their deliveries (DESIGN §9): what the webhook routes take and return. */
import { z } from "@hono/zod-openapi";
import { countedPage } from "./page";
import { BATCH_EVENT_TYPES } from "../batches/lifecycle";
import { JOB_EVENT_TYPES } from "./status";

const EVENT_TYPES = [...JOB_EVENT_TYPES, ...BATCH_EVENT_TYPES] as const;
const EVENT_CHOICES = ["*", ...EVENT_TYPES] as const;
const eventsError = { error: `events must be a non-empty list of ${EVENT_TYPES.join(", ")}, or ["*"]` };

const Events = z
  .array(z.enum(EVENT_CHOICES, eventsError), eventsError)
  .min(1, eventsError)
  .max(EVENT_CHOICES.length, eventsError)
  .refine((e) => new Set(e).size === e.length, { error: "events must not repeat a type" })
  .refine((e) => !e.includes("*") || e.length === 1, { error: 'events: "*" stands alone' })
  .openapi({ example: ["job.completed", "job.failed"], description: 'Section 5 event types, or `["*"]` for all.' });

const Url = z.string({ error: "url is required" }).max(2048, { error: "url must be at most 2048 characters" });
const Description = z.string().max(500, { error: "description must be at most 500 characters" }).nullable();

export const CreateWebhookBody = z.object({ url: Url, events: Events, description: Description.optional() }).strict().openapi("CreateWebhook");

export const UpdateWebhookBody = z
  .object({
    url: Url.optional(),
    events: Events.optional(),
    enabled: z.boolean({ error: "enabled must be true or false" }).optional(),
    description: Description.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { error: "Nothing to change: send url, events, enabled or description" })
  .openapi("UpdateWebhook");

export const Webhook = z
  .object({
    id: z.string(),
    projectId: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Webhook", { description: "A subscription. Its secret is never shown again after creation or rotation." });
export type Webhook = z.infer<typeof Webhook>;

export const WebhookWithSecret = Webhook.extend({
  secret: z.string().openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", description: "Standard Webhooks signing secret; shown only here." }),
}).openapi("WebhookWithSecret");

export const WebhookList = countedPage(Webhook, "WebhookList");

export const DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const Delivery = z
  .object({
    id: z.string().openapi({ description: "Also the `webhook-id` header, the same on every attempt." }),
    eventType: z.string(),
    jobId: z.string().nullable(),
    seq: z.number().int().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("WebhookDelivery");

export type Delivery = z.infer<typeof Delivery>;

export const DeliveryList = countedPage(Delivery, "WebhookDeliveryList");
