CREATE INDEX `jobs_project_source_path` ON `jobs` (`project_id`,`source_path`);--> statement-breakpoint
CREATE INDEX `jobs_project_filename` ON `jobs` (`project_id`,`original_filename`);