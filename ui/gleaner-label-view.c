/* gleaner-label-view.c — see gleaner-label-view.h. */
#include "gleaner-config.h"

#include "ui/gleaner-label-view.h"

#include <glib/gi18n.h>

struct _GleanerLabelView
{
  AdwBin parent_instance;

  /* template children */
  GtkLabel *total_label;
  GtkListBox *classes_list;

  /* borrowed */
  GlProject *project;
};

G_DEFINE_FINAL_TYPE (GleanerLabelView, gleaner_label_view, ADW_TYPE_BIN)

static void
show_counters (GleanerLabelView *self)
{
  GlProjectInfo info = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *total = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->classes_list))) != NULL)
    gtk_list_box_remove (self->classes_list, child);
  if (self->project == NULL)
    return;
  if (!gl_project_get_info (self->project, &info, &error))
    {
      gtk_label_set_text (self->total_label, error->message);
      return;
    }
  total = g_strdup_printf (_("%'" G_GUINT64_FORMAT " of %'" G_GUINT64_FORMAT " images labeled"), info.labeled,
                           info.readable);
  gtk_label_set_text (self->total_label, total);
  for (guint i = 0; i < info.n_classes; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *count = g_strdup_printf ("%'" G_GUINT64_FORMAT, info.labeled_per_class[i]);
      GtkWidget *count_label = gtk_label_new (count);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), info.class_names[i]);
      gtk_widget_add_css_class (count_label, "counter");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), count_label);
      gtk_list_box_append (self->classes_list, row);
    }
  gl_project_info_clear (&info);
}

void
gleaner_label_view_set_project (GleanerLabelView *self, GlProject *project)
{
  g_return_if_fail (GLEANER_IS_LABEL_VIEW (self));
  self->project = project;
  show_counters (self);
}

static void
gleaner_label_view_dispose (GObject *object)
{
  GleanerLabelView *self = GLEANER_LABEL_VIEW (object);

  self->project = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_LABEL_VIEW);
  G_OBJECT_CLASS (gleaner_label_view_parent_class)->dispose (object);
}

static void
gleaner_label_view_class_init (GleanerLabelViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_label_view_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gleaner/Gleaner/gleaner-label-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, total_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerLabelView, classes_list);
}

static void
gleaner_label_view_init (GleanerLabelView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
