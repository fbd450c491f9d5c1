-- Wharf metadata, version 8: the identity of a database, for the search index.
--
-- A process keeps one search index per database file, known by its device
-- and inode, and catches up through search_changes (006).  A file restored
-- in place (SQLite's backup API, `.restore`) keeps its inode but holds
-- another history, possibly with the same last change number: the index
-- would go on serving the old content.  This random token is copied with a
-- backup, so a restore changes it, and the index rebuilds when it does.
CREATE TABLE search_epoch (token BLOB NOT NULL);
INSERT INTO search_epoch (token) VALUES (randomblob(16));
