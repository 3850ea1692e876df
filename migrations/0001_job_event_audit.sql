CREATE TABLE `job_event_audit` (
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`project_id` text NOT NULL,
	`type` text NOT NULL,
	`at` text NOT NULL,
	`frame` text NOT NULL,
	PRIMARY KEY(`job_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `job_event_audit_project_at` ON `job_event_audit` (`project_id`,`at`);