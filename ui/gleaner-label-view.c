/* gleaner-label-view.c — see gleaner-label-view.h. */
#include "gleaner-config.h"

#include "ui/gleaner-label-view.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "app/gl-decode.h"
#include "app/gl-label-errors.h"
#include "app/gl-path.h"
#include "app/gl-review.h"
#include "app/gl-session.h"
#include "ui/gleaner-image-area.h"
#include "ui/gleaner-meter.h"
#include "ui/gleaner-review-panel.h"

/* Images are enlarged by an integer factor to fit the space they have (this
 * many pixels until it is known), and shown without further scaling. */
#define IMAGE_TARGET_SIZE 480
#define STRIP_TARGET_SIZE 56
#define ACCEPT_MAX_CHARS 24u /* longer texts are ellipsized */
#define STRIP_LENGTH 8
/* Large textures decoded ahead of the current one. */
#define PREFETCH 3

/* Letters after the ten digits; S is Skip. */
static const char class_letters[] = "abcdefghijklmnopqrtuvwxyz";

struct _GleanerLabelView
{
  AdwBin parent_instance;

  /* template children */
  GtkInscription *name_label;
  GtkLabel *labeled_badge;
  GtkLabel *audit_badge;
  GtkStack *image_stack;
  GleanerImageArea *picture;
  GtkSpinner *ranking_spinner;
  GtkBox *strip_box;
  GtkFlowBox *classes_box;
  GtkButton *back_button;
  GtkButton *undo_button;
  GtkButton *skip_button;
  GtkButton *accept_button;
  GtkInscription *accept_label;
  GtkButton *forward_button;
  GtkGrid *predictions_grid;
  GtkLabel *no_model_label;
  GtkInscription *reason_label;
  GtkInscription *total_label;
  GleanerMeter *total_progress;
  GtkGrid *counts_grid;
  GleanerReviewPanel *review_panel;
  GtkLabel *review_status;
  GtkBox *detect_box;
  GtkProgressBar *detect_progress;
  GtkButton *review_button;
  GtkButton *detect_button;

  /* borrowed */
  GlProject *project;
  GlQueue *queue;

  /* owned */
  GlReview *review; /* suspected label errors of the project's current version, and their detection */
  gboolean reload_review; /* read the review again once its decisions are written (after leaving it) */
  gboolean told_missing;  /* a team project: said once that an image's file is not on this desktop */
  gboolean new_version;   /* a model version came while reviewing: read and check it after */
  gboolean counts_stale;  /* a review decision relabeled an image: the queue reads its counts when the review is left */
  char *review_note;      /* why the last check could not run (too few labels), or NULL */
  GlPixelMap *pixels;
  char **class_names;
  gunichar *keys; /* (n_classes) the key of each class, 0 = none */
  guint n_classes;
  guint h, w, c;
  GHashTable *large; /* image id → GdkTexture, the current and the next few */
  GHashTable *small; /* image id → GdkTexture, for the strip */
  GHashTable *originals; /* image id → GdkTexture decoded from the file (or NULL while decoding) */
  GCancellable *decoding; /* cancels every decode of the current project */
  GPtrArray *class_buttons;   /* (n_classes) GtkButton */
  GPtrArray *count_labels;    /* (n_classes) GtkInscription */
  /* Inscriptions and meters, not labels and progress bars: new text or a new
   * fraction only redraws them (see REST_TEXT). */
  GtkInscription *pred_names[GL_QUEUE_TOP_N];
  GleanerMeter *pred_bars[GL_QUEUE_TOP_N];
  GtkInscription *pred_values[GL_QUEUE_TOP_N];
  GtkWidget *strip_items[STRIP_LENGTH]; /* GleanerImageArea */
  gulong changed_id;
  GlQueueItem *opened; /* shown instead of the queue's item until labeled or left */
  guint image_target; /* the picture's size: large textures fit in it */
  guint resize_idle;
  guint rest_tick;          /* tick callback that makes the rest of an update (see schedule_rest) */
  gint64 rest_after_frame;  /* ... from this frame on */
  guint rest_pending;       /* RestPart: the parts still to make */
  guint rest_next;          /* the part to make first in the next frame (0..REST_N_PARTS-1) */
  guint count_chars;   /* the counts are as wide as a number of this many characters */
  guint prefetch_idle; /* makes the next images' textures after the frame is painted */
  GdkFrameClock *prefetch_clock; /* ... once it has painted (see schedule_prefetch) */
  gulong prefetch_paint_id;
  /* Commands (keys, buttons) run one at a time in the order given: while the
   * queue commits one, the next ones wait here. */
  GArray *commands;        /* Command */
  gboolean busy;           /* a command of this view is being committed */
  gboolean leave_when_done; /* ... on the image opened from the Gallery */
};

typedef enum
{
  CMD_LABEL,
  CMD_ACCEPT,
  CMD_SKIP,
  CMD_UNDO,
  CMD_BACK,
  CMD_FORWARD,
  CMD_LEAVE,
} CommandKind;

typedef struct
{
  CommandKind kind;
  guint class_id; /* CMD_LABEL */
} Command;

G_DEFINE_FINAL_TYPE (GleanerLabelView, gleaner_label_view, ADW_TYPE_BIN)

/* Values of the originals table may be NULL (a decode under way). */
static void
unref_if_set (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

gunichar
gleaner_label_view_class_key (guint index)
{
  if (index < 9)
    return '1' + index;
  if (index == 9)
    return '0';
  if (index - 10 < sizeof class_letters - 1)
    return (gunichar) class_letters[index - 10];
  return 0;
}

void
gleaner_label_view_assign_keys (const gunichar *custom, guint n, gunichar *keys)
{
  for (guint i = 0; i < n; i++)
    {
      gunichar key = custom[i] != 0 ? g_unichar_tolower (custom[i]) : gleaner_label_view_class_key (i);
      if (custom[i] == 0)
        for (guint j = 0; j < n && key != 0; j++)
          if (custom[j] != 0 && g_unichar_tolower (custom[j]) == key)
            key = 0;
      keys[i] = key;
    }
}

/* The class of a key press, or -1 (also for a known key of no class: -2). */
static int
class_for_key (GleanerLabelView *self, guint keyval)
{
  gunichar ch = g_unichar_tolower (gdk_keyval_to_unicode (keyval));

  if (ch == 0)
    return -1;
  for (guint i = 0; i < self->n_classes; i++)
    if (self->keys[i] == ch)
      return (int) i;
  /* A digit or letter that could name a class: not for other handlers. */
  return (ch >= '0' && ch <= '9') || strchr (class_letters, (int) ch) != NULL ? -2 : -1;
}

static char *
key_text (gunichar key)
{
  char buf[8] = { 0 };
  g_unichar_to_utf8 (g_unichar_toupper (key), buf);
  return g_strdup (buf);
}

/* ---- pixels to textures ---- */

static GdkTexture *
make_texture (GleanerLabelView *self, guint64 row, guint target)
{
  if (self->pixels == NULL || row >= gl_pixel_map_count (self->pixels))
    {
      /* Rows imported after the map was made: map again. */
      g_autoptr (GError) error = NULL;
      GlPixelMap *map = gl_project_map_pixels (self->project, &error);
      if (map == NULL)
        {
          g_warning ("%s", error->message);
          return NULL;
        }
      g_clear_pointer (&self->pixels, gl_pixel_map_free);
      self->pixels = map;
    }
  /* Read, not mapped: a map that lives as long as the view would keep every
   * row it ever showed resident. */
  g_autofree guint8 *src = g_malloc ((gsize) self->h * self->w * self->c);
  g_autoptr (GError) error = NULL;
  if (!gl_pixel_map_read_row (self->pixels, row, src, &error))
    {
      g_warning ("%s", error->message);
      return NULL;
    }
  return gleaner_image_area_texture_from_pixels (src, self->h, self->w, self->c, target);
}

static GdkTexture *
lookup_texture (GleanerLabelView *self, GHashTable *cache, const GlQueueItem *item, guint target)
{
  GdkTexture *texture = g_hash_table_lookup (cache, &item->image_id);

  if (texture == NULL)
    {
      gint64 *key = g_new (gint64, 1);
      *key = item->image_id;
      texture = make_texture (self, item->cache_row, target);
      if (texture == NULL)
        {
          g_free (key);
          return NULL;
        }
      g_hash_table_insert (cache, key, texture);
    }
  return texture;
}

/* Keeps only the textures of @keep (image ids). */
static void
trim_cache (GHashTable *cache, GHashTable *keep)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, cache);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (keep, key))
      g_hash_table_iter_remove (&iter);
}

/* ---- the original files ---- */

/* An image file is shown from the file itself (sharper than the model
 * input, and uncropped) once decoded on a worker thread; until then, and for
 * images unpacked from IDX files, from the model input. */
typedef struct
{
  gint64 image_id;
  char *path;
  guint target;
} DecodeJob;

static void
decode_job_free (DecodeJob *job)
{
  g_free (job->path);
  g_free (job);
}

static void
decode_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DecodeJob *job = task_data;
  g_autofree guint8 *contents = NULL;
  g_autofree char *reason = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  gsize len = 0;
  int w, h, side;

  g_autofree char *file = gl_path_decode (job->path); /* stored text → the file name's bytes */
  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s", job->path);
      return;
    }
  if (!gl_decode_read_file (file, &contents, &len, &reason)
      || (pixbuf = gl_decode_bytes (contents, len, job->target, &reason)) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", job->path, reason);
      return;
    }
  /* Small images: enlarged pixel for pixel by an integer factor. */
  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  side = MAX (w, h);
  if (side > 0 && (guint) side * 2 <= job->target)
    {
      int factor = (int) job->target / side;
      GdkPixbuf *big = gdk_pixbuf_scale_simple (pixbuf, w * factor, h * factor, GDK_INTERP_NEAREST);
      g_object_unref (pixbuf);
      pixbuf = big;
    }
  g_task_return_pointer (task, gdk_texture_new_for_pixbuf (pixbuf), g_object_unref);
}


static void toast (GleanerLabelView *self, const char *text);

static void
decode_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GleanerLabelView *self = GLEANER_LABEL_VIEW (source);
  DecodeJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  GdkTexture *texture = g_task_propagate_pointer (G_TASK (result), &error);
  const GlQueueItem *item;

  if (texture == NULL)
    {
      /* The model input stays on screen; a file that changed since the import
       * is not an error of the labeling. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("%s", error->message);
      /* A team project whose images are elsewhere on this desktop: said once, by name, with the way out. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) && self->project != NULL
          && gl_project_is_team (self->project) && !self->told_missing)
        {
          g_autofree char *text = g_strdup_printf (_("%s is not on this desktop: labeling from the model input "
                                                     "(gleaner-cli team set-prefix maps its folder)"),
                                                   error->message);
          self->told_missing = TRUE;
          toast (self, text);
        }
      return;
    }
  if (!g_hash_table_contains (self->originals, &job->image_id))
    {
      g_object_unref (texture); /* no longer wanted */
      return;
    }
  g_hash_table_replace (self->originals, g_memdup2 (&job->image_id, sizeof job->image_id), texture);
  item = self->queue != NULL ? gl_queue_get_current (self->queue) : NULL;
  if (item != NULL && item->image_id == job->image_id)
    gleaner_image_area_set_texture (self->picture, texture);
}

static gboolean
has_own_file (const GlQueueItem *item)
{
  /* IDX items are stored as FILE#INDEX and live only in the pixel cache. */
  return item->path != NULL && g_path_is_absolute (item->path) && strchr (item->path, '#') == NULL;
}

/* The decoded original of @item, or NULL (then a decode is started). */
static GdkTexture *
lookup_original (GleanerLabelView *self, const GlQueueItem *item)
{
  g_autoptr (GTask) task = NULL;
  DecodeJob *job;

  if (!has_own_file (item))
    return NULL;
  if (g_hash_table_contains (self->originals, &item->image_id))
    return g_hash_table_lookup (self->originals, &item->image_id);

  g_hash_table_insert (self->originals, g_memdup2 (&item->image_id, sizeof item->image_id), NULL);
  job = g_new0 (DecodeJob, 1);
  job->image_id = item->image_id;
  job->path = gl_project_local_path (self->project, item->path); /* a team project: this desktop's folder */
  job->target = self->image_target;
  task = g_task_new (self, self->decoding, decode_done_cb, NULL);
  g_task_set_source_tag (task, lookup_original);
  g_task_set_task_data (task, job, (GDestroyNotify) decode_job_free);
  g_task_run_in_thread (task, decode_thread);
  return NULL;
}

/* ---- showing the queue ---- */

static void
toast (GleanerLabelView *self, const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_warning ("%s", text);
}

/* A key that found no image to act on: never dropped without a word. The
 * queue has an image whenever an unlabeled one is left (gl-queue.h), so this
 * is the end of the work or a store that cannot be read. */
static void
say_no_image (GleanerLabelView *self)
{
  gtk_widget_error_bell (GTK_WIDGET (self));
  if (gl_queue_get_n_labeled (self->queue) >= gl_queue_get_n_total (self->queue))
    toast (self, _("Every image is labeled: there is no image for this key"));
  else
    toast (self, _("No image to label: the project's images cannot be read now"));
}

static void
show_error (GleanerLabelView *self, const GError *error)
{
  if (g_error_matches (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_EMPTY))
    {
      say_no_image (self);
      return;
    }
  /* Nothing to undo, rather than a failure: say it quietly. */
  if (g_error_matches (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_NOTHING))
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  toast (self, error->message);
}

static const char *
class_name (GleanerLabelView *self, gint class_id)
{
  if (class_id >= 0 && (guint) class_id < self->n_classes)
    return self->class_names[class_id];
  return "?";
}

static void
rebuild_classes (GleanerLabelView *self);

/* @text's width in @widget's font: an inscription reserves its characters'
 * average width, which cuts "100%" or "1,234,567" on the left. */
static int
text_width (GtkWidget *widget, const char *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int width = 0;

  pango_layout_get_pixel_size (layout, &width, NULL);
  g_object_unref (layout);
  return width;
}

/* The Accept button as wide as its longest text (up to ACCEPT_MAX_CHARS
 * characters), so that another class only redraws it (see REST_CONTROLS);
 * the percentages as wide as "100%". Measured in the widgets' fonts, so again
 * once the view is shown (its style is known then). */
static void
fit_widths (GleanerLabelView *self)
{
  int widest = text_width (GTK_WIDGET (self->accept_label), _("Accept"));

  for (guint i = 0; i < self->n_classes; i++)
    {
      g_autofree char *text = g_strdup_printf (_("Accept %s"), self->class_names[i]);
      g_autofree char *cut = g_utf8_substring (text, 0, MIN ((glong) ACCEPT_MAX_CHARS, g_utf8_strlen (text, -1)));
      widest = MAX (widest, text_width (GTK_WIDGET (self->accept_label), cut));
    }
  gtk_widget_set_size_request (GTK_WIDGET (self->accept_label), widest, -1);
  for (guint i = 0; i < GL_QUEUE_TOP_N; i++)
    gtk_widget_set_size_request (GTK_WIDGET (self->pred_values[i]),
                                 text_width (GTK_WIDGET (self->pred_values[i]), "100%"), -1);
  self->count_chars = 0; /* the counts' width: see update_counters */
}

static void
update_counters (GleanerLabelView *self)
{
  guint64 labeled = gl_queue_get_n_labeled (self->queue);
  guint64 total = gl_queue_get_n_total (self->queue);
  g_autofree char *text = g_strdup_printf (_("%'" G_GUINT64_FORMAT " of %'" G_GUINT64_FORMAT " labeled"), labeled,
                                           total);

  gtk_inscription_set_text (self->total_label, text);
  /* Every count as wide as the total written out (a layout only when the
   * total gains a digit or a separator). */
  {
    g_autofree char *widest = g_strdup_printf ("%'" G_GUINT64_FORMAT, total);
    guint chars = (guint) strlen (widest);
    if (chars != self->count_chars)
      {
        self->count_chars = chars;
        for (guint i = 0; i < self->count_labels->len; i++)
          {
            GtkWidget *count = g_ptr_array_index (self->count_labels, i);
            gtk_widget_set_size_request (count, text_width (count, widest), -1);
          }
      }
  }
  gleaner_meter_set_fraction (self->total_progress, total > 0 ? (double) labeled / (double) total : 0.0);
  for (guint i = 0; i < self->n_classes; i++)
    {
      g_autofree char *n = g_strdup_printf ("%'" G_GUINT64_FORMAT, gl_queue_get_n_labeled_in_class (self->queue, i));
      gtk_inscription_set_text (g_ptr_array_index (self->count_labels, i), n);
    }
}

/* Tooltips that change with every image are made when asked for: setting
 * one on a shown widget makes GTK query the tooltip again at once, where the
 * pointer is included; nine of them were most of the view's update after a
 * label (1.2 → 0.25 ms median, bench-gui on a loaded machine). */
#define TOOLTIP_KEY "gleaner-tooltip"

static gboolean
on_query_lazy_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, gpointer data)
{
  const char *text = g_object_get_data (G_OBJECT (widget), TOOLTIP_KEY);

  if (text == NULL || *text == '\0')
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
init_lazy_tooltip (GtkWidget *widget)
{
  gtk_widget_set_has_tooltip (widget, TRUE);
  g_signal_connect (widget, "query-tooltip", G_CALLBACK (on_query_lazy_tooltip), NULL);
}

static void
set_lazy_tooltip (GtkWidget *widget, const char *text)
{
  g_object_set_data_full (G_OBJECT (widget), TOOLTIP_KEY, g_strdup (text), g_free);
}

static void
update_strip (GleanerLabelView *self, GPtrArray *next, GHashTable *keep_small)
{
  /* No "Up next" over nothing. */
  gtk_widget_set_visible (GTK_WIDGET (self->strip_box), next->len > 0);
  for (guint i = 0; i < STRIP_LENGTH; i++)
    {
      GtkWidget *item = self->strip_items[i];
      if (i < next->len)
        {
          const GlQueueItem *q = g_ptr_array_index (next, i);
          GdkTexture *texture = lookup_texture (self, self->small, q, STRIP_TARGET_SIZE);
          gleaner_image_area_set_texture (GLEANER_IMAGE_AREA (item), texture);
          set_lazy_tooltip (item, q->reason_text);
          gtk_widget_set_visible (item, texture != NULL);
          g_hash_table_add (keep_small, g_memdup2 (&q->image_id, sizeof q->image_id));
        }
      else
        {
          gleaner_image_area_set_texture (GLEANER_IMAGE_AREA (item), NULL);
          gtk_widget_set_visible (item, FALSE);
        }
    }
}

static void
update_predictions (GleanerLabelView *self, const GlQueueItem *item)
{
  for (guint i = 0; i < GL_QUEUE_TOP_N; i++)
    {
      gboolean shown = item != NULL && i < item->n_top;
      gtk_widget_set_visible (GTK_WIDGET (self->pred_names[i]), shown);
      gtk_widget_set_visible (GTK_WIDGET (self->pred_bars[i]), shown);
      gtk_widget_set_visible (GTK_WIDGET (self->pred_values[i]), shown);
      if (shown)
        {
          g_autofree char *percent = g_strdup_printf ("%.0f%%", 100.0 * item->top_prob[i]);
          g_autofree char *name = NULL;
          gint k = item->top_class[i];
          gunichar key = k >= 0 && (guint) k < self->n_classes ? self->keys[k] : 0;
          g_autofree char *keybuf = key_text (key);

          name = key != 0 ? g_strdup_printf ("%s  %s", keybuf, class_name (self, k)) : g_strdup (class_name (self, k));
          gtk_inscription_set_text (self->pred_names[i], name);
          gleaner_meter_set_fraction (self->pred_bars[i], item->top_prob[i]);
          gtk_inscription_set_text (self->pred_values[i], percent);
        }
    }
  gtk_widget_set_visible (GTK_WIDGET (self->no_model_label), item != NULL && item->n_top == 0);
}

/* One texture per call, at idle priority (after the frame clock's paint,
 * which runs at a higher one): the next PREFETCH items of the queue. */
static gboolean
prefetch_idle_cb (gpointer user_data)
{
  GleanerLabelView *self = user_data;
  g_autoptr (GPtrArray) next = NULL;

  if (self->queue == NULL)
    {
      self->prefetch_idle = 0;
      return G_SOURCE_REMOVE;
    }
  next = gl_queue_peek (self->queue, PREFETCH);
  for (guint i = 0; i < next->len; i++)
    {
      const GlQueueItem *q = g_ptr_array_index (next, i);
      if (!has_own_file (q) && g_hash_table_contains (self->large, &q->image_id))
        continue;
      if (has_own_file (q) && g_hash_table_contains (self->originals, &q->image_id))
        continue;
      /* A file is decoded on a worker; the model input is shown meanwhile. */
      if (lookup_original (self, q) == NULL)
        lookup_texture (self, self->large, q, self->image_target);
      return G_SOURCE_CONTINUE;
    }
  self->prefetch_idle = 0;
  return G_SOURCE_REMOVE;
}

/* What a key press changes is painted over six frames. The first shows only
 * the next image: a texture set on an image area, which needs no layout. The
 * rest follows one part per frame (16 ms apart): the image's name and badges
 * and the model's top classes; the controls (the class buttons' marks, the
 * Accept button's class); why the image was queued; the counters; the strip
 * of next images. Every text that changes with the image is a GtkInscription
 * and every bar a GleanerMeter, whose size does not follow their content, so
 * that these frames need no layout either (a badge or a class button made
 * insensitive still does). GTK's frame clock adds a frame's length to its interval,
 * and each widget that changes costs layout and paint time in the frame that
 * shows it: all of them in one frame made it 3-4 ms long, past 20 ms
 * (bench-gui --frames-log, Xvfb). A frame with any layout also waits for the
 * X server (GTK 4.8 asks it for the work area, about 0.5 ms here), so the
 * frame of the image has none. Parts run in turn, so keys faster than frames
 * still get every part painted at least every fifth frame; an odd number of
 * parts, so that going back and forth between two images in every frame
 * still paints each part for both. */
typedef enum
{
  REST_TEXT = 1 << 0,
  REST_CONTROLS = 1 << 1,
  REST_REASON = 1 << 2,
  REST_COUNTERS = 1 << 3,
  REST_STRIP = 1 << 4,
  REST_N_PARTS = 5,
  REST_ALL = REST_TEXT | REST_CONTROLS | REST_REASON | REST_COUNTERS | REST_STRIP,
} RestPart;

static void update_rest (GleanerLabelView *self, guint parts);

static gboolean
rest_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  GleanerLabelView *self = GLEANER_LABEL_VIEW (widget);

  /* Not in the frame that paints the first part. */
  if (gdk_frame_clock_get_frame_counter (clock) < self->rest_after_frame)
    return G_SOURCE_CONTINUE;
  for (guint i = 0; i < REST_N_PARTS; i++)
    {
      guint part = 1u << ((self->rest_next + i) % REST_N_PARTS);
      if (self->rest_pending & part)
        {
          self->rest_pending &= ~part;
          self->rest_next = (self->rest_next + i + 1) % REST_N_PARTS;
          update_rest (self, part);
          break;
        }
    }
  if (self->rest_pending != 0)
    return G_SOURCE_CONTINUE;
  self->rest_tick = 0;
  return G_SOURCE_REMOVE;
}

static void
schedule_rest (GleanerLabelView *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  /* Not shown: no frames to spread over. */
  if (clock == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      if (self->rest_tick != 0)
        gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->rest_tick);
      self->rest_tick = 0;
      self->rest_pending = 0;
      update_rest (self, REST_ALL);
      return;
    }
  /* Outside a frame the counter is the last frame's; the next frame paints
   * the first part, and the ones after it the rest. Parts already under way
   * go on from the next frame: updates in every frame (a held arrow key)
   * would otherwise put them off for as long as they come. */
  self->rest_pending = REST_ALL;
  if (self->rest_tick == 0)
    {
      self->rest_next = 0; /* the text first */
      self->rest_after_frame = gdk_frame_clock_get_frame_counter (clock) + 2;
      self->rest_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), rest_tick_cb, NULL, NULL);
    }
}

static void
stop_prefetch_hook (GleanerLabelView *self)
{
  /* A clock disposed with its window has dropped its handlers already. */
  if (self->prefetch_clock != NULL && g_signal_handler_is_connected (self->prefetch_clock, self->prefetch_paint_id))
    g_signal_handler_disconnect (self->prefetch_clock, self->prefetch_paint_id);
  self->prefetch_paint_id = 0;
  g_clear_object (&self->prefetch_clock);
}

static void
on_prefetch_after_paint (GdkFrameClock *clock, GleanerLabelView *self)
{
  stop_prefetch_hook (self);
  if (self->prefetch_idle == 0)
    self->prefetch_idle = g_idle_add (prefetch_idle_cb, self);
}

/* The next images' textures are made once the frame that shows this update
 * is painted, so that the next key shows one at once, and neither the key
 * press nor the frame after it waits for one (an idle added now would run
 * before that frame begins). */
static void
schedule_prefetch (GleanerLabelView *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (self->prefetch_clock != NULL
      && (self->prefetch_clock != clock || !g_signal_handler_is_connected (self->prefetch_clock, self->prefetch_paint_id)))
    stop_prefetch_hook (self); /* a clock of another window, or one that is gone */
  if (self->prefetch_idle != 0 || self->prefetch_clock != NULL)
    return;
  if (clock == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->prefetch_idle = g_idle_add (prefetch_idle_cb, self);
      return;
    }
  self->prefetch_clock = g_object_ref (clock);
  self->prefetch_paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_prefetch_after_paint), self);
}

static const GlQueueItem *
shown_item (GleanerLabelView *self)
{
  return self->opened != NULL ? self->opened : gl_queue_get_current (self->queue);
}

static void
update (GleanerLabelView *self)
{
  const GlQueueItem *item;

  if (self->queue == NULL)
    return;
  if (gl_queue_get_n_classes (self->queue) != self->n_classes)
    rebuild_classes (self);

  item = shown_item (self);
  if (item != NULL)
    {
      GdkTexture *original = lookup_original (self, item);
      GdkTexture *texture = original != NULL ? original : lookup_texture (self, self->large, item, self->image_target);

      gleaner_image_area_set_texture (self->picture, texture);
      gtk_stack_set_visible_child_name (self->image_stack, "image");
      gtk_spinner_stop (self->ranking_spinner);
    }
  else
    {
      gboolean ranking = gl_queue_needs_ranking (self->queue);
      gleaner_image_area_set_texture (self->picture, NULL);
      gtk_stack_set_visible_child_name (self->image_stack, ranking ? "ranking" : "empty");
      if (ranking)
        gtk_spinner_start (self->ranking_spinner);
      else
        gtk_spinner_stop (self->ranking_spinner);
    }
  schedule_rest (self);
  schedule_prefetch (self);
}

/* The shown image's name and badges, and the model's top classes. */
static void
update_text (GleanerLabelView *self, const GlQueueItem *item)
{
  g_autofree char *base = item != NULL ? g_path_get_basename (item->path) : NULL;

  gtk_inscription_set_text (self->name_label, base);
  set_lazy_tooltip (GTK_WIDGET (self->name_label), item != NULL ? item->path : NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  base != NULL ? base : "", -1);
  gtk_widget_set_visible (GTK_WIDGET (self->audit_badge), item != NULL && item->audit);
  if (item != NULL && item->label >= 0)
    {
      g_autofree char *text = g_strdup_printf (_("Labeled %s"), class_name (self, item->label));
      gtk_label_set_text (self->labeled_badge, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->labeled_badge), item != NULL && item->label >= 0);
  update_predictions (self, item);
}

static void
update_controls (GleanerLabelView *self, const GlQueueItem *item)
{
  gint accept_class = item == NULL ? -1 : item->suggested_class >= 0 ? item->suggested_class
                                        : item->n_top > 0          ? item->top_class[0]
                                                                   : -1;

  if (accept_class >= 0)
    {
      g_autofree char *text = g_strdup_printf (_("Accept %s"), class_name (self, accept_class));
      gtk_inscription_set_text (self->accept_label, text);
    }
  else
    gtk_inscription_set_text (self->accept_label, _("Accept"));
  for (guint i = 0; i < self->n_classes; i++)
    {
      GtkWidget *button = g_ptr_array_index (self->class_buttons, i);
      gtk_widget_set_sensitive (button, item != NULL);
      if (accept_class == (gint) i)
        gtk_widget_add_css_class (button, "predicted");
      else
        gtk_widget_remove_css_class (button, "predicted");
      if (item != NULL && item->label == (gint) i)
        gtk_widget_add_css_class (button, "current-label");
      else
        gtk_widget_remove_css_class (button, "current-label");
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->accept_button), accept_class >= 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->skip_button), item != NULL);
}

/* The strip of next images, and the textures kept: the shown image's, the
 * strip's, and the next few large ones (see prefetch_idle_cb). */
static void
update_strip_and_caches (GleanerLabelView *self, const GlQueueItem *item)
{
  g_autoptr (GPtrArray) next = gl_queue_peek (self->queue, STRIP_LENGTH);
  g_autoptr (GHashTable) keep_large = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr (GHashTable) keep_small = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  update_strip (self, next, keep_small);
  if (item != NULL)
    g_hash_table_add (keep_large, g_memdup2 (&item->image_id, sizeof item->image_id));
  for (guint i = 0; i < next->len && i < PREFETCH; i++)
    {
      const GlQueueItem *q = g_ptr_array_index (next, i);
      g_hash_table_add (keep_large, g_memdup2 (&q->image_id, sizeof q->image_id));
    }
  trim_cache (self->large, keep_large);
  trim_cache (self->originals, keep_large);
  trim_cache (self->small, keep_small);
}

static void
update_rest (GleanerLabelView *self, guint parts)
{
  const GlQueueItem *item;

  if (self->queue == NULL)
    return;
  item = shown_item (self);
  if (parts & REST_TEXT)
    update_text (self, item);
  if (parts & REST_CONTROLS)
    update_controls (self, item);
  if (parts & REST_REASON)
    {
      const char *reason = item != NULL ? item->reason_text : NULL;
      gtk_inscription_set_text (self->reason_label, reason);
      set_lazy_tooltip (GTK_WIDGET (self->reason_label), reason); /* in full: two lines are shown */
      gtk_widget_set_visible (GTK_WIDGET (self->reason_label), reason != NULL);
    }
  if (parts & REST_COUNTERS)
    update_counters (self);
  if (parts & REST_STRIP)
    update_strip_and_caches (self, item);
}

/* Back to the queue's order from an image opened from the Gallery. */
static gboolean
leave_opened (GleanerLabelView *self)
{
  if (self->opened == NULL)
    return FALSE;
  g_clear_pointer (&self->opened, gl_queue_item_free);
  update (self);
  return TRUE;
}

static void run_waiting (GleanerLabelView *self);
static void give_command (GleanerLabelView *self, CommandKind kind, guint class_id);

/* The queue calls back once the command is committed (or failed): only then
 * does the view move on (on "changed"), and the next command runs. */
static void
command_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GleanerLabelView) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = gl_queue_finish (GL_QUEUE (source), result, &error);

  /* A command of a queue the view has let go of since. */
  if (GL_QUEUE (source) != self->queue)
    return;
  self->busy = FALSE;
  if (!ok)
    show_error (self, error);
  else if (self->leave_when_done)
    leave_opened (self);
  self->leave_when_done = FALSE;
  run_waiting (self);
}

/* The callback data of a command given to the queue. */
static gpointer
start_command (GleanerLabelView *self, gboolean on_opened)
{
  self->busy = TRUE;
  self->leave_when_done = on_opened;
  return g_object_ref (self);
}

static void
label_class (GleanerLabelView *self, guint class_id)
{
  if (self->opened != NULL)
    gl_queue_label_image_async (self->queue, self->opened->image_id, (gint) class_id, GL_LABEL_ORIGIN_HUMAN,
                                command_done_cb, start_command (self, TRUE));
  else if (gl_queue_get_current (self->queue) != NULL)
    gl_queue_label_async (self->queue, (gint) class_id, GL_LABEL_ORIGIN_HUMAN, command_done_cb,
                          start_command (self, FALSE));
  else
    say_no_image (self);
}

void
gleaner_label_view_show_image (GleanerLabelView *self, gint64 image_id, const char *path, gint64 cache_row,
                               gint label)
{
  g_autoptr (GError) error = NULL;
  GlQueueItem *item;

  g_return_if_fail (GLEANER_IS_LABEL_VIEW (self));
  g_return_if_fail (path != NULL);
  if (self->queue == NULL || cache_row < 0)
    return;
  /* With the model's predictions and a rule's suggestion, as in the queue. */
  item = gl_queue_describe_image (self->queue, image_id, &error);
  if (item == NULL)
    {
      g_debug ("%s", error->message);
      item = g_new0 (GlQueueItem, 1);
      item->image_id = image_id;
      item->cache_row = (guint64) cache_row;
      item->path = g_strdup (path);
      item->score = NAN;
      item->suggested_class = -1;
      item->label = label;
    }
  item->reason = GL_QUEUE_REASON_SEEN;
  item->audit = FALSE;
  g_free (item->reason_text);
  item->reason_text = g_strdup (_("opened from the Gallery: a class key labels it, S or Right goes back to the queue"));
  g_clear_pointer (&self->opened, gl_queue_item_free);
  self->opened = item;
  update (self);
}

static void
on_class_button_clicked_cb (GtkButton *button, GleanerLabelView *self)
{
  give_command (self, CMD_LABEL, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "class-id")));
}

static void
clear_children (GtkWidget *widget)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (widget)) != NULL)
    {
      if (GTK_IS_FLOW_BOX (widget))
        gtk_flow_box_remove (GTK_FLOW_BOX (widget), child);
      else if (GTK_IS_GRID (widget))
        gtk_grid_remove (GTK_GRID (widget), child);
      else
        gtk_widget_unparent (child);
    }
}

static void
rebuild_classes (GleanerLabelView *self)
{
  clear_children (GTK_WIDGET (self->classes_box));
  clear_children (GTK_WIDGET (self->counts_grid));
  g_ptr_array_set_size (self->class_buttons, 0);
  g_ptr_array_set_size (self->count_labels, 0);
  g_clear_pointer (&self->class_names, g_strfreev);
  self->n_classes = 0;
  if (self->queue == NULL)
    return;

  self->class_names = gl_queue_dup_class_names (self->queue);
  self->n_classes = g_strv_length (self->class_names);
  /* Up to five buttons a line, as wide as the image's column together: a
   * few classes fill one line rather than leaving a gap on the right. */
  gtk_flow_box_set_max_children_per_line (self->classes_box, CLAMP (self->n_classes, 2u, 5u));
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) classes = gl_session_list_classes (self->project, &error);
    g_autofree gunichar *custom = g_new0 (gunichar, MAX (1u, self->n_classes));

    if (classes == NULL)
      g_warning ("%s", error->message);
    /* The same order as the queue's class ids (gl-session.h). */
    else if (classes->len == self->n_classes)
      for (guint i = 0; i < self->n_classes; i++)
        custom[i] = ((GlSessionClass *) g_ptr_array_index (classes, i))->shortcut;
    g_free (self->keys);
    self->keys = g_new0 (gunichar, MAX (1u, self->n_classes));
    gleaner_label_view_assign_keys (custom, self->n_classes, self->keys);
    /* Review mode relabels with the same keys (by class id). */
    gleaner_review_panel_set_classes (self->review_panel,
                                      classes != NULL && classes->len == self->n_classes ? classes : NULL,
                                      self->keys);
  }
  fit_widths (self);
  for (guint i = 0; i < self->n_classes; i++)
    {
      GtkWidget *button = gtk_button_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *name = gtk_label_new (self->class_names[i]);
      GtkWidget *count = gtk_inscription_new ("0");
      GtkWidget *count_name = gtk_label_new (self->class_names[i]);
      gunichar key = self->keys[i];

      if (key != 0)
        {
          g_autofree char *keybuf = key_text (key);
          GtkWidget *cap = gtk_label_new (keybuf);
          gtk_widget_add_css_class (cap, "keycap");
          gtk_box_append (GTK_BOX (box), cap);
        }
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_label_set_xalign (GTK_LABEL (name), 0.0f);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_box_append (GTK_BOX (box), name);
      gtk_button_set_child (GTK_BUTTON (button), box);
      gtk_widget_add_css_class (button, "class-button");
      gtk_widget_set_tooltip_text (button, self->class_names[i]);
      g_object_set_data (G_OBJECT (button), "class-id", GUINT_TO_POINTER (i));
      g_signal_connect (button, "clicked", G_CALLBACK (on_class_button_clicked_cb), self);
      gtk_flow_box_append (self->classes_box, button);
      /* Keys do the work; the buttons must not take the focus from them. */
      gtk_widget_set_focus_on_click (button, FALSE);
      g_ptr_array_add (self->class_buttons, button);

      gtk_label_set_xalign (GTK_LABEL (count_name), 0.0f);
      gtk_label_set_ellipsize (GTK_LABEL (count_name), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (count_name, TRUE);
      gtk_inscription_set_xalign (GTK_INSCRIPTION (count), 1.0f);
      gtk_widget_add_css_class (count, "counter");
      gtk_widget_add_css_class (count, "dim-label");
      gtk_grid_attach (self->counts_grid, count_name, 0, (int) i, 1, 1);
      gtk_grid_attach (self->counts_grid, count, 1, (int) i, 1, 1);
      g_ptr_array_add (self->count_labels, count);
    }
}

/* ---- review mode (issue 14) ---- */

/* The view's child: "label" or "review". Not a bound template child: the
 * template's own child is unparented by AdwBin, and
 * gtk_widget_dispose_template would unparent it a second time. */
static GtkStack *
mode_stack (GleanerLabelView *self)
{
  return GTK_STACK (adw_bin_get_child (ADW_BIN (self)));
}

/* The "Label Errors" part of the side column: what the current version's
 * check found, the way into review mode, and the check itself (progress and
 * Cancel while it runs; it never blocks: app/gl-review.h). */
static void
update_review_entry (GleanerLabelView *self)
{
  const GlDbLabelErrorRun *run = NULL;
  gboolean detecting = self->review != NULL && gl_review_is_detecting (self->review);
  gboolean has_model = self->review != NULL && gl_review_get_model_id (self->review) > 0;
  gboolean has_run = self->review != NULL && gl_review_has_detection (self->review, &run);
  guint left = self->review != NULL
                   ? gl_review_get_n_suspected (self->review) - gl_review_get_position (self->review)
                   : 0;
  g_autofree char *status = NULL;

  if (detecting)
    status = g_strdup (_("Checking the labels with 5-fold cross-validation…"));
  else if (!has_model)
    status = g_strdup (_("Checked once the model has trained."));
  else if (!has_run && self->review_note != NULL)
    status = g_strdup_printf (_("Not checked: %s."), self->review_note);
  else if (!has_run)
    status = g_strdup (_("Not checked for this model version."));
  else
    status = g_strdup_printf (ngettext ("%u of %'" G_GUINT64_FORMAT " labels suspected of being wrong.",
                                        "%u of %'" G_GUINT64_FORMAT " labels suspected of being wrong.", left),
                              left, run->n_labels);
  gtk_label_set_text (self->review_status, status);
  gtk_widget_set_visible (GTK_WIDGET (self->detect_box), detecting);
  if (detecting)
    {
      double fraction = gl_review_get_detect_fraction (self->review);
      if (fraction >= 0)
        gtk_progress_bar_set_fraction (self->detect_progress, fraction);
      else
        gtk_progress_bar_pulse (self->detect_progress);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->review_button), has_run && left > 0);
  if (has_run && left > 0)
    {
      g_autofree char *text = g_strdup_printf (_("Review Suspected Errors (%u)"), left);
      gtk_button_set_label (self->review_button, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->detect_button), has_model && !detecting);
  gtk_button_set_label (self->detect_button, has_run ? _("Check Again") : _("Find Label Errors"));
}

static void reload_review_when_idle (GleanerLabelView *self);

static void
on_review_changed_cb (GleanerLabelView *self)
{
  if (self->reload_review)
    reload_review_when_idle (self);
  update_review_entry (self);
}

/* Too few labels for the check is the normal state of a young project: said
 * in the status line, not in a toast. */
static void
on_review_failed_cb (GleanerLabelView *self, const GError *error, GlReview *review)
{
  if (g_error_matches (error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_NO_LABELS))
    {
      g_free (self->review_note);
      self->review_note = g_strdup (error->message);
      update_review_entry (self);
      return;
    }
  g_autofree char *text = g_strdup_printf (_("Label errors: %s"), error->message);
  toast (self, text);
}

/* A relabel changes the counts per class: the queue reads them again once
 * the review is left (one read, not one per decision). */
static void
on_review_decided_cb (GleanerLabelView *self, gint64 image_id, gint64 class_id, GlReview *review)
{
  g_autoptr (GError) error = NULL;

  if (class_id < 0)
    return;
  self->counts_stale = TRUE;
  /* Written after the review was left: read at once. */
  if (!gleaner_label_view_is_reviewing (self) && self->queue != NULL)
    {
      self->counts_stale = FALSE;
      if (!gl_queue_reload (self->queue, &error))
        toast (self, error->message);
    }
}

/* The review of @project (NULL: none); the old one lets go of its project. */
static void
set_review (GleanerLabelView *self, GlProject *project)
{
  g_autoptr (GError) error = NULL;

  if (mode_stack (self) != NULL)
    gtk_stack_set_visible_child_name (mode_stack (self), "label");
  self->reload_review = self->new_version = self->counts_stale = FALSE;
  g_clear_pointer (&self->review_note, g_free);
  gleaner_review_panel_set_review (self->review_panel, NULL, NULL);
  if (self->review != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->review, self);
      gl_review_close (self->review);
      g_clear_object (&self->review);
    }
  if (project != NULL)
    {
      self->review = gl_review_new (project);
      g_signal_connect_swapped (self->review, "changed", G_CALLBACK (on_review_changed_cb), self);
      g_signal_connect_swapped (self->review, "failed", G_CALLBACK (on_review_failed_cb), self);
      g_signal_connect_swapped (self->review, "decided", G_CALLBACK (on_review_decided_cb), self);
      if (!gl_review_reload (self->review, &error))
        g_warning ("label errors: %s", error->message);
      gleaner_review_panel_set_review (self->review_panel, project, self->review);
    }
  update_review_entry (self);
}

void
gleaner_label_view_new_version (GleanerLabelView *self)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (GLEANER_IS_LABEL_VIEW (self));
  if (self->review == NULL)
    return;
  /* Not under the annotator's hands: a walk under way goes on with what it
   * read, and the new version is read when it ends. */
  if (gleaner_label_view_is_reviewing (self))
    {
      self->new_version = TRUE;
      return;
    }
  self->new_version = FALSE;
  g_clear_pointer (&self->review_note, g_free);
  if (!gl_review_reload (self->review, &error))
    {
      toast (self, error->message);
      return;
    }
  /* Checked in the background after each round (below every normal thread). */
  if (gl_review_get_model_id (self->review) > 0 && !gl_review_has_detection (self->review, NULL)
      && !gl_review_is_detecting (self->review))
    gl_review_detect (self->review);
}

gboolean
gleaner_label_view_start_review (GleanerLabelView *self)
{
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (GLEANER_IS_LABEL_VIEW (self), FALSE);
  if (self->review == NULL || !gl_review_has_detection (self->review, NULL))
    return FALSE;
  /* From the most likely again: skipped ones come back. */
  if (!gl_review_reload (self->review, &error))
    {
      toast (self, error->message);
      return FALSE;
    }
  gtk_stack_set_visible_child_name (mode_stack (self), "review");
  return TRUE;
}

/* The count beside the way in: skipped images are suspected again, decided
 * ones not; read again once the decisions given are written. */
static void
reload_review_when_idle (GleanerLabelView *self)
{
  g_autoptr (GError) error = NULL;

  if (self->review == NULL || gleaner_label_view_is_reviewing (self))
    return;
  if (gl_review_is_busy (self->review))
    {
      self->reload_review = TRUE;
      return;
    }
  self->reload_review = FALSE;
  if (!gl_review_reload (self->review, &error))
    toast (self, error->message);
}

void
gleaner_label_view_leave_review (GleanerLabelView *self)
{
  g_return_if_fail (GLEANER_IS_LABEL_VIEW (self));
  if (!gleaner_label_view_is_reviewing (self))
    return;
  gtk_stack_set_visible_child_name (mode_stack (self), "label");
  if (self->counts_stale && self->queue != NULL)
    {
      g_autoptr (GError) error = NULL;
      self->counts_stale = FALSE;
      if (!gl_queue_reload (self->queue, &error))
        toast (self, error->message);
    }
  if (self->new_version)
    gleaner_label_view_new_version (self);
  reload_review_when_idle (self);
  update_review_entry (self);
}

gboolean
gleaner_label_view_is_reviewing (GleanerLabelView *self)
{
  g_return_val_if_fail (GLEANER_IS_LABEL_VIEW (self), FALSE);
  return mode_stack (self) != NULL && g_strcmp0 (gtk_stack_get_visible_child_name (mode_stack (self)), "review") == 0;
}

GlReview *
gleaner_label_view_get_review (GleanerLabelView *self)
{
  g_return_val_if_fail (GLEANER_IS_LABEL_VIEW (self), NULL);
  return self->review;
}

static void on_review_button_clicked_cb (GleanerLabelView *self) { gleaner_label_view_start_review (self); }
static void on_review_panel_leave_cb (GleanerLabelView *self) { gleaner_label_view_leave_review (self); }

static void
on_detect_button_clicked_cb (GleanerLabelView *self)
{
  if (self->review != NULL)
    gl_review_detect (self->review);
}

static void
on_detect_cancel_button_clicked_cb (GleanerLabelView *self)
{
  if (self->review != NULL)
    gl_review_cancel_detection (self->review);
}

void
gleaner_label_view_set_queue (GleanerLabelView *self, GlProject *project, GlQueue *queue)
{
  g_return_if_fail (GLEANER_IS_LABEL_VIEW (self));
  g_return_if_fail ((project == NULL) == (queue == NULL));

  if (self->queue != NULL)
    g_clear_signal_handler (&self->changed_id, self->queue);
  g_clear_object (&self->queue);
  /* Commands given to the old queue are committed by it; those waiting here
   * were for its images. */
  g_array_set_size (self->commands, 0);
  self->busy = self->leave_when_done = FALSE;
  self->told_missing = FALSE;
  g_clear_pointer (&self->pixels, gl_pixel_map_free);
  g_clear_pointer (&self->opened, gl_queue_item_free);
  g_cancellable_cancel (self->decoding);
  g_clear_object (&self->decoding);
  self->decoding = g_cancellable_new ();
  g_hash_table_remove_all (self->large);
  g_hash_table_remove_all (self->small);
  g_hash_table_remove_all (self->originals);
  gleaner_image_area_set_texture (self->picture, NULL);
  for (guint i = 0; i < STRIP_LENGTH; i++)
    gleaner_image_area_set_texture (GLEANER_IMAGE_AREA (self->strip_items[i]), NULL);
  self->project = project;
  set_review (self, project);

  if (queue != NULL)
    {
      self->queue = g_object_ref (queue);
      gl_project_get_input_shape (project, &self->h, &self->w, &self->c);
      self->changed_id = g_signal_connect_swapped (queue, "changed", G_CALLBACK (update), self);
    }
  rebuild_classes (self);
  update (self);
}

const GlQueueItem *
gleaner_label_view_get_item (GleanerLabelView *self)
{
  g_return_val_if_fail (GLEANER_IS_LABEL_VIEW (self), NULL);
  if (self->opened != NULL)
    return self->opened;
  return self->queue != NULL ? gl_queue_get_current (self->queue) : NULL;
}

gboolean
gleaner_label_view_is_settled (GleanerLabelView *self)
{
  g_return_val_if_fail (GLEANER_IS_LABEL_VIEW (self), FALSE);
  return self->rest_pending == 0;
}

void
gleaner_label_view_reload_classes (GleanerLabelView *self)
{
  g_return_if_fail (GLEANER_IS_LABEL_VIEW (self));
  rebuild_classes (self);
  update (self);
}

/* ---- commands ---- */

static void
accept (GleanerLabelView *self)
{
  if (self->opened != NULL)
    {
      /* An image from the Gallery: its suggestion or the model's top class. */
      const GlQueueItem *item = self->opened;
      if (item->suggested_class < 0 && item->n_top == 0)
        gtk_widget_error_bell (GTK_WIDGET (self));
      else
        gl_queue_accept_image_async (self->queue, item, command_done_cb, start_command (self, TRUE));
      return;
    }
  gl_queue_accept_async (self->queue, command_done_cb, start_command (self, FALSE));
}

static void
skip (GleanerLabelView *self)
{
  if (leave_opened (self))
    return;
  gl_queue_skip_async (self->queue, command_done_cb, start_command (self, FALSE));
}

static void
undo (GleanerLabelView *self)
{
  g_clear_pointer (&self->opened, gl_queue_item_free);
  gl_queue_undo_async (self->queue, command_done_cb, start_command (self, FALSE));
}

static void
back (GleanerLabelView *self)
{
  if (leave_opened (self))
    return;
  if (!gl_queue_back (self->queue))
    gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
forward (GleanerLabelView *self)
{
  if (leave_opened (self))
    return;
  if (!gl_queue_forward (self->queue))
    gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
run_command (GleanerLabelView *self, Command command)
{
  switch (command.kind)
    {
    case CMD_LABEL: label_class (self, command.class_id); break;
    case CMD_ACCEPT: accept (self); break;
    case CMD_SKIP: skip (self); break;
    case CMD_UNDO: undo (self); break;
    case CMD_BACK: back (self); break;
    case CMD_FORWARD: forward (self); break;
    case CMD_LEAVE:
    default: leave_opened (self); break;
    }
}

/* Runs the commands waiting, until one has to wait for a commit. */
static void
run_waiting (GleanerLabelView *self)
{
  while (!self->busy && self->queue != NULL && self->commands->len > 0)
    {
      Command command = g_array_index (self->commands, Command, 0);
      g_array_remove_index (self->commands, 0);
      run_command (self, command);
    }
}

/* Runs @kind now, or after the commands given before it: never dropped,
 * never reordered. */
static void
give_command (GleanerLabelView *self, CommandKind kind, guint class_id)
{
  Command command = { kind, class_id };

  if (self->queue == NULL)
    return;
  g_array_append_val (self->commands, command);
  run_waiting (self);
}

static void on_back_button_clicked_cb (GleanerLabelView *self) { give_command (self, CMD_BACK, 0); }
static void on_forward_button_clicked_cb (GleanerLabelView *self) { give_command (self, CMD_FORWARD, 0); }
static void on_undo_button_clicked_cb (GleanerLabelView *self) { give_command (self, CMD_UNDO, 0); }
static void on_skip_button_clicked_cb (GleanerLabelView *self) { give_command (self, CMD_SKIP, 0); }
static void on_accept_button_clicked_cb (GleanerLabelView *self) { give_command (self, CMD_ACCEPT, 0); }

gboolean
gleaner_label_view_handle_key (GleanerLabelView *self, guint keyval, GdkModifierType state)
{
  GdkModifierType mods = state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK | GDK_META_MASK);
  int class_id;

  g_return_val_if_fail (GLEANER_IS_LABEL_VIEW (self), FALSE);
  if (self->queue == NULL)
    return FALSE;
  if (gleaner_label_view_is_reviewing (self))
    return gleaner_review_panel_handle_key (self->review_panel, keyval, state);

  if (mods == GDK_CONTROL_MASK && (keyval == GDK_KEY_z || keyval == GDK_KEY_Z))
    {
      give_command (self, CMD_UNDO, 0);
      return TRUE;
    }
  if (mods != 0)
    return FALSE;

  switch (keyval)
    {
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
    case GDK_KEY_space:
      give_command (self, CMD_ACCEPT, 0);
      return TRUE;
    case GDK_KEY_s:
    case GDK_KEY_S:
      give_command (self, CMD_SKIP, 0);
      return TRUE;
    case GDK_KEY_BackSpace:
      give_command (self, CMD_UNDO, 0);
      return TRUE;
    case GDK_KEY_Left:
      give_command (self, CMD_BACK, 0);
      return TRUE;
    case GDK_KEY_Right:
      give_command (self, CMD_FORWARD, 0);
      return TRUE;
    case GDK_KEY_Escape:
      /* Handled when there is an opened image to leave (or commands are
       * waiting, which may leave it). */
      if (self->opened == NULL && !self->busy)
        return FALSE;
      give_command (self, CMD_LEAVE, 0);
      return TRUE;
    default:
      break;
    }

  class_id = class_for_key (self, keyval);
  if (class_id == -1)
    return FALSE;
  if (class_id == -2)
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return TRUE;
    }
  give_command (self, CMD_LABEL, (guint) class_id);
  return TRUE;
}

/* ---- fitting the image ---- */

static void
resize_idle_cb (gpointer user_data)
{
  GleanerLabelView *self = user_data;

  self->resize_idle = 0;
  g_hash_table_remove_all (self->large);
  g_hash_table_remove_all (self->originals);
  update (self);
}

/* The enlargement factor follows the space the picture has, so that the
 * image is drawn pixel for pixel (content-fit scale-down never scales up). */
static void
gleaner_label_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  GleanerLabelView *self = GLEANER_LABEL_VIEW (widget);
  guint side, old_factor, new_factor, longest;

  GTK_WIDGET_CLASS (gleaner_label_view_parent_class)->size_allocate (widget, width, height, baseline);
  side = (guint) MAX (1, MIN (gtk_widget_get_width (GTK_WIDGET (self->image_stack)),
                              gtk_widget_get_height (GTK_WIDGET (self->image_stack))));
  longest = MAX (1u, MAX (self->h, self->w));
  old_factor = MAX (1u, self->image_target / longest);
  new_factor = MAX (1u, side / longest);
  if (side != self->image_target)
    {
      self->image_target = side;
      /* New textures only when the factor changes; not from within allocation. */
      if (old_factor != new_factor && self->queue != NULL && self->resize_idle == 0)
        self->resize_idle = g_idle_add_once (resize_idle_cb, self);
    }
}

/* The texts' widths in the fonts the view is shown with (see fit_widths). */
static void
gleaner_label_view_map (GtkWidget *widget)
{
  GleanerLabelView *self = GLEANER_LABEL_VIEW (widget);

  GTK_WIDGET_CLASS (gleaner_label_view_parent_class)->map (widget);
  fit_widths (self);
  if (self->queue != NULL)
    update_counters (self);
}

/* ---- life cycle ---- */

static void
gleaner_label_view_dispose (GObject *object)
{
  GleanerLabelView *self = GLEANER_LABEL_VIEW (object);

  if (self->queue != NULL)
    g_clear_signal_handler (&self->changed_id, self->queue);
  g_clear_object (&self->queue);
  if (self->review != NULL)
    set_review (self, NULL);
  self->project = NULL;
  g_clear_pointer (&self->pixels, gl_pixel_map_free);
  g_clear_handle_id (&self->resize_idle, g_source_remove);
  g_clear_handle_id (&self->prefetch_idle, g_source_remove);
  stop_prefetch_hook (self);
  if (self->rest_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->rest_tick);
  self->rest_tick = 0;
  g_cancellable_cancel (self->decoding);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_LABEL_VIEW);
  G_OBJECT_CLASS (gleaner_label_view_parent_class)->dispose (object);
}

static void
gleaner_label_view_finalize (GObject *object)
{
  GleanerLabelView *self = GLEANER_LABEL_VIEW (object);

  g_hash_table_unref (self->large);
  g_hash_table_unref (self->small);
  g_hash_table_unref (self->originals);
  g_clear_object (&self->decoding);
  g_clear_pointer (&self->opened, gl_queue_item_free);
  g_ptr_array_unref (self->class_buttons);
  g_ptr_array_unref (self->count_labels);
  g_array_unref (self->commands);
  g_strfreev (self->class_names);
  g_free (self->keys);
  g_free (self->review_note);
  G_OBJECT_CLASS (gleaner_label_view_parent_class)->finalize (object);
}

static void
gleaner_label_view_class_init (GleanerLabelViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_label_view_dispose;
  object_class->finalize = gleaner_label_view_finalize;
  g_type_ensure (GLEANER_TYPE_IMAGE_AREA);
  g_type_ensure (GLEANER_TYPE_METER);
  g_type_ensure (GLEANER_TYPE_REVIEW_PANEL);
  widget_class->size_allocate = gleaner_label_view_size_allocate;
  widget_class->map = gleaner_label_view_map;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gleaner/Gleaner/gleaner-label-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, name_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, labeled_badge);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, audit_badge);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, image_stack);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, picture);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, ranking_spinner);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, strip_box);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, classes_box);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, back_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, undo_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, skip_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, accept_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, accept_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, forward_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, predictions_grid);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, no_model_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, reason_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, total_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, total_progress);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, counts_grid);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, review_panel);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, review_status);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, detect_box);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, detect_progress);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, review_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, detect_button);
  gtk_widget_class_bind_template_callback (widget_class, on_review_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_detect_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_detect_cancel_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_review_panel_leave_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_back_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_forward_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_undo_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_skip_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_accept_button_clicked_cb);
}

static void
gleaner_label_view_init (GleanerLabelView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  init_lazy_tooltip (GTK_WIDGET (self->name_label));
  init_lazy_tooltip (GTK_WIDGET (self->reason_label));

  self->large = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->small = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->originals = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) unref_if_set);
  self->decoding = g_cancellable_new ();
  self->image_target = IMAGE_TARGET_SIZE;
  self->class_buttons = g_ptr_array_new ();
  self->count_labels = g_ptr_array_new ();
  self->commands = g_array_new (FALSE, FALSE, sizeof (Command));

  for (guint i = 0; i < GL_QUEUE_TOP_N; i++)
    {
      self->pred_names[i] = GTK_INSCRIPTION (gtk_inscription_new (NULL));
      gtk_inscription_set_xalign (self->pred_names[i], 0.0f);
      gtk_inscription_set_text_overflow (self->pred_names[i], GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
      gtk_inscription_set_min_chars (self->pred_names[i], 12);
      gtk_inscription_set_nat_chars (self->pred_names[i], 16);
      self->pred_bars[i] = GLEANER_METER (gleaner_meter_new ());
      gtk_widget_set_hexpand (GTK_WIDGET (self->pred_bars[i]), TRUE);
      gtk_widget_set_valign (GTK_WIDGET (self->pred_bars[i]), GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (GTK_WIDGET (self->pred_bars[i]), "probability-bar");
      self->pred_values[i] = GTK_INSCRIPTION (gtk_inscription_new (NULL));
      gtk_inscription_set_xalign (self->pred_values[i], 1.0f);
      gtk_widget_add_css_class (GTK_WIDGET (self->pred_values[i]), "counter");
      if (i == 0)
        gtk_widget_add_css_class (GTK_WIDGET (self->pred_names[i]), "heading");
      gtk_grid_attach (self->predictions_grid, GTK_WIDGET (self->pred_names[i]), 0, (int) i, 1, 1);
      gtk_grid_attach (self->predictions_grid, GTK_WIDGET (self->pred_bars[i]), 1, (int) i, 1, 1);
      gtk_grid_attach (self->predictions_grid, GTK_WIDGET (self->pred_values[i]), 2, (int) i, 1, 1);
    }

  for (guint i = 0; i < STRIP_LENGTH; i++)
    {
      GtkWidget *picture = gleaner_image_area_new ();
      gtk_widget_set_size_request (picture, STRIP_TARGET_SIZE, STRIP_TARGET_SIZE);
      gtk_widget_add_css_class (picture, "strip-item");
      gtk_widget_set_visible (picture, FALSE);
      gtk_box_append (self->strip_box, picture);
      init_lazy_tooltip (picture);
      self->strip_items[i] = picture;
    }
}
