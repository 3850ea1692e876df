CREATE TABLE `batches` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	`version` integer NOT NULL,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `batches_project_created` ON `batches` (`project_id`,`created_at`,`id`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `batches_project_status_created` ON `batches` (`project_id`,`status`,`created_at`,`id`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `batches_project_kind_created` ON `batches` (`project_id`,`kind`,`created_at`,`id`) WHERE deleted_at IS NULL;--> statement-breakpoint
ALTER TABLE `documents` ADD `source_url` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `batch_id` text;--> statement-breakpoint
CREATE INDEX `jobs_project_batch_created` ON `jobs` (`project_id`,`batch_id`,`created_at`,`id`) WHERE deleted_at IS NULL;