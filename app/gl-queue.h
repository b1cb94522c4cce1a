/* gl-queue.h — the labeling queue: which image the annotator sees next.
 *
 * A GlQueue is opened on a GlProject and lives on the main thread. It walks a
 * RANKING: the unlabeled pool images in the order to ask for them, as chosen
 * by the project's acquisition strategy (engine/gl-acquire.h) from the current
 * model's scores, or, before any model exists, in a cold-start order for
 * coverage of cheap pixel features. About 10% of every batch are AUDIT items
 * drawn at random (their labels estimate accuracy on fresh data without the
 * bias of uncertainty sampling); images matching a bootstrap rule
 * (app/gl-rules.h) carry the rule's class as a SUGGESTION; skipped images come
 * back after GL_QUEUE_SKIP_RETURN_AFTER further items.
 *
 * The ranking is produced by the trainer (app/gl-trainer.h) on the engine
 * thread and stored in the project; a new one is swapped in only between
 * images — never under the cursor: the item on screen stays until it is
 * labeled, accepted or skipped, and then the queue continues in the new order.
 *
 * Every label is one committed transaction (label + history row) before
 * gl_queue_label returns. The asynchronous commands (gl_queue_label_async
 * and the others) do the same with the commit on a writer thread of the
 * queue (app/gl-writer.h), so that the main thread never waits for the disk:
 * the queue moves on, emits its signals and calls back only once the commit
 * is done; on an error nothing moves. Commands given while others are under
 * way wait for them and act in the order given, as the synchronous calls one
 * after another would (an undo after a pending label undoes that label).
 * The queue keeps a history of the items it showed,
 * so gl_queue_back / gl_queue_forward move over already-seen items (showing
 * their current label) and gl_queue_undo takes back the last label and goes
 * back to that image.
 *
 * Signals (main context):
 *   "changed"         the current item, the strip, or the counters changed
 *   "label-added"     (gint64 image_id, gint class_id): a label was committed;
 *                     the trainer counts these for its retrain policy
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"
#include "app/gl-trainer.h"

G_BEGIN_DECLS

#define GL_QUEUE_ERROR (gl_queue_error_quark ())
GQuark gl_queue_error_quark (void);

typedef enum
{
  GL_QUEUE_ERROR_EMPTY,      /* no current item: every image is labeled */
  GL_QUEUE_ERROR_INVALID,    /* a class id out of range, nothing to accept, an unknown strategy */
  GL_QUEUE_ERROR_NOTHING,    /* undo with no label to take back */
  GL_QUEUE_ERROR_STORE,      /* the project's store failed; nothing was changed */
} GlQueueError;

/* How a label came to be; stored with the label. */
typedef enum
{
  GL_LABEL_ORIGIN_HUMAN,               /* the annotator chose the class */
  GL_LABEL_ORIGIN_ACCEPTED_PREDICTION, /* Enter on the model's top prediction */
  GL_LABEL_ORIGIN_ACCEPTED_SUGGESTION, /* Enter on a bootstrap rule's suggestion */
} GlLabelOrigin;

/* "human", "prediction", "rule" — the origin strings of the store (db/gl-db.h). */
const char *gl_label_origin_to_string (GlLabelOrigin origin);
gboolean gl_label_origin_from_string (const char *text, GlLabelOrigin *origin);

/* Why an item is in the queue. */
typedef enum
{
  GL_QUEUE_REASON_COLD_START, /* no model yet: coverage order */
  GL_QUEUE_REASON_STRATEGY,   /* ranked by the acquisition strategy */
  GL_QUEUE_REASON_AUDIT,      /* drawn at random to estimate accuracy */
  GL_QUEUE_REASON_RULE,       /* a bootstrap rule suggests a class */
  GL_QUEUE_REASON_SKIPPED,    /* skipped earlier, returning */
  GL_QUEUE_REASON_SEEN,       /* back over an already-labeled item */
  GL_QUEUE_REASON_UNRANKED,   /* no ranking orders it yet: import order */
} GlQueueReason;

#define GL_QUEUE_TOP_N 3
#define GL_QUEUE_SKIP_RETURN_AFTER 20

typedef struct
{
  gint64 image_id;
  guint64 cache_row;  /* row in the project's pixel cache (GlPixelMap) */
  char *path;         /* the image file, or the IDX source it was unpacked from */
  guint n_top;        /* 0 before a model has scored the image */
  gint top_class[GL_QUEUE_TOP_N];  /* the model's most probable classes, best first */
  float top_prob[GL_QUEUE_TOP_N];
  GlQueueReason reason;
  char *reason_text;  /* for people: "margin 0.04 between Shirt and T-shirt", "audit",
                         "suggested by rule *boot*", "coverage (queued before the first model)", "skipped earlier" */
  float score;        /* the strategy's score, NaN when none */
  gboolean audit;
  gint suggested_class; /* a rule's class, or -1 */
  gint label;         /* the current label when the item was labeled already (going back), or -1 */
} GlQueueItem;

#define GL_TYPE_QUEUE_ITEM (gl_queue_item_get_type ())
GType gl_queue_item_get_type (void);
GlQueueItem *gl_queue_item_copy (const GlQueueItem *item);
void gl_queue_item_free (GlQueueItem *item);

#define GL_TYPE_QUEUE (gl_queue_get_type ())
G_DECLARE_FINAL_TYPE (GlQueue, gl_queue, GL, QUEUE, GObject)

/* Opens the queue of @project (borrowed; must outlive the queue) on the
 * ranking stored in the project. It computes nothing itself and never runs
 * dry while an unlabeled image is left: it walks the stored ranking a page
 * at a time, then the current model's most uncertain unlabeled images (the
 * last ranking's scores, while a round makes the next), then the unlabeled
 * images in import order (reason UNRANKED); meanwhile it asks its trainer
 * (gl_queue_set_trainer), when idle, to rank on the engine thread — without
 * a trainer, rank with gl_trainer_run_round (gleaner-cli; see
 * gl_queue_needs_ranking). */
GlQueue *gl_queue_new (GlProject *project, GError **error);

/* The project's acquisition strategy (setting "strategy"; default
 * GL_STRATEGY_DEFAULT from engine/gl-acquire.h), used for the next ranking.
 * Stored in the project. */
gboolean gl_queue_set_strategy (GlQueue *queue, const char *strategy, GError **error);
char *gl_queue_dup_strategy (GlQueue *queue);

/* Connects the queue to @trainer (may be NULL to disconnect): labels are
 * counted for its retrain policy, and each ranking it publishes is read on a
 * worker thread (a connection of its own) and replaces the queue's at the
 * first item boundary after that read, so the main thread never reads it. */
void gl_queue_set_trainer (GlQueue *queue, GlTrainer *trainer);

/* Re-reads the stored ranking (after another process or the trainer wrote
 * one); swapped in at the next item boundary, or at once when there is no
 * current item. */
gboolean gl_queue_reload (GlQueue *queue, GError **error);

/* FALSE with the first store error met since the last call while the queue
 * built its items (an image left out, or its label, prediction or
 * suggestion unknown: an image whose label cannot be read is not shown) or
 * forgot a skip; TRUE when there was none. Call it after "changed". */
gboolean gl_queue_take_error (GlQueue *queue, GError **error);

/* TRUE when a new ranking (after "ranking-ready" or gl_queue_reload) waits
 * to be taken at the next item boundary; FALSE once it is taken or while it
 * is still being read. */
gboolean gl_queue_has_pending_ranking (GlQueue *queue);

/* TRUE when unlabeled pool images are left that no ranking orders: the queue
 * shows them in import order (or, when it cannot read them, none). */
gboolean gl_queue_needs_ranking (GlQueue *queue);

/* The item on screen (borrowed; valid until "changed"), or NULL when every
 * image is labeled. */
const GlQueueItem *gl_queue_get_current (GlQueue *queue);

/* Any image of the project as an item (reason SEEN): its path, pixel-cache
 * row, the current model's top classes, a rule's suggestion and its current
 * label — for an image opened from elsewhere (the Gallery). Free with
 * gl_queue_item_free; NULL and error STORE when it cannot be read. */
GlQueueItem *gl_queue_describe_image (GlQueue *queue, gint64 image_id, GError **error);

/* The next up to @n items after the current one, for a strip of previews;
 * a GPtrArray of GlQueueItem (free with g_ptr_array_unref). */
GPtrArray *gl_queue_peek (GlQueue *queue, guint n);

/* Labels the current item as @class_id with @origin: committed before it
 * returns, then the queue advances. FALSE (and nothing stored) on error. */
gboolean gl_queue_label (GlQueue *queue, gint class_id, GlLabelOrigin origin, GError **error);

/* Labels any image of the project (gleaner-cli label): as gl_queue_label,
 * counted, remembered as an audit label when the ranking marks it so; when
 * @image_id is the current item the queue advances. */
gboolean gl_queue_label_image (GlQueue *queue, gint64 image_id, gint class_id, GlLabelOrigin origin,
                               GError **error);

/* Enter: the suggestion if there is one (origin ACCEPTED_SUGGESTION), else
 * the model's top prediction (ACCEPTED_PREDICTION). Error INVALID when the
 * item has neither. */
gboolean gl_queue_accept (GlQueue *queue, GError **error);
/* The same for @item, which need not be the current one (an image described
 * by gl_queue_describe_image), labeled through gl_queue_label_image. */
gboolean gl_queue_accept_image (GlQueue *queue, const GlQueueItem *item, GError **error);

/* Skips the current item; it is remembered and returns later. */
gboolean gl_queue_skip (GlQueue *queue, GError **error);

/* Takes back the last label made through this queue (or, for a fresh queue,
 * the project's last human label): the image becomes unlabeled again, the
 * history keeps both rows, and the queue goes back to that image. */
gboolean gl_queue_undo (GlQueue *queue, GError **error);

/* The asynchronous label, label_image, accept, accept_image, skip and undo:
 * queued behind the commands under way, prepared when their turn comes (the
 * current item then), committed on the writer thread and applied on the main
 * context; @callback (may be NULL) runs after that, or with the error (the
 * same as the synchronous call's) when nothing was changed. Commands are
 * never cancelled: a label given is committed. Each holds a reference to
 * the queue until it is done. Finish any with gl_queue_finish. The
 * synchronous calls must not be made while commands are pending
 * (gl_queue_is_busy). */
void gl_queue_label_async (GlQueue *queue, gint class_id, GlLabelOrigin origin, GAsyncReadyCallback callback,
                           gpointer user_data);
void gl_queue_label_image_async (GlQueue *queue, gint64 image_id, gint class_id, GlLabelOrigin origin,
                                 GAsyncReadyCallback callback, gpointer user_data);
void gl_queue_accept_async (GlQueue *queue, GAsyncReadyCallback callback, gpointer user_data);
/* @item is copied. */
void gl_queue_accept_image_async (GlQueue *queue, const GlQueueItem *item, GAsyncReadyCallback callback,
                                  gpointer user_data);
void gl_queue_skip_async (GlQueue *queue, GAsyncReadyCallback callback, gpointer user_data);
void gl_queue_undo_async (GlQueue *queue, GAsyncReadyCallback callback, gpointer user_data);
gboolean gl_queue_finish (GlQueue *queue, GAsyncResult *result, GError **error);
/* TRUE while asynchronous commands are waiting or being committed. */
gboolean gl_queue_is_busy (GlQueue *queue);

/* Arrows: moves over already-seen items (history). Back on a labeled item
 * shows it with its label; labeling it again replaces the label. Forward
 * past the end of the history continues with the ranking. FALSE when there
 * is nowhere to go. */
gboolean gl_queue_back (GlQueue *queue);
gboolean gl_queue_forward (GlQueue *queue);

/* Counters: human labels (any origin but reference) over readable pool
 * images, and labels per class (@per_class: n_classes entries, or NULL). */
guint64 gl_queue_get_n_labeled (GlQueue *queue);
guint64 gl_queue_get_n_total (GlQueue *queue);
guint gl_queue_get_n_classes (GlQueue *queue);
guint64 gl_queue_get_n_labeled_in_class (GlQueue *queue, guint class_id);
/* The class names in the order of the class ids the queue uses (every class
 * of the project, archived ones included, in position order; the model's
 * order too). NULL-terminated; free with g_strfreev. */
char **gl_queue_dup_class_names (GlQueue *queue);

/* Items left in the current ranking (after the current one). */
guint gl_queue_get_n_remaining (GlQueue *queue);

G_END_DECLS
