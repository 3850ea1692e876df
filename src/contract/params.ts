/** Path parameters, one schema per kind of resource addressed. */
import { z } from "@hono/zod-openapi";
import { PROJECT_ID_PATTERN, PROJECT_ID_RULE } from "../http/project-id";

export const ProjectParams = z.object({
  projectId: z
    .string()
    .regex(PROJECT_ID_PATTERN, { error: PROJECT_ID_RULE })
    .openapi({ param: { name: "projectId", in: "path" }, example: "proj_123" }),
});
export const JobParams = ProjectParams.extend({
  jobId: z.string().openapi({ param: { name: "jobId", in: "path" }, example: "0190c6e2-7a4c-7b21-9d43-5d0f3f0a8c11" }),
});
export const JobIdParams = z.object({
  jobId: z.string().openapi({ param: { name: "jobId", in: "path" } }),
});
export const CompatJobParams = z.object({
  job_id: z.string().openapi({ param: { name: "job_id", in: "path" } }),
});
export const DocumentParams = ProjectParams.extend({
  documentId: z.string().openapi({ param: { name: "documentId", in: "path" } }),
});
export const WebhookParams = ProjectParams.extend({
  webhookId: z.string().openapi({ param: { name: "webhookId", in: "path" }, example: "wh_0190c6e27a4c7b219d435d0f3f0a8c11" }),
});
export const DeliveryParams = WebhookParams.extend({
  deliveryId: z.string().openapi({ param: { name: "deliveryId", in: "path" }, example: "msg_0190c6e27a4c7b219d435d0f3f0a8c11" }),
});
