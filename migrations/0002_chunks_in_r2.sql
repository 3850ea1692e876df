DROP TABLE `chunks`;--> statement-breakpoint
DROP TABLE `job_event_audit`;--> statement-breakpoint
DROP INDEX `documents_project_hash`;--> statement-breakpoint
CREATE INDEX `documents_project_created` ON `documents` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `documents_project_language` ON `documents` (`project_id`,`language`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `documents_project_duplicate` ON `documents` (`project_id`,`duplicate_of`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `documents_project_hash` ON `documents` (`project_id`,`content_hash`,`created_at`,`id`);