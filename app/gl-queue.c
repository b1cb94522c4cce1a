/* gl-queue.c — see gl-queue.h.
 *
 * Sources of the next item, in order: a skipped image whose turn to return
 * has come; the images a bootstrap rule suggests a class for; the stored
 * ranking, read a page at a time; then, topped up as it runs low, the
 * current model's most uncertain unlabeled images (the previous ranking's
 * order, as long as the store has no new one), and last the unlabeled images
 * in import order (no model scored them). So the queue never runs dry while
 * an unlabeled image is left: a round that takes minutes is waited for by
 * nobody. Items are materialized (path, prediction, suggestion) lazily into
 * `upcoming`, which gl_queue_peek fills and the next advance pops. A new
 * ranking only clears `upcoming` and the sources at an item boundary.
 */
#include "app/gl-queue.h"

#include <math.h>
#include <string.h>

#include "app/gl-writer.h"
#include "db/gl-db.h"
#include "db/gl-db-lease.h"
#include "engine/gl-acquire.h"

G_DEFINE_QUARK (gl-queue-error-quark, gl_queue_error)

#define RANKING_READ 500
#define FALLBACK_READ 200
#define UNRANKED_REASON "import order"

static const char *const origin_names[] = { "human", "prediction", "rule" };

const char *
gl_label_origin_to_string (GlLabelOrigin origin)
{
  return origin <= GL_LABEL_ORIGIN_ACCEPTED_SUGGESTION ? origin_names[origin] : "human";
}

gboolean
gl_label_origin_from_string (const char *text, GlLabelOrigin *origin)
{
  for (guint i = 0; i < G_N_ELEMENTS (origin_names); i++)
    if (g_strcmp0 (text, origin_names[i]) == 0)
      {
        *origin = (GlLabelOrigin) i;
        return TRUE;
      }
  return FALSE;
}

static GlDbOrigin
db_origin (GlLabelOrigin origin)
{
  switch (origin)
    {
    case GL_LABEL_ORIGIN_ACCEPTED_PREDICTION: return GL_DB_ORIGIN_PREDICTION;
    case GL_LABEL_ORIGIN_ACCEPTED_SUGGESTION: return GL_DB_ORIGIN_RULE;
    case GL_LABEL_ORIGIN_HUMAN:
    default: return GL_DB_ORIGIN_HUMAN;
    }
}

GlQueueItem *
gl_queue_item_copy (const GlQueueItem *item)
{
  GlQueueItem *copy = g_memdup2 (item, sizeof *item);
  copy->path = g_strdup (item->path);
  copy->reason_text = g_strdup (item->reason_text);
  return copy;
}

void
gl_queue_item_free (GlQueueItem *item)
{
  if (item == NULL)
    return;
  g_free (item->path);
  g_free (item->reason_text);
  g_free (item);
}

G_DEFINE_BOXED_TYPE (GlQueueItem, gl_queue_item, gl_queue_item_copy, gl_queue_item_free)

typedef struct
{
  gint64 image_id;
  guint64 due; /* labels made in this queue when it returns */
} Returning;

/* Where the ranking is topped up from when its page is walked, in order. */
typedef enum
{
  TOP_UP_STORED, /* the next page of the stored ranking */
  TOP_UP_MODEL,  /* the current model's most uncertain unlabeled images */
  TOP_UP_IMPORT, /* unlabeled images in import order */
  TOP_UP_NONE,   /* every unlabeled image was offered */
} TopUp;

struct _GlQueue
{
  GObject parent_instance;

  /* borrowed */
  GlProject *project;

  /* owned */
  GlDb *db;             /* this queue's connection (main thread) */
  char *lease_as;       /* a team project: the annotator its images are leased to (gl-db-lease.h); NULL otherwise.
                           Main thread. */
  GlTrainer *trainer;
  gulong ranking_handler;
  guint n_classes;
  gint64 *class_ids;    /* (n_classes) */
  char **class_names;   /* (n_classes + 1) */
  GHashTable *index_of_class; /* store id → index + 1 */

  GArray *ranking;      /* GlDbQueueItem: the page of the ranking being walked (see top_up) */
  guint rpos;
  GArray *suggested;    /* GlDbSuggestion of unlabeled images */
  guint spos;
  TopUp topup;          /* the source that fills `ranking` when it is walked */
  gint64 stored_after;  /* the stored ranking's position read last (-1: none) */
  gint64 import_after;  /* the image id read last in import order (-1: none) */
  GHashTable *offered;  /* image ids (gint64 *) the model's top-up gave since the ranking was taken */
  gboolean unranked;    /* walking the import order: nothing ranks the images left */
  GArray *returning;    /* Returning, in skip order */
  GPtrArray *upcoming;  /* GlQueueItem: materialized, next first */
  GlQueueItem *current; /* the live item; NULL when nothing is left */
  GPtrArray *history;   /* GlQueueItem: items done here, oldest first */
  gint hist_pos;        /* -1 at the live item, else the history item shown */
  GHashTable *done;     /* image ids labeled or skipped through this queue (gint64 *) */
  gboolean reload_pending;
  /* A ranking read on a worker thread after "ranking-ready" (RankingRead),
   * swapped in at the next item boundary; reads of older rankings are dropped. */
  gpointer read_ranking;
  guint read_serial;
  GCancellable *reading;

  /* Asynchronous commands (GTask, data Op) waiting for their turn; the one
   * whose write is under way on the writer's thread. */
  GQueue commands;
  GTask *running;
  GlWriter *writer;     /* made at the first asynchronous write */
  GError *item_error;   /* the first store error met while building items or forgetting a skip since the last
                           gl_queue_take_error (an image left out, a label or suggestion unknown); main thread */

  guint64 labels_made;
  guint64 n_labeled, n_total;
  guint64 *per_class;   /* (n_classes) */
  gboolean needs_ranking;
};

G_DEFINE_FINAL_TYPE (GlQueue, gl_queue, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  SIGNAL_LABEL_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
store_error (GError **error, GError *local, const char *what)
{
  g_set_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_STORE, "%s: %s", what, local->message);
  g_error_free (local);
  return FALSE;
}

static gint
class_index (GlQueue *self, gint64 class_id)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (self->index_of_class, &class_id)) - 1;
}

static void
clear_ranking (GlQueue *self)
{
  if (self->ranking)
    for (guint i = 0; i < self->ranking->len; i++)
      g_free (g_array_index (self->ranking, GlDbQueueItem, i).reason);
  g_clear_pointer (&self->ranking, g_array_unref);
  g_clear_pointer (&self->suggested, g_array_unref);
  self->rpos = self->spos = 0;
  self->topup = TOP_UP_STORED;
  self->stored_after = self->import_after = -1;
  g_hash_table_remove_all (self->offered);
  self->unranked = FALSE;
  g_ptr_array_set_size (self->upcoming, 0);
}

/* The stored ranking's page @page (reasons owned) becomes the one walked. */
static void
set_ranking_page (GlQueue *self, GArray *page)
{
  self->ranking = page;
  if (page->len > 0)
    self->stored_after = g_array_index (page, GlDbQueueItem, page->len - 1).position;
}

/* ---- the ranking read off the main thread ---- */

typedef struct
{
  GArray *ranking;   /* GlDbQueueItem, reasons owned */
  GArray *suggested; /* GlDbSuggestion */
} RankingRead;

static void
ranking_read_free (RankingRead *r)
{
  if (r->ranking)
    for (guint i = 0; i < r->ranking->len; i++)
      g_free (g_array_index (r->ranking, GlDbQueueItem, i).reason);
  g_clear_pointer (&r->ranking, g_array_unref);
  g_clear_pointer (&r->suggested, g_array_unref);
  g_free (r);
}

typedef struct
{
  char *db_path;
  guint serial;
} ReadJob;

static void
read_job_free (ReadJob *job)
{
  g_free (job->db_path);
  g_free (job);
}

/* The same reads as load_ranking, on a connection of the worker's own. */
static void
read_ranking_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ReadJob *job = task_data;
  GError *local = NULL;
  GlDb *db = gl_db_open (job->db_path, &local);
  RankingRead *r;

  if (db == NULL)
    {
      g_task_return_error (task, local);
      return;
    }
  r = g_new0 (RankingRead, 1);
  r->ranking = gl_db_read_queue (db, RANKING_READ, &local);
  if (r->ranking != NULL)
    {
      g_array_set_clear_func (r->ranking, NULL);
      r->suggested = gl_db_list_suggestions (db, &local);
    }
  gl_db_close (db);
  if (local != NULL)
    {
      ranking_read_free (r);
      g_task_return_error (task, local);
      return;
    }
  g_task_return_pointer (task, r, (GDestroyNotify) ranking_read_free);
}

static void advance (GlQueue *self);
static void emit_changed (GlQueue *self);

static void
read_ranking_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ReadJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  /* Cancelled when the queue was disposed: @user_data is not touched then. */
  RankingRead *r = g_task_propagate_pointer (G_TASK (result), &error);
  GlQueue *self;

  if (r == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GL_QUEUE (user_data);
  if (r == NULL)
    {
      /* Read it on the main thread at the next item instead. */
      g_debug ("the new ranking: %s", error->message);
    }
  if (job->serial != self->read_serial)
    {
      g_clear_pointer (&r, ranking_read_free);
      return;
    }
  g_clear_pointer ((RankingRead **) &self->read_ranking, ranking_read_free);
  self->read_ranking = r;
  self->reload_pending = TRUE;
  if (self->current == NULL)
    {
      advance (self);
      emit_changed (self);
    }
}

/* Swaps in the ranking read ahead, or reads it now. */
static gboolean
load_ranking (GlQueue *self, GError **error);

static void
take_ranking (GlQueue *self)
{
  RankingRead *r = g_steal_pointer ((RankingRead **) &self->read_ranking);

  if (r == NULL)
    {
      load_ranking (self, NULL);
      return;
    }
  clear_ranking (self);
  set_ranking_page (self, g_steal_pointer (&r->ranking));
  self->suggested = g_steal_pointer (&r->suggested);
  g_free (r);
  self->reload_pending = FALSE;
}

static gboolean
load_classes (GlQueue *self, GError **error)
{
  GError *local = NULL;
  g_autoptr (GArray) classes = gl_db_list_classes (self->db, TRUE, &local);
  if (classes == NULL)
    return store_error (error, local, "cannot read the classes");
  /* The per-class counters follow their class (by id) into the new order,
   * so that reading the classes again needs no count query. */
  guint64 *per_class = g_new0 (guint64, MAX (1, classes->len));
  for (guint k = 0; k < classes->len; k++)
    {
      gint old = class_index (self, g_array_index (classes, GlDbClass, k).id);
      if (old >= 0 && self->per_class != NULL)
        per_class[k] = self->per_class[old];
    }
  g_free (self->class_ids);
  g_strfreev (self->class_names);
  g_free (self->per_class);
  g_hash_table_remove_all (self->index_of_class);
  self->n_classes = classes->len;
  self->class_ids = g_new0 (gint64, MAX (1, classes->len));
  self->class_names = g_new0 (char *, classes->len + 1);
  self->per_class = per_class;
  for (guint k = 0; k < classes->len; k++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, k);
      self->class_ids[k] = c->id;
      self->class_names[k] = g_strdup (c->name);
      g_hash_table_insert (self->index_of_class, g_memdup2 (&c->id, sizeof c->id), GUINT_TO_POINTER (k + 1));
    }
  return TRUE;
}

static gboolean
load_counts (GlQueue *self, GError **error)
{
  GError *local = NULL;
  GlDbCounts counts;
  if (!gl_db_get_counts (self->db, &counts, &local))
    return store_error (error, local, "cannot count the images");
  self->n_labeled = counts.labeled;
  self->n_total = counts.readable - MIN (counts.readable, counts.held_out_test);
  g_autoptr (GArray) per = gl_db_count_per_class (self->db, &local);
  if (per == NULL)
    return store_error (error, local, "cannot count the labels");
  memset (self->per_class, 0, sizeof (guint64) * MAX (1, self->n_classes));
  for (guint i = 0; i < per->len; i++)
    {
      const GlDbClassCount *c = &g_array_index (per, GlDbClassCount, i);
      gint k = class_index (self, c->class_id);
      if (k >= 0)
        self->per_class[k] = c->labeled;
    }
  return TRUE;
}

static gboolean
load_ranking (GlQueue *self, GError **error)
{
  GError *local = NULL;
  GArray *page;

  clear_ranking (self);
  page = gl_db_read_queue (self->db, RANKING_READ, &local);
  if (page == NULL)
    return store_error (error, local, "cannot read the queue");
  /* The strings belong to the array's clear function; keep our own copies
   * so that the pages that top it up can replace it. */
  g_array_set_clear_func (page, NULL);
  set_ranking_page (self, page);
  self->suggested = gl_db_list_suggestions (self->db, &local);
  if (self->suggested == NULL)
    return store_error (error, local, "cannot read the suggestions");
  self->reload_pending = FALSE;
  /* The last bulk read on this connection (after the classes and counts):
   * from here on the main thread reads a row or two per image on it, each
   * after the writer's commit (gl_db_release_memory). */
  gl_db_release_memory (self->db);
  return TRUE;
}

/* Keeps the first store error met while building items (for
 * gl_queue_take_error); frees @local. */
static void
note_item_error (GlQueue *self, GError *local, const char *what)
{
  if (self->item_error == NULL)
    g_set_error (&self->item_error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_STORE, "%s: %s", what, local->message);
  g_error_free (local);
}

/* TRUE when @image_id has a current label, and also when it cannot be read
 * (the error kept): an image whose label is unknown is not shown as
 * unlabeled. */
static gboolean
is_labeled (GlQueue *self, gint64 image_id, gint *label)
{
  GlDbLabel l = { 0 };
  gboolean labeled = FALSE;
  GError *local = NULL;
  if (label)
    *label = -1;
  if (!gl_db_get_current_label (self->db, image_id, FALSE, &l, &local))
    {
      note_item_error (self, local, "cannot read the label of an image");
      return TRUE;
    }
  labeled = l.class_id >= 0;
  if (label)
    *label = labeled ? class_index (self, l.class_id) : -1;
  gl_db_label_clear (&l);
  return labeled;
}

static char *
reason_text (GlQueue *self, GlQueueItem *it, const char *rule, const char *stored)
{
  switch (it->reason)
    {
    case GL_QUEUE_REASON_COLD_START: return g_strdup ("coverage (queued before the first model)");
    case GL_QUEUE_REASON_AUDIT: return g_strdup ("audit");
    case GL_QUEUE_REASON_RULE: return g_strdup_printf ("suggested by rule %s", rule ? rule : "");
    case GL_QUEUE_REASON_SKIPPED: return g_strdup ("skipped earlier");
    case GL_QUEUE_REASON_SEEN: return g_strdup ("labeled earlier");
    case GL_QUEUE_REASON_UNRANKED: return g_strdup ("in import order (the images are being ranked)");
    case GL_QUEUE_REASON_STRATEGY:
    default: break;
    }
  if (g_str_has_prefix (stored ? stored : "", "drift: "))
    return g_strdup (stored); /* the drift-boosted queue (app/gl-drift-boost.h) */
  if (it->n_top >= 2)
    {
      const char *a = self->class_names[it->top_class[0]], *b = self->class_names[it->top_class[1]];
      if (g_strcmp0 (stored, "entropy") == 0 && isfinite (it->score))
        return g_strdup_printf ("entropy %.2f (most likely %s or %s)", it->score, a, b);
      if (g_strcmp0 (stored, "least-confidence") == 0)
        return g_strdup_printf ("confidence %.2f in %s", it->top_prob[0], a);
      if (g_strcmp0 (stored, "bald") == 0 && isfinite (it->score))
        return g_strdup_printf ("dropout passes disagree (%.3f) between %s and %s", it->score, a, b);
      if (g_strcmp0 (stored, "k-center") == 0)
        return g_strdup_printf ("unlike the labeled images (likely %s)", a);
      if (g_strcmp0 (stored, "random") == 0)
        return g_strdup ("random");
      return g_strdup_printf ("margin %.2f between %s and %s", it->top_prob[0] - it->top_prob[1], a, b);
    }
  return g_strdup (stored && *stored ? stored : "queued");
}

/* A full item for @image_id, or NULL if it cannot be read (the error kept
 * for gl_queue_take_error). A missing prediction or suggestion is normal;
 * any other failure to read them is kept too. */
static GlQueueItem *
materialize (GlQueue *self, gint64 image_id, GlQueueReason reason, const char *stored, double score,
             gboolean audit)
{
  GlDbImage im = { 0 };
  GError *local = NULL;
  if (!gl_db_get_image (self->db, image_id, &im, &local))
    {
      note_item_error (self, local, "cannot read an image of the queue");
      return NULL;
    }
  GlQueueItem *it = g_new0 (GlQueueItem, 1);
  it->image_id = image_id;
  it->cache_row = im.cache_row >= 0 ? (guint64) im.cache_row : 0;
  it->path = g_steal_pointer (&im.path);
  gl_db_image_clear (&im);
  it->reason = reason;
  it->score = (float) score;
  it->audit = audit;
  it->suggested_class = -1;
  it->label = -1;
  GlDbPrediction p = { 0 };
  gboolean predicted = gl_db_get_prediction (self->db, -1, image_id, &p, &local);
  if (!predicted && !g_error_matches (local, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND))
    note_item_error (self, g_steal_pointer (&local), "cannot read the prediction of an image");
  g_clear_error (&local);
  if (predicted)
    {
      if (p.probs != NULL && p.n_probs == self->n_classes)
        for (guint r = 0; r < GL_QUEUE_TOP_N && r < self->n_classes; r++)
          {
            gint best = -1;
            for (guint k = 0; k < self->n_classes; k++)
              {
                gboolean taken = FALSE;
                for (guint q = 0; q < r; q++)
                  taken |= it->top_class[q] == (gint) k;
                if (!taken && (best < 0 || p.probs[k] > p.probs[best]))
                  best = (gint) k;
              }
            it->top_class[r] = best;
            it->top_prob[r] = p.probs[best];
            it->n_top = r + 1;
          }
      else if (class_index (self, p.top_class) >= 0)
        {
          it->top_class[0] = class_index (self, p.top_class);
          it->top_prob[0] = (float) p.top_prob;
          it->n_top = 1;
        }
      gl_db_prediction_clear (&p);
    }
  GlDbSuggestion s = { 0 };
  g_autofree char *rule = NULL;
  gboolean suggested = gl_db_get_suggestion (self->db, image_id, &s, &local);
  if (!suggested && !g_error_matches (local, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND))
    note_item_error (self, g_steal_pointer (&local), "cannot read the suggestion for an image");
  g_clear_error (&local);
  if (suggested)
    {
      it->suggested_class = class_index (self, s.class_id);
      rule = g_strdup (s.rule);
      gl_db_suggestion_clear (&s);
    }
  is_labeled (self, image_id, &it->label);
  it->reason_text = reason_text (self, it, rule, stored);
  return it;
}

GlQueueItem *
gl_queue_describe_image (GlQueue *self, gint64 image_id, GError **error)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), NULL);
  g_autoptr (GError) before = g_steal_pointer (&self->item_error);
  GlQueueItem *it = materialize (self, image_id, GL_QUEUE_REASON_SEEN, NULL, NAN, FALSE);
  if (self->item_error != NULL)
    {
      g_clear_pointer (&it, gl_queue_item_free);
      g_propagate_error (error, g_steal_pointer (&self->item_error));
    }
  self->item_error = g_steal_pointer (&before);
  return it;
}

/* A team project: the image's lease for this annotator, unless others hold it (the project setting
 * "team_overlap" lets that many annotators have it at once; default 1). */
static gboolean
leased (GlQueue *self, gint64 image_id)
{
  if (self->lease_as == NULL)
    return TRUE;
  guint overlap = (guint) CLAMP (gl_db_get_setting_int (self->db, "team_overlap", 1), 1, 100);
  gint64 got = -1;
  GError *local = NULL;
  if (!gl_db_lease_take (self->db, self->lease_as, &image_id, 1, overlap, GL_DB_LEASE_SECONDS, &got, &local))
    note_item_error (self, local, "cannot lease an image");
  return got == image_id;
}

static gboolean
usable (GlQueue *self, gint64 image_id)
{
  if (g_hash_table_contains (self->done, &image_id) || is_labeled (self, image_id, NULL)
      || gl_db_is_skipped (self->db, image_id) || !leased (self, image_id))
    return FALSE;
  if (self->lease_as == NULL)
    return TRUE;
  /* Another desktop may have labeled it between the check above and the
   * lease (it gives its lease back after the label's commit): checked again
   * under the lease, so no two annotators label one image by accident. */
  if (!is_labeled (self, image_id, NULL))
    return TRUE;
  gl_db_lease_release (self->db, self->lease_as, image_id, NULL);
  return FALSE;
}

static gboolean
upcoming_has (GlQueue *self, gint64 image_id)
{
  for (guint i = 0; i < self->upcoming->len; i++)
    if (((GlQueueItem *) g_ptr_array_index (self->upcoming, i))->image_id == image_id)
      return TRUE;
  return self->current && self->current->image_id == image_id;
}

/* The page of the ranking is walked: the next page from the sources in
 * TopUp order. FALSE when no source has an image left. */
static gboolean
top_up (GlQueue *self)
{
  if (self->ranking == NULL)
    self->ranking = g_array_new (FALSE, TRUE, sizeof (GlDbQueueItem));
  for (guint i = 0; i < self->ranking->len; i++)
    g_free (g_array_index (self->ranking, GlDbQueueItem, i).reason);
  g_array_set_size (self->ranking, 0);
  self->rpos = 0;
  while (self->topup != TOP_UP_NONE)
    {
      switch (self->topup)
        {
        case TOP_UP_STORED:
          {
            /* The ranking is stored in full; the queue reads it in pages. */
            g_autoptr (GArray) page = gl_db_read_queue_after (self->db, self->stored_after, RANKING_READ, NULL);
            if (page != NULL && page->len > 0)
              {
                g_array_set_clear_func (page, NULL);
                g_array_unref (self->ranking);
                set_ranking_page (self, g_steal_pointer (&page));
              }
            break;
          }
        case TOP_UP_MODEL:
          {
            /* The previous ranking's order, until the new ranking is in:
             * labeled and skipped images are not read again; the few
             * offered but not labeled yet (lined up, on screen) are read
             * past. */
            guint limit = FALLBACK_READ + self->upcoming->len + self->returning->len + 1;
            g_autoptr (GArray) top = gl_db_top_unlabeled (self->db, -1, limit, NULL);
            for (guint i = 0; top != NULL && i < top->len; i++)
              {
                const GlDbScoredImage *t = &g_array_index (top, GlDbScoredImage, i);
                if (!g_hash_table_add (self->offered, g_memdup2 (&t->image_id, sizeof t->image_id)))
                  continue;
                GlDbQueueItem q = { t->image_id, g_strdup ("margin"), t->score, FALSE, 0 };
                g_array_append_val (self->ranking, q);
              }
            break;
          }
        case TOP_UP_IMPORT:
        default:
          {
            g_autoptr (GArray) page = gl_db_list_unlabeled (self->db, self->import_after, RANKING_READ, NULL);
            for (guint i = 0; page != NULL && i < page->len; i++)
              {
                const GlDbScoredImage *t = &g_array_index (page, GlDbScoredImage, i);
                GlDbQueueItem q = { t->image_id, g_strdup (UNRANKED_REASON), NAN, FALSE, 0 };
                g_array_append_val (self->ranking, q);
                self->import_after = t->image_id;
              }
            self->unranked = self->ranking->len > 0;
            break;
          }
        }
      if (self->ranking->len > 0)
        return TRUE;
      self->topup++;
    }
  return FALSE;
}

/* The next item from the sources (not the returning skips), or NULL. */
static GlQueueItem *
draw (GlQueue *self)
{
  while (self->suggested && self->spos < self->suggested->len)
    {
      const GlDbSuggestion *s = &g_array_index (self->suggested, GlDbSuggestion, self->spos++);
      if (usable (self, s->image_id) && !upcoming_has (self, s->image_id))
        {
          GlQueueItem *it = materialize (self, s->image_id, GL_QUEUE_REASON_RULE, NULL, NAN, FALSE);
          if (it)
            return it;
        }
    }
  for (;;)
    {
      while (self->ranking && self->rpos < self->ranking->len)
        {
          const GlDbQueueItem *q = &g_array_index (self->ranking, GlDbQueueItem, self->rpos++);
          if (!usable (self, q->image_id) || upcoming_has (self, q->image_id))
            continue;
          GlQueueReason reason = q->audit                                     ? GL_QUEUE_REASON_AUDIT
                                 : g_strcmp0 (q->reason, "cold start") == 0   ? GL_QUEUE_REASON_COLD_START
                                 : g_strcmp0 (q->reason, UNRANKED_REASON) == 0 ? GL_QUEUE_REASON_UNRANKED
                                                                              : GL_QUEUE_REASON_STRATEGY;
          GlQueueItem *it = materialize (self, q->image_id, reason, q->reason, q->score, q->audit);
          if (it)
            return it;
        }
      if (!top_up (self))
        break;
    }
  return NULL;
}

/* Unlabeled images are left that no ranking orders: ask the trainer for one,
 * unless a round is running (it ends with a ranking). */
static void
refresh_needs_ranking (GlQueue *self)
{
  gboolean needs = (self->current == NULL && self->n_labeled < self->n_total) || self->unranked;
  if (needs && self->trainer != NULL && !self->needs_ranking
      && gl_trainer_get_state (self->trainer) == GL_TRAINER_IDLE)
    gl_trainer_rank_now (self->trainer);
  self->needs_ranking = needs;
}

static void
unskip_thread (GTask *write, GlDb *db, const GError *open_error)
{
  GError *local = NULL;
  if (db == NULL)
    g_task_return_error (write, g_error_copy (open_error));
  else if (!gl_db_unskip (db, *(gint64 *) g_task_get_task_data (write), &local))
    g_task_return_error (write, local);
  else
    g_task_return_boolean (write, TRUE);
}

/* On the main thread; @user_data: a GWeakRef to the queue (freed here). */
static void
unskip_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GWeakRef *ref = user_data;
  GlQueue *self = g_weak_ref_get (ref);
  GError *local = NULL;
  if (!g_task_propagate_boolean (G_TASK (result), &local) && self != NULL)
    note_item_error (self, g_steal_pointer (&local), "cannot forget the skip of an image");
  g_clear_error (&local);
  g_clear_object (&self);
  g_weak_ref_clear (ref);
  g_free (ref);
}

/* A skipped image is back: its skip is forgotten in the store, behind the
 * writes under way when the queue has a writer (then the main thread does
 * not wait for the disk), else now. */
static void
forget_skip (GlQueue *self, gint64 image_id)
{
  g_autoptr (GTask) write = NULL;

  if (self->writer == NULL)
    {
      GError *local = NULL;
      if (!gl_db_unskip (self->db, image_id, &local))
        note_item_error (self, local, "cannot forget the skip of an image");
      return;
    }
  GWeakRef *ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  write = g_task_new (NULL, NULL, unskip_done, ref);
  g_task_set_source_tag (write, forget_skip);
  g_task_set_task_data (write, g_memdup2 (&image_id, sizeof image_id), g_free);
  gl_writer_push (self->writer, write, unskip_thread);
}

/* The live item is done (or there is none): make the next one current. */
static void
advance (GlQueue *self)
{
  if (self->current != NULL)
    {
      g_ptr_array_add (self->history, self->current);
      self->current = NULL;
    }
  if (self->reload_pending)
    take_ranking (self);
  /* A skipped image whose turn has come. */
  for (guint i = 0; i < self->returning->len; i++)
    {
      Returning *r = &g_array_index (self->returning, Returning, i);
      if (r->due > self->labels_made)
        continue;
      gint64 id = r->image_id;
      g_array_remove_index (self->returning, i);
      g_hash_table_remove (self->done, &id);
      forget_skip (self, id);
      if (!is_labeled (self, id, NULL))
        {
          self->current = materialize (self, id, GL_QUEUE_REASON_SKIPPED, NULL, NAN, FALSE);
          if (self->current)
            break;
        }
      i--;
    }
  if (self->current == NULL && self->upcoming->len > 0)
    {
      self->current = g_ptr_array_steal_index (self->upcoming, 0);
      /* It may have been labeled meanwhile (another window, gleaner-cli). */
      if (!usable (self, self->current->image_id))
        {
          g_clear_pointer (&self->current, gl_queue_item_free);
          advance (self);
          return;
        }
    }
  if (self->current == NULL)
    self->current = draw (self);
  self->hist_pos = -1;
  refresh_needs_ranking (self);
}

static void
emit_changed (GlQueue *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

GlQueue *
gl_queue_new (GlProject *project, GError **error)
{
  GError *local = NULL;
  GlDb *db = gl_db_open (gl_project_get_db_path (project), &local);
  if (db == NULL)
    {
      store_error (error, local, "cannot open the project");
      return NULL;
    }
  g_autoptr (GlQueue) self = g_object_new (GL_TYPE_QUEUE, NULL);
  self->project = project;
  self->db = db;
  if (gl_project_is_team (project))
    self->lease_as = gl_db_dup_default_annotator ();
  if (!load_classes (self, error) || !load_counts (self, error) || !load_ranking (self, error))
    return NULL;
  advance (self);
  if (self->item_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->item_error));
      return NULL;
    }
  return g_steal_pointer (&self);
}

static void
on_ranking_ready (GlTrainer *trainer, gpointer user_data)
{
  GlQueue *self = user_data;
  g_autoptr (GTask) task = NULL;
  ReadJob *job;

  /* The classes are few; the ranking (hundreds of rows and the
   * suggestions) is read on a worker and swapped in when it is there. */
  load_classes (self, NULL);
  job = g_new0 (ReadJob, 1);
  job->db_path = g_strdup (gl_project_get_db_path (self->project));
  job->serial = ++self->read_serial;
  /* Without a source object: the task must not keep the queue (and with it
   * a borrowed project) alive; dispose cancels it instead. */
  task = g_task_new (NULL, self->reading, read_ranking_done, self);
  g_task_set_source_tag (task, on_ranking_ready);
  g_task_set_task_data (task, job, (GDestroyNotify) read_job_free);
  g_task_run_in_thread (task, read_ranking_thread);
}

void
gl_queue_set_trainer (GlQueue *self, GlTrainer *trainer)
{
  g_return_if_fail (GL_IS_QUEUE (self));
  if (self->trainer == trainer)
    return;
  if (self->trainer)
    {
      g_clear_signal_handler (&self->ranking_handler, self->trainer);
      g_clear_object (&self->trainer);
    }
  if (trainer)
    {
      self->trainer = g_object_ref (trainer);
      self->ranking_handler = g_signal_connect (trainer, "ranking-ready", G_CALLBACK (on_ranking_ready), self);
      self->needs_ranking = FALSE;
      refresh_needs_ranking (self);
    }
}

gboolean
gl_queue_reload (GlQueue *self, GError **error)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  if (!load_classes (self, error) || !load_counts (self, error))
    return FALSE;
  /* Read now at the next item, newer than any read under way. */
  self->read_serial++;
  g_clear_pointer ((RankingRead **) &self->read_ranking, ranking_read_free);
  self->reload_pending = TRUE;
  if (self->current == NULL)
    {
      advance (self);
      emit_changed (self);
    }
  return TRUE;
}

gboolean
gl_queue_set_strategy (GlQueue *self, const char *strategy, GError **error)
{
  GlStrategy s;
  GError *local = NULL;
  if (!gl_strategy_from_string (strategy, &s, &local))
    {
      g_set_error_literal (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_INVALID, local->message);
      g_error_free (local);
      return FALSE;
    }
  if (!gl_db_set_setting (self->db, GL_DB_SETTING_ACQUISITION, gl_strategy_to_string (s), &local))
    return store_error (error, local, "cannot store the strategy");
  if (self->trainer)
    gl_trainer_rank_now (self->trainer);
  return TRUE;
}

char *
gl_queue_dup_strategy (GlQueue *self)
{
  g_autofree char *s = gl_db_get_setting (self->db, GL_DB_SETTING_ACQUISITION);
  GlStrategy strategy;
  if (s == NULL || !gl_strategy_from_string (s, &strategy, NULL))
    strategy = GL_STRATEGY_DEFAULT;
  return g_strdup (gl_strategy_to_string (strategy));
}

gboolean
gl_queue_has_pending_ranking (GlQueue *self)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  return self->reload_pending;
}

gboolean
gl_queue_needs_ranking (GlQueue *self)
{
  return self->needs_ranking;
}

const GlQueueItem *
gl_queue_get_current (GlQueue *self)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), NULL);
  if (self->hist_pos >= 0)
    return g_ptr_array_index (self->history, self->hist_pos);
  return self->current;
}

GPtrArray *
gl_queue_peek (GlQueue *self, guint n)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_queue_item_free);
  if (!self->reload_pending)
    while (self->upcoming->len < n)
      {
        GlQueueItem *it = draw (self);
        if (it == NULL)
          break;
        g_ptr_array_add (self->upcoming, it);
      }
  for (guint i = 0; i < self->upcoming->len && i < n; i++)
    g_ptr_array_add (out, gl_queue_item_copy (g_ptr_array_index (self->upcoming, i)));
  return out;
}

static void
count_label (GlQueue *self, gint old_class, gint new_class)
{
  if (old_class >= 0 && (guint) old_class < self->n_classes && self->per_class[old_class] > 0)
    self->per_class[old_class]--;
  if (new_class >= 0 && (guint) new_class < self->n_classes)
    self->per_class[new_class]++;
  if (old_class < 0 && new_class >= 0)
    self->n_labeled++;
  else if (old_class >= 0 && new_class < 0 && self->n_labeled > 0)
    self->n_labeled--;
}

/* ---- label, accept, skip, undo ----
 *
 * Each command runs in three steps: prepare (main thread: what to write,
 * from the queue's state when the command's turn comes), write (the store
 * only: on the calling thread for the synchronous calls, on the writer's
 * thread for the asynchronous ones) and apply (main thread: the queue moves
 * on and says so). Asynchronous commands wait in `commands` until the one
 * before them is applied, so they act as the same synchronous calls made one
 * after another would. */

typedef enum
{
  OP_LABEL,        /* the current item, or image_id */
  OP_ACCEPT,       /* the current item, or item */
  OP_SKIP,
  OP_UNDO,
} OpKind;

typedef struct
{
  OpKind kind;
  gboolean on_current;  /* label / accept the current item */
  gint64 image_id;      /* label: the image (also the result of an undo) */
  GlQueueItem *item;    /* accept: a copy of the item, when not the current one */
  gint class_id;        /* label: queue class index */
  GlLabelOrigin origin;
  /* Set by prepare. */
  gboolean writes;      /* FALSE: nothing to store (skip over a seen item) */
  gint64 store_class;
  gboolean audit;
  gint old_label;
} Op;

static void
op_free (Op *op)
{
  gl_queue_item_free (op->item);
  g_free (op);
}

static gboolean
invalid_class (GlQueue *self, gint class_id, GError **error)
{
  if (class_id >= 0 && (guint) class_id < self->n_classes)
    return FALSE;
  g_set_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_INVALID, "class %d does not exist (the project has %u)",
               class_id, self->n_classes);
  return TRUE;
}

static gboolean
nothing_current (GError **error)
{
  g_set_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_EMPTY, "every image is labeled");
  return FALSE;
}

static gboolean
prepare_label (GlQueue *self, Op *op, GError **error)
{
  const GlQueueItem *cur = gl_queue_get_current (self);

  if (op->on_current)
    {
      if (cur == NULL)
        return nothing_current (error);
      op->image_id = cur->image_id;
    }
  if (invalid_class (self, op->class_id, error))
    return FALSE;
  op->writes = TRUE;
  op->store_class = self->class_ids[op->class_id];
  if (cur != NULL && cur->image_id == op->image_id)
    {
      op->on_current = TRUE;
      op->audit = cur->audit;
      op->old_label = cur->label;
      return TRUE;
    }
  op->audit = FALSE;
  for (guint i = 0; self->ranking && i < self->ranking->len; i++)
    if (g_array_index (self->ranking, GlDbQueueItem, i).image_id == op->image_id)
      op->audit = g_array_index (self->ranking, GlDbQueueItem, i).audit;
  op->old_label = -1;
  is_labeled (self, op->image_id, &op->old_label);
  return TRUE;
}

/* Enter: the suggestion if there is one, else the model's top prediction. */
static gboolean
prepare_accept (GlQueue *self, Op *op, GError **error)
{
  const GlQueueItem *it = op->on_current ? gl_queue_get_current (self) : op->item;

  if (it == NULL)
    return nothing_current (error);
  if (it->suggested_class >= 0)
    {
      op->class_id = it->suggested_class;
      op->origin = GL_LABEL_ORIGIN_ACCEPTED_SUGGESTION;
    }
  else if (it->n_top > 0 && it->top_class[0] >= 0)
    {
      op->class_id = it->top_class[0];
      op->origin = GL_LABEL_ORIGIN_ACCEPTED_PREDICTION;
    }
  else
    {
      g_set_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_INVALID,
                   "nothing to accept: the image has neither a suggestion nor a prediction");
      return FALSE;
    }
  /* By image: labeling the current item moves the queue past it. */
  op->image_id = it->image_id;
  op->on_current = FALSE;
  return prepare_label (self, op, error);
}

static gboolean
prepare (GlQueue *self, Op *op, GError **error)
{
  switch (op->kind)
    {
    case OP_LABEL:
      return prepare_label (self, op, error);
    case OP_ACCEPT:
      return prepare_accept (self, op, error);
    case OP_SKIP:
      /* Over a seen item, skipping just moves on. */
      op->writes = self->hist_pos < 0;
      if (op->writes && self->current == NULL)
        return nothing_current (error);
      if (op->writes)
        op->image_id = self->current->image_id;
      return TRUE;
    case OP_UNDO:
    default:
      op->writes = TRUE;
      return TRUE;
    }
}

/* The store's part of @op, on any thread: touches nothing of the queue. */
static gboolean
write_op (GlDb *db, Op *op, GError **error)
{
  GError *local = NULL;

  switch (op->kind)
    {
    case OP_LABEL:
    case OP_ACCEPT:
      /* An audit item's label records the image as audit in its transaction. */
      if (!(op->audit ? gl_db_set_audit_label : gl_db_set_label) (db, op->image_id, op->store_class,
                                                                  db_origin (op->origin), NULL, NULL, &local))
        return store_error (error, local, "cannot store the label");
      return TRUE;
    case OP_SKIP:
      if (!gl_db_skip (db, op->image_id, GL_QUEUE_SKIP_RETURN_AFTER, &local))
        return store_error (error, local, "cannot record the skip");
      return TRUE;
    case OP_UNDO:
    default:
      if (gl_db_undo_last (db, NULL, &op->image_id, &local))
        return TRUE;
      if (g_error_matches (local, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND))
        {
          g_error_free (local);
          g_set_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_NOTHING, "there is no label to undo");
          return FALSE;
        }
      return store_error (error, local, "cannot undo");
    }
}

static void
apply_label (GlQueue *self, Op *op)
{
  gint64 id = op->image_id;
  GlQueueItem *cur = (GlQueueItem *) gl_queue_get_current (self);

  count_label (self, op->old_label, op->class_id);
  g_hash_table_add (self->done, g_memdup2 (&id, sizeof id));
  self->labels_made++;
  if (op->on_current && cur != NULL && cur->image_id == id)
    {
      cur->label = op->class_id;
      if (self->hist_pos >= 0)
        {
          /* Relabeling a seen item: step forward, towards the live one. */
          self->hist_pos++;
          if ((guint) self->hist_pos >= self->history->len)
            self->hist_pos = -1;
        }
      else
        advance (self);
    }
  else
    {
      /* Drop it from what is lined up. */
      for (guint i = 0; i < self->upcoming->len; i++)
        if (((GlQueueItem *) g_ptr_array_index (self->upcoming, i))->image_id == id)
          g_ptr_array_remove_index (self->upcoming, i--);
    }
  g_signal_emit (self, signals[SIGNAL_LABEL_ADDED], 0, id, op->class_id);
  if (self->trainer)
    gl_trainer_count_labels (self->trainer, 1);
}

static void
apply_skip (GlQueue *self, Op *op)
{
  gint64 id = op->image_id;
  Returning r = { id, self->labels_made + GL_QUEUE_SKIP_RETURN_AFTER };

  /* A skipped image goes back to the team while it waits for its turn here. */
  GError *local = NULL;
  if (self->lease_as != NULL && !gl_db_lease_release (self->db, self->lease_as, id, &local))
    note_item_error (self, local, "cannot give back the lease of a skipped image");
  g_array_append_val (self->returning, r);
  g_hash_table_add (self->done, g_memdup2 (&id, sizeof id));
  if (self->current != NULL && self->current->image_id == id)
    advance (self);
}

static void
apply_undo (GlQueue *self, Op *op)
{
  gint64 id = op->image_id;

  /* Counters: re-read (an undo may restore an earlier label). */
  load_counts (self, NULL);
  g_hash_table_remove (self->done, &id);
  /* Back to that image: the live item waits at the front of upcoming. */
  for (guint i = self->history->len; i > 0; i--)
    if (((GlQueueItem *) g_ptr_array_index (self->history, i - 1))->image_id == id)
      {
        g_ptr_array_remove_index (self->history, i - 1);
        break;
      }
  if (self->current != NULL && self->current->image_id != id)
    g_ptr_array_insert (self->upcoming, 0, g_steal_pointer (&self->current));
  else
    g_clear_pointer (&self->current, gl_queue_item_free);
  self->current = materialize (self, id, GL_QUEUE_REASON_SEEN, NULL, NAN, FALSE);
  if (self->current)
    {
      g_free (self->current->reason_text);
      self->current->reason_text = g_strdup ("undone");
    }
  self->hist_pos = -1;
  refresh_needs_ranking (self);
}

/* After the write (if any): the queue moves on. */
static void
apply (GlQueue *self, Op *op)
{
  if (!op->writes)
    {
      gl_queue_forward (self);
      return;
    }
  switch (op->kind)
    {
    case OP_LABEL:
    case OP_ACCEPT:
      apply_label (self, op);
      break;
    case OP_SKIP:
      apply_skip (self, op);
      break;
    case OP_UNDO:
    default:
      apply_undo (self, op);
      break;
    }
  emit_changed (self);
}

/* The synchronous command: all three steps now, the write on this thread. */
static gboolean
run_now (GlQueue *self, Op *op, GError **error)
{
  gboolean ok;

  if (gl_queue_is_busy (self))
    {
      g_critical ("%s: asynchronous commands are pending; finish them first", G_STRFUNC);
      op_free (op);
      return FALSE;
    }
  ok = prepare (self, op, error) && (!op->writes || write_op (self->db, op, error));
  if (ok)
    apply (self, op);
  op_free (op);
  return ok;
}

static Op *
op_new (OpKind kind)
{
  Op *op = g_new0 (Op, 1);
  op->kind = kind;
  op->on_current = TRUE;
  op->old_label = -1;
  return op;
}

static Op *
label_op (gint64 image_id, gboolean on_current, gint class_id, GlLabelOrigin origin)
{
  Op *op = op_new (OP_LABEL);
  op->on_current = on_current;
  op->image_id = image_id;
  op->class_id = class_id;
  op->origin = origin;
  return op;
}

static Op *
accept_op (const GlQueueItem *item)
{
  Op *op = op_new (OP_ACCEPT);
  op->on_current = item == NULL;
  op->item = item != NULL ? gl_queue_item_copy (item) : NULL;
  return op;
}

gboolean
gl_queue_label (GlQueue *self, gint class_id, GlLabelOrigin origin, GError **error)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  return run_now (self, label_op (-1, TRUE, class_id, origin), error);
}

gboolean
gl_queue_label_image (GlQueue *self, gint64 image_id, gint class_id, GlLabelOrigin origin, GError **error)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  return run_now (self, label_op (image_id, FALSE, class_id, origin), error);
}

gboolean
gl_queue_accept (GlQueue *self, GError **error)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  return run_now (self, accept_op (NULL), error);
}

gboolean
gl_queue_accept_image (GlQueue *self, const GlQueueItem *it, GError **error)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  g_return_val_if_fail (it != NULL, FALSE);
  return run_now (self, accept_op (it), error);
}

gboolean
gl_queue_skip (GlQueue *self, GError **error)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  return run_now (self, op_new (OP_SKIP), error);
}

gboolean
gl_queue_undo (GlQueue *self, GError **error)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  return run_now (self, op_new (OP_UNDO), error);
}

/* ---- the same, with the write on the writer's thread ---- */

static void run_next (GlQueue *self);

static void
write_thread (GTask *write, GlDb *db, const GError *open_error)
{
  Op *op = g_task_get_task_data (write);
  GError *error = NULL;

  if (db == NULL)
    g_task_return_new_error (write, GL_QUEUE_ERROR, GL_QUEUE_ERROR_STORE, "cannot open the project: %s",
                             open_error->message);
  else if (!write_op (db, op, &error))
    g_task_return_error (write, error);
  else
    g_task_return_boolean (write, TRUE);
}

static void
write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data; /* the command's, held by self->running */
  GlQueue *self = g_task_get_source_object (task);
  GError *error = NULL;

  g_assert (self->running == task);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      apply (self, g_task_get_task_data (task));
      g_task_return_boolean (task, TRUE);
    }
  else
    g_task_return_error (task, error);
  self->running = NULL;
  g_object_unref (task);
  run_next (self);
}

/* Starts the commands waiting, one at a time: each prepared when the one
 * before it is applied. */
static void
run_next (GlQueue *self)
{
  while (self->running == NULL && !g_queue_is_empty (&self->commands))
    {
      GTask *task = g_queue_pop_head (&self->commands);
      Op *op = g_task_get_task_data (task);
      GError *error = NULL;
      g_autoptr (GTask) write = NULL;

      if (!prepare (self, op, &error))
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          continue;
        }
      if (!op->writes)
        {
          apply (self, op);
          g_task_return_boolean (task, TRUE);
          g_object_unref (task);
          continue;
        }
      if (self->writer == NULL)
        /* The project's own target: a team server's string with its
         * password or socket folder, which the store's display name drops. */
        self->writer = gl_writer_new (gl_project_get_db_path (self->project));
      self->running = task;
      /* No source object and borrowed data: the writer's thread may drop
       * the last reference to it (gl-writer.h). */
      write = g_task_new (NULL, NULL, write_done, task);
      g_task_set_source_tag (write, write_thread);
      g_task_set_task_data (write, op, NULL);
      gl_writer_push (self->writer, write, write_thread);
    }
}

static void
run_later (GlQueue *self, Op *op, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, run_later);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  g_queue_push_tail (&self->commands, task);
  run_next (self);
}

void
gl_queue_label_async (GlQueue *self, gint class_id, GlLabelOrigin origin, GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_return_if_fail (GL_IS_QUEUE (self));
  run_later (self, label_op (-1, TRUE, class_id, origin), callback, user_data);
}

void
gl_queue_label_image_async (GlQueue *self, gint64 image_id, gint class_id, GlLabelOrigin origin,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GL_IS_QUEUE (self));
  run_later (self, label_op (image_id, FALSE, class_id, origin), callback, user_data);
}

void
gl_queue_accept_async (GlQueue *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GL_IS_QUEUE (self));
  run_later (self, accept_op (NULL), callback, user_data);
}

void
gl_queue_accept_image_async (GlQueue *self, const GlQueueItem *item, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_return_if_fail (GL_IS_QUEUE (self));
  g_return_if_fail (item != NULL);
  run_later (self, accept_op (item), callback, user_data);
}

void
gl_queue_skip_async (GlQueue *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GL_IS_QUEUE (self));
  run_later (self, op_new (OP_SKIP), callback, user_data);
}

void
gl_queue_undo_async (GlQueue *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GL_IS_QUEUE (self));
  run_later (self, op_new (OP_UNDO), callback, user_data);
}

gboolean
gl_queue_finish (GlQueue *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
gl_queue_take_error (GlQueue *self, GError **error)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  if (self->item_error == NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&self->item_error));
  return FALSE;
}

gboolean
gl_queue_is_busy (GlQueue *self)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  return self->running != NULL || !g_queue_is_empty (&self->commands);
}

gboolean
gl_queue_back (GlQueue *self)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  gint target = self->hist_pos < 0 ? (gint) self->history->len - 1 : self->hist_pos - 1;
  if (target < 0)
    return FALSE;
  self->hist_pos = target;
  GlQueueItem *it = g_ptr_array_index (self->history, target);
  is_labeled (self, it->image_id, &it->label);
  emit_changed (self);
  return TRUE;
}

gboolean
gl_queue_forward (GlQueue *self)
{
  g_return_val_if_fail (GL_IS_QUEUE (self), FALSE);
  if (self->hist_pos < 0)
    return FALSE;
  self->hist_pos++;
  if ((guint) self->hist_pos >= self->history->len)
    self->hist_pos = -1;
  else
    {
      GlQueueItem *it = g_ptr_array_index (self->history, self->hist_pos);
      is_labeled (self, it->image_id, &it->label);
    }
  emit_changed (self);
  return TRUE;
}

guint64
gl_queue_get_n_labeled (GlQueue *self)
{
  return self->n_labeled;
}

guint64
gl_queue_get_n_total (GlQueue *self)
{
  return self->n_total;
}

guint
gl_queue_get_n_classes (GlQueue *self)
{
  return self->n_classes;
}

guint64
gl_queue_get_n_labeled_in_class (GlQueue *self, guint class_id)
{
  return class_id < self->n_classes ? self->per_class[class_id] : 0;
}

char **
gl_queue_dup_class_names (GlQueue *self)
{
  return g_strdupv (self->class_names);
}

guint
gl_queue_get_n_remaining (GlQueue *self)
{
  guint n = self->upcoming->len;
  if (self->ranking && self->rpos < self->ranking->len)
    n += self->ranking->len - self->rpos;
  if (self->suggested && self->spos < self->suggested->len)
    n += self->suggested->len - self->spos;
  return n;
}

static void
gl_queue_dispose (GObject *object)
{
  GlQueue *self = GL_QUEUE (object);
  gl_queue_set_trainer (self, NULL);
  g_cancellable_cancel (self->reading);
  /* The window closes: this annotator's images go back to the team (a failure leaves them to expire). */
  if (self->lease_as != NULL && self->db != NULL)
    gl_db_lease_release_all (self->db, self->lease_as, NULL);
  g_clear_pointer (&self->lease_as, g_free);
  G_OBJECT_CLASS (gl_queue_parent_class)->dispose (object);
}

static void
gl_queue_finalize (GObject *object)
{
  GlQueue *self = GL_QUEUE (object);
  clear_ranking (self);
  g_clear_pointer ((RankingRead **) &self->read_ranking, ranking_read_free);
  g_clear_object (&self->reading);
  g_ptr_array_unref (self->upcoming);
  g_ptr_array_unref (self->history);
  g_array_unref (self->returning);
  g_hash_table_unref (self->done);
  g_hash_table_unref (self->index_of_class);
  g_hash_table_unref (self->offered);
  gl_queue_item_free (self->current);
  g_free (self->class_ids);
  g_strfreev (self->class_names);
  g_free (self->per_class);
  g_clear_error (&self->item_error);
  /* Every command holds a reference: none is left, and the writer is idle. */
  g_clear_pointer (&self->writer, gl_writer_free);
  g_clear_pointer (&self->db, gl_db_close);
  G_OBJECT_CLASS (gl_queue_parent_class)->finalize (object);
}

static void
gl_queue_class_init (GlQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = gl_queue_dispose;
  object_class->finalize = gl_queue_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_LABEL_ADDED] = g_signal_new ("label-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT);
}

static void
gl_queue_init (GlQueue *self)
{
  self->upcoming = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_queue_item_free);
  self->history = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_queue_item_free);
  self->returning = g_array_new (FALSE, FALSE, sizeof (Returning));
  self->done = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->index_of_class = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->offered = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->stored_after = self->import_after = -1;
  self->hist_pos = -1;
  self->reading = g_cancellable_new ();
  g_queue_init (&self->commands);
}
