/* gleaner-image-info.c — see gleaner-image-info.h. */
#include "ui/gleaner-image-info.h"

#include "app/gl-path.h"

struct _GleanerImageInfo
{
  GtkWidget parent_instance;

  /* children */
  GtkWidget *box;       /* everything, in a scrolled window */
  GtkWidget *scrolled;
  GtkWidget *picture;
  GtkWidget *title;     /* file name or summary */
  GtkWidget *subtitle;  /* hint */
  GtkWidget *facts;     /* GtkGrid of path, size, status */
  GtkWidget *history_title;
  GtkWidget *history;   /* GtkListBox */
};

G_DEFINE_FINAL_TYPE (GleanerImageInfo, gleaner_image_info, GTK_TYPE_WIDGET)

static void
clear_facts (GleanerImageInfo *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (self->facts)) != NULL)
    gtk_grid_remove (GTK_GRID (self->facts), child);
  while ((child = gtk_widget_get_first_child (self->history)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->history), child);
}

static void
add_fact (GleanerImageInfo *self, int row, const char *name, const char *value)
{
  GtkWidget *key = gtk_label_new (name);
  gtk_widget_add_css_class (key, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (key), 1);
  gtk_label_set_yalign (GTK_LABEL (key), 0);
  GtkWidget *val = gtk_label_new (value);
  gtk_label_set_xalign (GTK_LABEL (val), 0);
  gtk_label_set_wrap (GTK_LABEL (val), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (val), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (val), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (val), 28);
  gtk_widget_set_hexpand (val, TRUE);
  gtk_grid_attach (GTK_GRID (self->facts), key, 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (self->facts), val, 1, row, 1, 1);
}

static char *
format_time (gint64 time_us)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  if (t == NULL)
    return g_strdup ("?");
  if (g_date_time_get_year (t) == g_date_time_get_year (now)
      && g_date_time_get_day_of_year (t) == g_date_time_get_day_of_year (now))
    return g_date_time_format (t, "today %H:%M:%S");
  return g_date_time_format (t, "%Y-%m-%d %H:%M");
}

void
gleaner_image_info_show_details (GleanerImageInfo *self, const GlGalleryDetails *details, GdkTexture *texture)
{
  g_return_if_fail (GLEANER_IS_IMAGE_INFO (self));
  clear_facts (self);
  g_autofree char *path = gl_path_display (details->path);
  g_autofree char *name = g_path_get_basename (path);
  gtk_label_set_text (GTK_LABEL (self->title), name);
  gtk_widget_set_visible (self->subtitle, FALSE);
  /* At its own size: a GtkPicture would scale it up with a blur. */
  gtk_image_set_from_paintable (GTK_IMAGE (self->picture), GDK_PAINTABLE (texture));
  if (texture != NULL)
    gtk_image_set_pixel_size (GTK_IMAGE (self->picture), MAX (gdk_texture_get_width (texture),
                                                              gdk_texture_get_height (texture)));
  gtk_widget_set_visible (self->picture, texture != NULL);

  int row = 0;
  add_fact (self, row++, "Path", path);
  g_autofree char *size = details->size > 0 ? g_format_size ((guint64) details->size) : g_strdup ("—");
  add_fact (self, row++, "Size", size);
  if (details->unreadable_reason != NULL)
    add_fact (self, row++, "Unreadable", details->unreadable_reason);
  if (details->held_out_test)
    add_fact (self, row++, "Set", "held-out test");
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, details->id);
  add_fact (self, row++, "Id", id);

  gtk_widget_set_visible (self->facts, TRUE);
  gtk_widget_set_visible (self->history_title, TRUE);
  gtk_widget_set_visible (self->history, TRUE);
  if (details->history == NULL || details->history->len == 0)
    {
      GtkWidget *none = gtk_label_new ("Never labeled");
      gtk_widget_add_css_class (none, "dim-label");
      gtk_label_set_xalign (GTK_LABEL (none), 0);
      gtk_list_box_append (GTK_LIST_BOX (self->history), none);
      return;
    }
  for (guint i = 0; i < details->history->len; i++)
    {
      const GlGalleryHistoryEntry *e = &g_array_index (details->history, GlGalleryHistoryEntry, i);
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      GtkWidget *what = gtk_label_new (e->class_name != NULL ? e->class_name : "Label removed");
      gtk_label_set_xalign (GTK_LABEL (what), 0);
      gtk_label_set_ellipsize (GTK_LABEL (what), PANGO_ELLIPSIZE_END);
      if (i == 0)
        gtk_widget_add_css_class (what, "heading");
      g_autofree char *when = format_time (e->time_us);
      g_autofree char *meta = g_strdup_printf ("%s · %s%s%s", when, e->origin, e->annotator ? " · " : "",
                                               e->annotator ? e->annotator : "");
      GtkWidget *sub = gtk_label_new (meta);
      gtk_label_set_xalign (GTK_LABEL (sub), 0);
      gtk_label_set_ellipsize (GTK_LABEL (sub), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (sub, "caption");
      gtk_widget_add_css_class (sub, "dim-label");
      gtk_box_append (GTK_BOX (box), what);
      gtk_box_append (GTK_BOX (box), sub);
      gtk_list_box_append (GTK_LIST_BOX (self->history), box);
    }
}

void
gleaner_image_info_show_selection (GleanerImageInfo *self, guint n_selected)
{
  g_return_if_fail (GLEANER_IS_IMAGE_INFO (self));
  clear_facts (self);
  gtk_widget_set_visible (self->picture, FALSE);
  gtk_widget_set_visible (self->facts, FALSE);
  gtk_widget_set_visible (self->history_title, FALSE);
  gtk_widget_set_visible (self->history, FALSE);
  gtk_widget_set_visible (self->subtitle, TRUE);
  if (n_selected == 0)
    {
      gtk_label_set_text (GTK_LABEL (self->title), "No image selected");
      gtk_label_set_text (GTK_LABEL (self->subtitle), "Select an image to see its path, size and label history.");
      return;
    }
  g_autofree char *title = g_strdup_printf (g_dngettext (NULL, "%u image selected", "%u images selected", n_selected),
                                            n_selected);
  gtk_label_set_text (GTK_LABEL (self->title), title);
  gtk_label_set_text (GTK_LABEL (self->subtitle),
                      "Press a class key (1–9, 0) to label them all, Delete to remove their labels, "
                      "or right-click for the menu.");
}

void
gleaner_image_info_show_error (GleanerImageInfo *self, const char *message)
{
  gleaner_image_info_show_selection (self, 0);
  gtk_label_set_text (GTK_LABEL (self->title), "Details unavailable");
  gtk_label_set_text (GTK_LABEL (self->subtitle), message);
}

static void
gleaner_image_info_dispose (GObject *object)
{
  GleanerImageInfo *self = GLEANER_IMAGE_INFO (object);
  g_clear_pointer (&self->scrolled, gtk_widget_unparent);
  G_OBJECT_CLASS (gleaner_image_info_parent_class)->dispose (object);
}

static void
gleaner_image_info_class_init (GleanerImageInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = gleaner_image_info_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "imageinfo");
}

static void
gleaner_image_info_init (GleanerImageInfo *self)
{
  self->scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_parent (self->scrolled, GTK_WIDGET (self));

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_top (self->box, 18);
  gtk_widget_set_margin_bottom (self->box, 18);
  gtk_widget_set_margin_start (self->box, 18);
  gtk_widget_set_margin_end (self->box, 18);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scrolled), self->box);

  self->picture = gtk_image_new ();
  gtk_widget_set_halign (self->picture, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->picture, "gallery-info-picture");
  gtk_box_append (GTK_BOX (self->box), self->picture);

  self->title = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (self->title), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (self->title), 0);
  gtk_label_set_selectable (GTK_LABEL (self->title), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (self->title), 28);
  gtk_widget_add_css_class (self->title, "title-4");
  gtk_box_append (GTK_BOX (self->box), self->title);

  self->subtitle = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->subtitle), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->subtitle), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (self->subtitle), 28);
  gtk_widget_add_css_class (self->subtitle, "dim-label");
  gtk_box_append (GTK_BOX (self->box), self->subtitle);

  self->facts = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (self->facts), 6);
  gtk_grid_set_column_spacing (GTK_GRID (self->facts), 12);
  gtk_box_append (GTK_BOX (self->box), self->facts);

  self->history_title = gtk_label_new ("Label history");
  gtk_label_set_xalign (GTK_LABEL (self->history_title), 0);
  gtk_widget_add_css_class (self->history_title, "heading");
  gtk_widget_set_margin_top (self->history_title, 6);
  gtk_box_append (GTK_BOX (self->box), self->history_title);

  self->history = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->history), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->history, "boxed-list");
  gtk_box_append (GTK_BOX (self->box), self->history);

  gleaner_image_info_show_selection (self, 0);
}

GtkWidget *
gleaner_image_info_new (void)
{
  return g_object_new (GLEANER_TYPE_IMAGE_INFO, NULL);
}
