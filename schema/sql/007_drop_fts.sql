-- Wharf metadata, version 7: the FTS5 table of version 1 goes.
--
-- Search is answered from the in-memory index of storage/search_index.c
-- since version 6, which reads the invoices table and the search_changes
-- log; invoice_fts was still written on every publish and read by nothing
-- (about a fifth of the database at 100k invoices).
DROP TABLE invoice_fts;
