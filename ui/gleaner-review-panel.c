/* gleaner-review-panel.c — see gleaner-review-panel.h. The widgets are made
 * in code rather than a template: the class buttons and the rows of
 * probabilities are made per project anyway, and the rest is a few boxes. */
#include "gleaner-config.h"

#include "ui/gleaner-review-panel.h"

#include <glib/gi18n.h>
#include <math.h>

#include "app/gl-session.h"
#include "ui/gleaner-image-area.h"
#include "ui/gleaner-meter.h"

#define IMAGE_TARGET 448 /* pixels the image is enlarged to, at most */

typedef struct
{
  gint64 id;
  char *name;
  gunichar key; /* 0: none */
} PanelClass;

/* The two probabilities shown: of the given label and of the suggested class. */
typedef struct
{
  GtkLabel *name;
  GleanerMeter *meter;
  GtkLabel *value;
} ProbabilityRow;

struct _GleanerReviewPanel
{
  AdwBin parent_instance;

  /* children (owned by the widget tree) */
  GtkStack *stack; /* "item", "done", "none" */
  GtkLabel *counter;
  GleanerImageArea *picture;
  GtkFlowBox *classes_box;
  GtkButton *keep_button;
  GtkLabel *keep_label;
  ProbabilityRow given;
  ProbabilityRow suggested;
  GtkLabel *score_label;
  AdwStatusPage *done_page;

  /* borrowed; main thread */
  GlProject *project;
  GlReview *review;

  /* owned; main thread */
  GArray *classes; /* PanelClass, in the queue's order */
  GlPixelMap *pixels;
  guint h, w, c;
  gulong changed_id;
};

G_DEFINE_FINAL_TYPE (GleanerReviewPanel, gleaner_review_panel, ADW_TYPE_BIN)

enum
{
  SIGNAL_LEAVE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
panel_class_clear (gpointer data)
{
  g_free (((PanelClass *) data)->name);
}

GtkWidget *
gleaner_review_panel_new (void)
{
  return g_object_new (GLEANER_TYPE_REVIEW_PANEL, NULL);
}

static const PanelClass *
find_class (GleanerReviewPanel *self, gint64 id)
{
  for (guint i = 0; i < self->classes->len; i++)
    if (g_array_index (self->classes, PanelClass, i).id == id)
      return &g_array_index (self->classes, PanelClass, i);
  return NULL;
}

static const char *
class_name (GleanerReviewPanel *self, gint64 id)
{
  const PanelClass *k = find_class (self, id);
  return k != NULL ? k->name : "?";
}

static char *
key_text (gunichar key)
{
  char buf[8] = { 0 };
  g_unichar_to_utf8 (g_unichar_toupper (key), buf);
  return g_strdup (buf);
}

/* ---- showing the walk ---- */

static GdkTexture *
texture_of_row (GleanerReviewPanel *self, gint64 row)
{
  if (row < 0 || self->project == NULL)
    return NULL;
  if (self->pixels == NULL || (guint64) row >= gl_pixel_map_count (self->pixels))
    {
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
  g_autofree guint8 *src = g_malloc ((gsize) self->h * self->w * self->c); /* read, not mapped: see the Label view */
  g_autoptr (GError) error = NULL;
  if (!gl_pixel_map_read_row (self->pixels, (guint64) row, src, &error))
    {
      g_warning ("%s", error->message);
      return NULL;
    }
  return gleaner_image_area_texture_from_pixels (src, self->h, self->w, self->c, IMAGE_TARGET);
}

static void
set_probability (ProbabilityRow *row, const char *name, double p)
{
  g_autofree char *value = isfinite (p) ? g_strdup_printf ("%.0f%%", 100.0 * p) : g_strdup ("—");
  gtk_label_set_text (row->name, name);
  gleaner_meter_set_fraction (row->meter, isfinite (p) ? CLAMP (p, 0.0, 1.0) : 0.0);
  gtk_label_set_text (row->value, value);
}

static void
show_item (GleanerReviewPanel *self, const GlDbLabelError *e, gint64 cache_row)
{
  guint n = gl_review_get_n_suspected (self->review), at = gl_review_get_position (self->review);
  g_autofree char *counter = g_strdup_printf (_("%u of %u"), at + 1, n);
  g_autofree char *keep = g_strdup_printf (_("Keep “%s”"), class_name (self, e->given_class));
  g_autofree char *score = g_strdup_printf (_("%.2f (0 to 1; higher is more likely a wrong label)"), e->score);
  g_autoptr (GdkTexture) texture = texture_of_row (self, cache_row);

  gtk_label_set_text (self->counter, counter);
  gtk_label_set_text (self->keep_label, keep);
  gtk_label_set_text (self->score_label, score);
  set_probability (&self->given, class_name (self, e->given_class), e->p_given);
  if (e->suggested_class >= 0)
    set_probability (&self->suggested, class_name (self, e->suggested_class), e->p_suggested);
  else
    set_probability (&self->suggested, _("none"), NAN);
  gleaner_image_area_set_texture (self->picture, texture);
  gtk_stack_set_visible_child_name (self->stack, "item");
}

static void
update (GleanerReviewPanel *self)
{
  gint64 cache_row = -1;
  const GlDbLabelError *e = self->review != NULL ? gl_review_get_current (self->review, &cache_row) : NULL;

  if (e != NULL)
    {
      show_item (self, e, cache_row);
      return;
    }
  gleaner_image_area_set_texture (self->picture, NULL);
  if (self->review == NULL || !gl_review_has_detection (self->review, NULL))
    {
      gtk_stack_set_visible_child_name (self->stack, "none");
      return;
    }
  guint n = gl_review_get_n_suspected (self->review);
  g_autofree char *text
      = n == 0 ? g_strdup (_("The model suspects no label of this version."))
               : g_strdup_printf (ngettext ("You went through the suspected error. Skipped images are suggested "
                                            "again the next time.",
                                            "You went through all %u suspected errors. Skipped images are "
                                            "suggested again the next time.",
                                            n),
                                  n);
  adw_status_page_set_description (self->done_page, text);
  gtk_stack_set_visible_child_name (self->stack, "done");
}

void
gleaner_review_panel_set_review (GleanerReviewPanel *self, GlProject *project, GlReview *review)
{
  g_return_if_fail (GLEANER_IS_REVIEW_PANEL (self));
  if (self->review != NULL)
    g_clear_signal_handler (&self->changed_id, self->review);
  self->review = review;
  self->project = project;
  g_clear_pointer (&self->pixels, gl_pixel_map_free);
  if (project != NULL)
    gl_project_get_input_shape (project, &self->h, &self->w, &self->c);
  if (review != NULL)
    self->changed_id = g_signal_connect_swapped (review, "changed", G_CALLBACK (update), self);
  update (self);
}

/* ---- decisions ---- */

static void
relabel (GleanerReviewPanel *self, guint index)
{
  if (self->review == NULL || index >= self->classes->len)
    return;
  gl_review_decide (self->review, GL_REVIEW_RELABEL, g_array_index (self->classes, PanelClass, index).id);
}

static void
on_class_clicked_cb (GtkButton *button, GleanerReviewPanel *self)
{
  relabel (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "class-index")));
}

static void
on_keep_clicked_cb (GleanerReviewPanel *self)
{
  if (self->review != NULL)
    gl_review_decide (self->review, GL_REVIEW_KEEP, -1);
}

static void
on_skip_clicked_cb (GleanerReviewPanel *self)
{
  if (self->review != NULL)
    gl_review_decide (self->review, GL_REVIEW_SKIP, -1);
}

static void
on_leave_clicked_cb (GleanerReviewPanel *self)
{
  g_signal_emit (self, signals[SIGNAL_LEAVE], 0);
}

void
gleaner_review_panel_set_classes (GleanerReviewPanel *self, GPtrArray *classes, const gunichar *keys)
{
  GtkWidget *child;

  g_return_if_fail (GLEANER_IS_REVIEW_PANEL (self));
  g_array_set_size (self->classes, 0);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->classes_box))) != NULL)
    gtk_flow_box_remove (self->classes_box, child);
  for (guint i = 0; classes != NULL && i < classes->len; i++)
    {
      const GlSessionClass *k = g_ptr_array_index (classes, i);
      PanelClass pc = { k->id, g_strdup (k->name), keys[i] };
      GtkWidget *button = gtk_button_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *name = gtk_label_new (k->name);

      g_array_append_val (self->classes, pc);
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_box_append (GTK_BOX (box), name);
      if (keys[i] != 0)
        {
          g_autofree char *text = key_text (keys[i]);
          GtkWidget *key = gtk_label_new (text);
          gtk_widget_add_css_class (key, "keycap");
          gtk_box_prepend (GTK_BOX (box), key);
        }
      gtk_button_set_child (GTK_BUTTON (button), box);
      g_object_set_data (G_OBJECT (button), "class-index", GUINT_TO_POINTER (i));
      g_signal_connect (button, "clicked", G_CALLBACK (on_class_clicked_cb), self);
      gtk_flow_box_append (self->classes_box, button);
    }
  gtk_flow_box_set_max_children_per_line (self->classes_box, CLAMP (self->classes->len, 2u, 5u));
  update (self);
}

gboolean
gleaner_review_panel_handle_key (GleanerReviewPanel *self, guint keyval, GdkModifierType state)
{
  GdkModifierType mods = state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK | GDK_META_MASK);
  gunichar ch;

  g_return_val_if_fail (GLEANER_IS_REVIEW_PANEL (self), FALSE);
  if (mods != 0 || self->review == NULL)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Escape:
      on_leave_clicked_cb (self);
      return TRUE;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      /* At the end, Enter leaves too: there is nothing to keep. */
      if (gl_review_get_current (self->review, NULL) == NULL && !gl_review_is_busy (self->review))
        on_leave_clicked_cb (self);
      else
        on_keep_clicked_cb (self);
      return TRUE;
    case GDK_KEY_s:
    case GDK_KEY_S:
      on_skip_clicked_cb (self);
      return TRUE;
    default:
      break;
    }
  ch = g_unichar_tolower (gdk_keyval_to_unicode (keyval));
  if (ch == 0)
    return FALSE;
  for (guint i = 0; i < self->classes->len; i++)
    if (g_array_index (self->classes, PanelClass, i).key == ch)
      {
        relabel (self, i);
        return TRUE;
      }
  return FALSE;
}

/* ---- building ---- */

static GtkWidget *
key_button (const char *text, const char *key, GtkLabel **label_out)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *label = gtk_label_new (text);
  GtkWidget *hint = gtk_label_new (key);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (hint, "keycap");
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), hint);
  gtk_button_set_child (GTK_BUTTON (button), box);
  if (label_out != NULL)
    *label_out = GTK_LABEL (label);
  return button;
}

static GtkWidget *
heading (const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  return label;
}

static void
attach_probability (GtkGrid *grid, int row, const char *title, ProbabilityRow *out)
{
  GtkWidget *caption = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_widget_add_css_class (caption, "dim-label");
  out->name = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (out->name, 0);
  gtk_label_set_ellipsize (out->name, PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (out->name, 14);
  gtk_widget_add_css_class (GTK_WIDGET (out->name), "heading");
  out->meter = GLEANER_METER (gleaner_meter_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (out->meter), TRUE);
  gtk_widget_set_valign (GTK_WIDGET (out->meter), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (out->meter), "probability-bar");
  out->value = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (out->value, 1);
  gtk_label_set_width_chars (out->value, 4);
  gtk_widget_add_css_class (GTK_WIDGET (out->value), "counter");
  gtk_grid_attach (grid, caption, 0, row * 2, 3, 1);
  gtk_grid_attach (grid, GTK_WIDGET (out->name), 0, row * 2 + 1, 1, 1);
  gtk_grid_attach (grid, GTK_WIDGET (out->meter), 1, row * 2 + 1, 1, 1);
  gtk_grid_attach (grid, GTK_WIDGET (out->value), 2, row * 2 + 1, 1, 1);
}

/* The image, the buttons and the classes. */
static GtkWidget *
build_main_column (GleanerReviewPanel *self)
{
  GtkWidget *column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *title = heading (_("Reviewing Suspected Label Errors"));
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *leave = key_button (_("Leave Review"), _("Esc"), NULL);
  GtkWidget *skip = key_button (_("Skip"), "S", NULL);
  GtkWidget *relabel_heading = heading (_("Relabel As"));

  gtk_widget_set_hexpand (column, TRUE);
  gtk_widget_set_margin_top (column, 12);
  gtk_widget_set_margin_bottom (column, 12);
  gtk_widget_set_margin_start (column, 18);
  gtk_widget_set_margin_end (column, 18);
  gtk_widget_set_hexpand (title, TRUE);
  self->counter = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->counter), "counter");
  gtk_box_append (GTK_BOX (top), title);
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (self->counter));
  gtk_box_append (GTK_BOX (column), top);

  self->picture = GLEANER_IMAGE_AREA (gleaner_image_area_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->picture), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->picture), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->picture), "label-image");
  gtk_box_append (GTK_BOX (column), GTK_WIDGET (self->picture));

  gtk_box_append (GTK_BOX (column), relabel_heading);
  self->classes_box = GTK_FLOW_BOX (gtk_flow_box_new ());
  gtk_flow_box_set_selection_mode (self->classes_box, GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (self->classes_box, TRUE);
  gtk_flow_box_set_column_spacing (self->classes_box, 6);
  gtk_flow_box_set_row_spacing (self->classes_box, 6);
  gtk_box_append (GTK_BOX (column), GTK_WIDGET (self->classes_box));

  self->keep_button = GTK_BUTTON (key_button (NULL, _("Enter"), &self->keep_label));
  gtk_widget_add_css_class (GTK_WIDGET (self->keep_button), "suggested-action");
  gtk_widget_set_hexpand (GTK_WIDGET (self->keep_button), TRUE);
  g_signal_connect_swapped (leave, "clicked", G_CALLBACK (on_leave_clicked_cb), self);
  g_signal_connect_swapped (skip, "clicked", G_CALLBACK (on_skip_clicked_cb), self);
  g_signal_connect_swapped (self->keep_button, "clicked", G_CALLBACK (on_keep_clicked_cb), self);
  gtk_box_append (GTK_BOX (buttons), leave);
  gtk_box_append (GTK_BOX (buttons), skip);
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->keep_button));
  gtk_box_append (GTK_BOX (column), buttons);
  return column;
}

static GtkWidget *
note_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 34);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

/* What the model says about the image. */
static GtkWidget *
build_side_column (GleanerReviewPanel *self)
{
  GtkWidget *side = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *note = note_label (_("Out-of-fold probabilities: from models that were not trained on this image."));
  GtkWidget *help = note_label (_("Enter keeps the label, a class key relabels the image, S skips it. Kept and "
                                  "relabeled images are not suggested again for this model version."));

  gtk_widget_set_size_request (side, 340, -1);
  gtk_widget_set_margin_top (side, 18);
  gtk_widget_set_margin_bottom (side, 18);
  gtk_widget_set_margin_start (side, 18);
  gtk_widget_set_margin_end (side, 18);
  gtk_box_append (GTK_BOX (side), heading (_("Model")));
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 10);
  attach_probability (GTK_GRID (grid), 0, _("Given label"), &self->given);
  attach_probability (GTK_GRID (grid), 1, _("Suggested class"), &self->suggested);
  gtk_box_append (GTK_BOX (side), grid);
  gtk_box_append (GTK_BOX (side), note);
  {
    GtkWidget *score = heading (_("Score"));
    gtk_widget_set_margin_top (score, 12);
    gtk_box_append (GTK_BOX (side), score);
  }
  self->score_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->score_label, 0);
  gtk_label_set_wrap (self->score_label, TRUE);
  gtk_label_set_max_width_chars (self->score_label, 34);
  gtk_box_append (GTK_BOX (side), GTK_WIDGET (self->score_label));
  gtk_widget_set_margin_top (help, 12);
  gtk_box_append (GTK_BOX (side), help);
  return side;
}

static GtkWidget *
status_page (const char *icon, const char *title, GleanerReviewPanel *self)
{
  GtkWidget *page = adw_status_page_new ();
  GtkWidget *back = gtk_button_new_with_label (_("Back to Labeling"));

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), icon);
  adw_status_page_set_title (ADW_STATUS_PAGE (page), title);
  gtk_widget_set_halign (back, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (back, "pill");
  gtk_widget_add_css_class (back, "suggested-action");
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (on_leave_clicked_cb), self);
  adw_status_page_set_child (ADW_STATUS_PAGE (page), back);
  return page;
}

/* ---- life cycle ---- */

static void
gleaner_review_panel_dispose (GObject *object)
{
  GleanerReviewPanel *self = GLEANER_REVIEW_PANEL (object);

  if (self->review != NULL)
    g_clear_signal_handler (&self->changed_id, self->review);
  self->review = NULL;
  self->project = NULL;
  G_OBJECT_CLASS (gleaner_review_panel_parent_class)->dispose (object);
}

static void
gleaner_review_panel_finalize (GObject *object)
{
  GleanerReviewPanel *self = GLEANER_REVIEW_PANEL (object);

  g_clear_pointer (&self->pixels, gl_pixel_map_free);
  g_array_unref (self->classes);
  G_OBJECT_CLASS (gleaner_review_panel_parent_class)->finalize (object);
}

static void
gleaner_review_panel_class_init (GleanerReviewPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gleaner_review_panel_dispose;
  object_class->finalize = gleaner_review_panel_finalize;
  signals[SIGNAL_LEAVE] = g_signal_new ("leave", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                        NULL, G_TYPE_NONE, 0);
}

static void
gleaner_review_panel_init (GleanerReviewPanel *self)
{
  GtkWidget *item = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  self->classes = g_array_new (FALSE, TRUE, sizeof (PanelClass));
  g_array_set_clear_func (self->classes, panel_class_clear);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_box_append (GTK_BOX (item), build_main_column (self));
  gtk_box_append (GTK_BOX (item), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_box_append (GTK_BOX (item), build_side_column (self));
  gtk_stack_add_named (self->stack, item, "item");
  self->done_page = ADW_STATUS_PAGE (status_page ("emblem-ok-symbolic", _("No Suspected Errors Left"), self));
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->done_page), "done");
  {
    GtkWidget *none = status_page ("dialog-question-symbolic", _("Not Checked Yet"), self);
    adw_status_page_set_description (ADW_STATUS_PAGE (none),
                                     _("The current model version has not been checked for label errors."));
    gtk_stack_add_named (self->stack, none, "none");
  }
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));
}
