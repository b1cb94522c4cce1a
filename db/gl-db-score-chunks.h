/* gl-db-score-chunks.h — a model version's pool scoring split into chunks
 * that any number of processes take through leases (issue 18: `gleaner-cli
 * score-worker`, and the team's trainer itself).
 *
 * A chunk is a range of image ids of one version (model_id, first_id ..
 * last_id) with a state: to do, taken (by a holder, until an expiry), done.
 * gl_db_score_chunk_take gives the first chunk to do, or one taken whose
 * lease ran out (its worker died), to one taker: on PostgreSQL with
 * SELECT … FOR UPDATE SKIP LOCKED, so that concurrent takers get different
 * chunks without waiting for each other; on SQLite the single writer
 * orders them. A worker writes the chunk's predictions into the version's
 * listing slot (not current: db/gl-db-predictions.c) and marks the chunk
 * done; a chunk retaken after an expiry is scored again and its
 * predictions replace the first ones (one row per image and version). The
 * trainer makes the version current once no chunk is left.
 *
 * The table (team_score_chunks) is made by gl_db_score_chunks_prepare
 * (CREATE TABLE IF NOT EXISTS, either backend) and with a new project's
 * schema on PostgreSQL (gl-db-schema-pg.c). Threads: a GlDb's thread. */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

#define GL_DB_SCORE_CHUNKS_TABLE                                                                                      \
  "CREATE TABLE IF NOT EXISTS team_score_chunks (model_id BIGINT NOT NULL, first_id BIGINT NOT NULL,"               \
  " last_id BIGINT NOT NULL, n_images BIGINT NOT NULL, state BIGINT NOT NULL, holder TEXT NOT NULL,"                \
  " expires_us BIGINT NOT NULL, PRIMARY KEY (model_id, first_id));"

typedef enum
{
  GL_DB_CHUNK_TODO = 0,
  GL_DB_CHUNK_TAKEN = 1,
  GL_DB_CHUNK_DONE = 2,
} GlDbChunkState;

/* One chunk; plain values. */
typedef struct
{
  gint64 model_id;
  gint64 first_id, last_id; /* image ids, inclusive */
  gint64 n_images;          /* pool images in the range when it was made */
} GlDbScoreChunk;

gboolean gl_db_score_chunks_prepare (GlDb *db, GError **error);

/* Makes the chunks of @model_id over @ids (@n pool image ids, ascending),
 * @per_chunk images each, in one transaction; chunks made before for the
 * version are kept as they are. */
gboolean gl_db_score_chunks_split (GlDb *db, gint64 model_id, const gint64 *ids, gsize n, guint per_chunk,
                                   GError **error);

/* Takes a chunk for @holder for @ttl_s seconds: the first to do, or taken
 * with its lease run out, of any version. *@got FALSE when none is free. */
gboolean gl_db_score_chunk_take (GlDb *db, const char *holder, guint ttl_s, GlDbScoreChunk *out, gboolean *got,
                                 GError **error);

/* Marks @chunk done. *@mine (may be NULL): FALSE when @holder's lease had
 * run out and another took the chunk (it is then done by that one). */
gboolean gl_db_score_chunk_finish (GlDb *db, const GlDbScoreChunk *chunk, const char *holder, gboolean *mine,
                                   GError **error);

/* Chunks of @model_id not done yet (*@total: all its chunks, may be NULL). -1 with @error. */
gint64 gl_db_score_chunks_left (GlDb *db, gint64 model_id, gint64 *total, GError **error);

G_END_DECLS
