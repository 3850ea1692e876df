CREATE TABLE `chunks` (
	`document_id` text NOT NULL,
	`ordinal` integer NOT NULL,
	`text` text NOT NULL,
	`char_start` integer NOT NULL,
	`char_end` integer NOT NULL,
	`page` integer,
	`content_hash` text NOT NULL,
	PRIMARY KEY(`document_id`, `ordinal`)
);
--> statement-breakpoint
CREATE TABLE `documents` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`job_id` text NOT NULL,
	`title` text NOT NULL,
	`mime_type` text NOT NULL,
	`page_count` integer,
	`character_count` integer NOT NULL,
	`chunk_count` integer NOT NULL,
	`content_hash` text NOT NULL,
	`simhash` text,
	`band0` text,
	`band1` text,
	`band2` text,
	`band3` text,
	`language` text,
	`duplicate_of` text,
	`text_key` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `documents_project_hash` ON `documents` (`project_id`,`content_hash`);--> statement-breakpoint
CREATE INDEX `documents_project_band0` ON `documents` (`project_id`,`band0`);--> statement-breakpoint
CREATE INDEX `documents_project_band1` ON `documents` (`project_id`,`band1`);--> statement-breakpoint
CREATE INDEX `documents_project_band2` ON `documents` (`project_id`,`band2`);--> statement-breakpoint
CREATE INDEX `documents_project_band3` ON `documents` (`project_id`,`band3`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`project_id` text NOT NULL,
	`key` text NOT NULL,
	`job_id` text NOT NULL,
	`request_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`source_id` text,
	`source_path` text NOT NULL,
	`original_filename` text NOT NULL,
	`mime_type` text NOT NULL,
	`byte_size` integer NOT NULL,
	`status` text NOT NULL,
	`stage` text NOT NULL,
	`progress` real NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	`version` integer NOT NULL,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobs_project_created` ON `jobs` (`project_id`,`created_at`,`id`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `jobs_project_status_created` ON `jobs` (`project_id`,`status`,`created_at`,`id`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `jobs_project_stage_created` ON `jobs` (`project_id`,`stage`,`created_at`,`id`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `jobs_project_source_created` ON `jobs` (`project_id`,`source_id`,`created_at`,`id`) WHERE deleted_at IS NULL;