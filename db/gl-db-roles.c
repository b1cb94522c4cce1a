/* gl-db-roles.c — see gl-db-roles.h. */
#include "db/gl-db-roles.h"

#include <string.h>

static gboolean
valid_name (const char *name)
{
  gsize n = name ? strlen (name) : 0;
  if (n == 0 || n > 63 || g_ascii_isdigit (name[0]) || g_str_has_prefix (name, "pg_"))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_islower (name[i]) || g_ascii_isdigit (name[i]) || name[i] == '_'))
      return FALSE;
  return TRUE;
}

gboolean
gl_db_role_kind_parse (const char *text, GlDbRoleKind *kind)
{
  if (g_strcmp0 (text, "annotator") == 0)
    *kind = GL_DB_ROLE_ANNOTATOR;
  else if (g_strcmp0 (text, "trainer") == 0)
    *kind = GL_DB_ROLE_TRAINER;
  else
    return FALSE;
  return TRUE;
}

char *
gl_db_role_sql (GlDbRoleKind kind, const char *name, GError **error)
{
  if (!valid_name (name))
    {
      g_autofree char *shown = name ? g_strescape (name, NULL) : g_strdup ("(none)");
      g_set_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID,
                   "role name “%s”: use 1 to 63 characters of a-z, 0-9 and _, not starting with a digit or pg_",
                   shown);
      return NULL;
    }
  gboolean trainer = kind == GL_DB_ROLE_TRAINER;
  GString *sql = g_string_new (NULL);
  g_string_append_printf (
      sql,
      "-- Gleaner team project: the %s role \"%s\" (gleaner-cli team PROJECT role-sql).\n"
      "-- Run it as the project's owner, in the project's database, e.g. psql -d DATABASE -f FILE;\n"
      "-- then give the role a password with psql's \\password %s (never written in this file).\n"
      "-- Run it again after an update of Gleaner adds tables.\n"
      "BEGIN;\n"
      "DO $gleaner$\n"
      "BEGIN\n"
      "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN\n"
      "    CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;\n"
      "  END IF;\n"
      "  EXECUTE format ('GRANT CONNECT ON DATABASE %%I TO %s', current_database ());\n"
      "  EXECUTE format ('REVOKE CREATE ON SCHEMA %%I FROM PUBLIC, %s', current_schema ());\n"
      "  EXECUTE format ('GRANT USAGE ON SCHEMA %%I TO %s', current_schema ());\n"
      "  -- Every table is read (the gallery, the queue, the model's scores, agreement).\n"
      "  EXECUTE format ('GRANT SELECT ON ALL TABLES IN SCHEMA %%I TO %s', current_schema ());\n"
      "  -- New rows take ids from the tables' identity sequences.\n"
      "  EXECUTE format ('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %%I TO %s', current_schema ());\n",
      trainer ? "trainer" : "annotator", name, name, name, name, name, name, name, name, name);
  if (trainer)
    g_string_append_printf (sql,
                            "  -- The trainer writes models, predictions, the ranking, metrics and drift: every"
                            " table's rows, no DDL.\n"
                            "  EXECUTE format ('GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %%I TO %s',"
                            " current_schema ());\n",
                            name);
  else
    g_string_append_printf (sql,
                            "  -- A desktop labeling writes these: labels and their history, each image's label"
                            " columns,\n"
                            "  -- the label counter, skips, audit answers and queue leases.\n"
                            "  GRANT INSERT, UPDATE, DELETE ON " GL_DB_ANNOTATOR_TABLES " TO %s;\n",
                            name);
  g_string_append (sql, "END\n$gleaner$;\nCOMMIT;\n");
  return g_string_free (sql, FALSE);
}
