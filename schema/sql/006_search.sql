-- Wharf metadata, version 6: the change log behind the search index.
--
-- /v1/_q is answered from an index that each wharfd process keeps in memory
-- (storage/search_index.c).  A process catches up with what any writer did
-- (this process, another replica, an admin command) by reading the changes
-- after the last one it applied, instead of reloading every invoice.  The
-- triggers fill the log, so no writer has to remember to.

CREATE TABLE search_changes (
    -- AUTOINCREMENT: a sequence number is never reused, even if old rows are
    -- pruned one day, so "after the last one applied" stays exact.
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id  INTEGER NOT NULL,
    -- 1 when the searchable text changed or the row went away: indexes then
    -- rebuild; 0 for a new invoice or a yank, which they apply in place.
    rebuild     INTEGER NOT NULL
);

CREATE TRIGGER search_changes_insert AFTER INSERT ON invoices
BEGIN
    INSERT INTO search_changes (invoice_id, rebuild) VALUES (new.id, 0);
END;

CREATE TRIGGER search_changes_yank AFTER UPDATE OF yanked ON invoices
BEGIN
    INSERT INTO search_changes (invoice_id, rebuild) VALUES (new.id, 0);
END;

CREATE TRIGGER search_changes_text
AFTER UPDATE OF id, name, version, sort_key, authors, description ON invoices
BEGIN
    INSERT INTO search_changes (invoice_id, rebuild) VALUES (new.id, 1);
END;

CREATE TRIGGER search_changes_delete AFTER DELETE ON invoices
BEGIN
    INSERT INTO search_changes (invoice_id, rebuild) VALUES (old.id, 1);
END;
