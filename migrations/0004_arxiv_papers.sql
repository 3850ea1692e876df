CREATE TABLE `arxiv_papers` (
	`project_id` text NOT NULL,
	`paper_id` text NOT NULL,
	`version` integer NOT NULL,
	`metadata_hash` text NOT NULL,
	`title` text NOT NULL,
	`authors` text NOT NULL,
	`categories` text NOT NULL,
	`published` text NOT NULL,
	`updated` text NOT NULL,
	`doi` text,
	`document_id` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `paper_id`)
);
