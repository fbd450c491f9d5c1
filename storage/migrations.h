/*
 * migrations.h - the metadata schema's versions, compiled into the binary.
 *
 * Each file schema/sql/NNN_name.sql is one migration; the build embeds them
 * (scripts/embed-sql.sh) into wh_migrations[], ordered by NNN.  A database
 * records the highest version applied in its `schema_version` table;
 * opening it applies the missing ones in order, each in its own transaction,
 * and refuses a database written by a newer wharfd.  Migrations are append-
 * only: a released NNN file is never edited, a change is a new file.
 */
#ifndef WH_MIGRATIONS_H
#define WH_MIGRATIONS_H

typedef struct wh_migration {
    int version;       /* NNN */
    const char *name;  /* "NNN_name" */
    const char *sql;   /* one or more statements */
} wh_migration;

extern const wh_migration wh_migrations[];
extern const int wh_migrations_count;

#endif
