CREATE TABLE `project_settings` (
	`project_id` text PRIMARY KEY NOT NULL,
	`retention_days` integer,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `documents` ADD `source_path` text;--> statement-breakpoint
ALTER TABLE `documents` ADD `original_filename` text;--> statement-breakpoint
CREATE INDEX `batches_finished_updated` ON `batches` (`updated_at`,`id`) WHERE deleted_at IS NULL AND status IN ('COMPLETED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE INDEX `batches_project_finished_updated` ON `batches` (`project_id`,`updated_at`) WHERE deleted_at IS NULL AND status IN ('COMPLETED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE INDEX `batches_deleted` ON `batches` (`deleted_at`) WHERE deleted_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE INDEX `jobs_finished_updated` ON `jobs` (`updated_at`,`id`) WHERE deleted_at IS NULL AND status IN ('COMPLETED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE INDEX `jobs_project_finished_updated` ON `jobs` (`project_id`,`updated_at`) WHERE deleted_at IS NULL AND status IN ('COMPLETED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE INDEX `jobs_deleted` ON `jobs` (`deleted_at`) WHERE deleted_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_active_updated` ON `jobs` (`updated_at`,`id`) WHERE deleted_at IS NULL AND (status = 'RUNNING' OR (status = 'QUEUED' AND batch_id IS NULL));