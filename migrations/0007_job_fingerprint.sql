ALTER TABLE `jobs` ADD `fingerprint` text;
--> statement-breakpoint
CREATE INDEX `jobs_project_fingerprint` ON `jobs` (`project_id`,`fingerprint`) WHERE deleted_at IS NULL;
