/* gl-db-rescore.h — the state of a model version's rescoring of the pool
 * (app/gl-rescore.c), kept in the counters table so that a cancelled or
 * killed rescore resumes where it stopped.
 *
 * A version is rescored after it is saved: its predictions go to the
 * listing slot that is not current (gl_db_prepare_listing), then it is
 * made current (gl_db_set_current_model). Until then the previous version
 * stays current, whole. The progress written here is informational (for the
 * report and the window's status); what is done is the version's rows in
 * the predictions table, which the resume reads back. */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

/* Seconds of pool scoring a round may spend (app/gl-rescore.h), absent or
 * 0: no budget. */
#define GL_DB_SETTING_RESCORE_BUDGET "rescore_budget"

typedef struct
{
  gint64 model_id;   /* the version being rescored, -1 none */
  guint64 n_done;    /* images its predictions were written for */
  guint64 n_total;   /* images it scores in all (pool and held-out test images) */
  guint64 n_skipped; /* pool images a budgeted rescore left unscored (0: none) */
} GlDbRescore;

/* The rescore under way: the version recorded by gl_db_set_rescore, when it
 * is the newest version, newer than the current one and not current. FALSE
 * (and @out->model_id -1) when there is none. */
gboolean gl_db_get_rescore (GlDb *db, GlDbRescore *out);

/* Records @rescore in one transaction (@rescore->model_id -1: none). */
gboolean gl_db_set_rescore (GlDb *db, const GlDbRescore *rescore, GError **error);

G_END_DECLS
