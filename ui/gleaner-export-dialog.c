/* gleaner-export-dialog.c — see gleaner-export-dialog.h. */
#include "gleaner-config.h"

#include "ui/gleaner-export-dialog.h"

#include <glib/gi18n.h>

#include "app/gl-export.h"
#include "ui/gleaner-progress-post.h"

struct _GleanerExportDialog
{
  AdwWindow parent_instance;

  /* template children */
  GtkStack *stack;
  AdwComboRow *format_row;
  AdwComboRow *link_row;
  AdwEntryRow *split_row;
  GtkSpinButton *seed_spin;
  GtkSwitch *unconfirmed_switch;
  GtkSwitch *predictions_switch;
  GtkSwitch *model_switch;
  AdwActionRow *target_row;
  GtkSwitch *force_switch;
  GtkButton *export_button;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  AdwStatusPage *done_page;
  GtkButton *back_button;
  GtkButton *open_button;

  /* owned */
  char *project_dir;
  char *target;
  GCancellable *cancellable;

  /* GlExportProgress written by the export thread, shown by one coalesced idle */
  GleanerProgressPost progress;
};

G_DEFINE_FINAL_TYPE (GleanerExportDialog, gleaner_export_dialog, ADW_TYPE_WINDOW)

typedef struct
{
  char *project_dir;
  char *target;
  GlExportOptions options;
  GlExportProgress summary;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_free (job->project_dir);
  g_free (job->target);
  g_free (job);
}

GleanerExportDialog *
gleaner_export_dialog_new (GtkWindow *parent, GlProject *project)
{
  GleanerExportDialog *self = g_object_new (GLEANER_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);
  g_autofree char *name = g_path_get_basename (gl_project_get_dir (project));
  g_autofree char *folder = g_strdup_printf ("%s-export", name);
  g_autofree char *parent_dir = g_path_get_dirname (gl_project_get_dir (project));
  g_autofree char *target = g_build_filename (parent_dir, folder, NULL);

  self->project_dir = g_strdup (gl_project_get_dir (project));
  gleaner_export_dialog_set_target (self, target);
  return self;
}

static void
update_sensitivity (GleanerExportDialog *self)
{
  guint format = adw_combo_row_get_selected (self->format_row);

  gtk_widget_set_sensitive (GTK_WIDGET (self->link_row), format == GL_EXPORT_IMAGEFOLDER);
  gtk_widget_set_sensitive (gtk_widget_get_ancestor (GTK_WIDGET (self->predictions_switch), ADW_TYPE_ACTION_ROW),
                            format == GL_EXPORT_JSON);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), self->target != NULL);
}

void
gleaner_export_dialog_set_target (GleanerExportDialog *self, const char *folder)
{
  g_return_if_fail (GLEANER_IS_EXPORT_DIALOG (self));
  g_free (self->target);
  self->target = g_strdup (folder);
  adw_action_row_set_subtitle (self->target_row, folder != NULL ? folder : _("None chosen"));
  update_sensitivity (self);
}

static void
target_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  GleanerExportDialog *self = GLEANER_EXPORT_DIALOG (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) dir = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = dir != NULL ? g_file_get_path (dir) : NULL;
      if (path != NULL && self->stack != NULL)
        gleaner_export_dialog_set_target (self, path);
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
on_target_clicked_cb (GleanerExportDialog *self)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Export Into"), GTK_WINDOW (self),
                                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"),
                                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (target_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
show_progress (gpointer owner, gconstpointer figures)
{
  GleanerExportDialog *self = GLEANER_EXPORT_DIALOG (owner);
  const GlExportProgress *p = figures;

  if (self->cancellable != NULL && self->stack != NULL && p->total > 0)
    {
      g_autofree char *text = g_strdup_printf (_("%'" G_GUINT64_FORMAT " of %'" G_GUINT64_FORMAT " images"), p->done,
                                               p->total);
      gleaner_progress_post_set_bar (self->progress_bar, self->progress_label, p->done, p->total, text);
    }
}

/* On the export thread. */
static void
export_progress_cb (const GlExportProgress *progress, gpointer user_data)
{
  gleaner_progress_post_publish (&GLEANER_EXPORT_DIALOG (user_data)->progress, progress);
}

static void
export_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExportJob *job = task_data;
  GError *error = NULL;
  g_autoptr (GlProject) project = gl_project_open (job->project_dir, &error);

  if (project == NULL
      || !gl_export_project (project, job->target, &job->options, export_progress_cb, source, cancellable,
                             &job->summary, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
export_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GleanerExportDialog *self = GLEANER_EXPORT_DIALOG (source);
  ExportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  g_autofree char *text = NULL;

  g_clear_object (&self->cancellable);
  if (self->stack == NULL)
    return; /* destroyed meanwhile */

  if (ok)
    {
      g_autoptr (GString) said = g_string_new (NULL);
      g_string_printf (said, ngettext ("%'" G_GUINT64_FORMAT " image written to %s",
                                       "%'" G_GUINT64_FORMAT " images written to %s", job->summary.done),
                       job->summary.done, job->target);
      if (job->summary.consensus > 0)
        {
          g_string_append (said, "\n");
          g_string_append_printf (said,
                                  ngettext ("%'" G_GUINT64_FORMAT " image labeled by several annotators carries "
                                            "their consensus.",
                                            "%'" G_GUINT64_FORMAT " images labeled by several annotators carry "
                                            "their consensus.",
                                            job->summary.consensus),
                                  job->summary.consensus);
        }
      if (job->summary.ties > 0)
        {
          g_string_append (said, "\n");
          g_string_append_printf (said,
                                  ngettext ("%'" G_GUINT64_FORMAT " image was left out: its annotators disagree "
                                            "and none is more reliable. Resolve it (gleaner-cli conflicts lists it), then "
                                            "export again.",
                                            "%'" G_GUINT64_FORMAT " images were left out: their annotators disagree "
                                            "and none is more reliable. Resolve them (gleaner-cli conflicts lists them), "
                                            "then export again.",
                                            job->summary.ties),
                                  job->summary.ties);
        }
      text = g_string_free (g_steal_pointer (&said), FALSE);
      adw_status_page_set_title (self->done_page, _("Export Finished"));
      adw_status_page_set_icon_name (self->done_page, "emblem-ok-symbolic");
    }
  else
    {
      text = g_strdup (error->message);
      adw_status_page_set_title (self->done_page, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                                      ? _("Export Cancelled")
                                                      : _("Export Failed"));
      adw_status_page_set_icon_name (self->done_page, "dialog-warning-symbolic");
    }
  adw_status_page_set_description (self->done_page, text);
  gtk_widget_set_visible (GTK_WIDGET (self->open_button), ok || job->summary.done > 0);
  gtk_stack_set_visible_child_name (self->stack, "done");
}

void
gleaner_export_dialog_start (GleanerExportDialog *self)
{
  static const GlExportLink links[] = { GL_EXPORT_LINK_COPY, GL_EXPORT_LINK_HARDLINK, GL_EXPORT_LINK_SYMLINK };
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  ExportJob *job;

  g_return_if_fail (GLEANER_IS_EXPORT_DIALOG (self));
  if (self->cancellable != NULL || self->target == NULL)
    return;

  job = g_new0 (ExportJob, 1);
  gl_export_options_init (&job->options);
  if (!gl_export_parse_split (gtk_editable_get_text (GTK_EDITABLE (self->split_row)), job->options.shares, &error))
    {
      /* The row turns red and says why. */
      gtk_widget_add_css_class (GTK_WIDGET (self->split_row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->split_row), error->message);
      export_job_free (job);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->split_row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->split_row), NULL);
  job->options.format = (GlExportFormat) MIN (adw_combo_row_get_selected (self->format_row), 2u);
  job->options.link = links[MIN (adw_combo_row_get_selected (self->link_row), G_N_ELEMENTS (links) - 1)];
  job->options.seed = (guint64) gtk_spin_button_get_value_as_int (self->seed_spin);
  job->options.force = gtk_switch_get_active (self->force_switch);
  job->options.include_unconfirmed = gtk_switch_get_active (self->unconfirmed_switch);
  job->options.include_predictions = gtk_switch_get_active (self->predictions_switch)
                                     && job->options.format == GL_EXPORT_JSON;
  job->options.include_model = gtk_switch_get_active (self->model_switch);
  job->project_dir = g_strdup (self->project_dir);
  job->target = g_strdup (self->target);

  self->cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->progress_label, "");
  gtk_stack_set_visible_child_name (self->stack, "progress");

  task = g_task_new (self, self->cancellable, export_done_cb, NULL);
  g_task_set_source_tag (task, gleaner_export_dialog_start);
  g_task_set_task_data (task, job, (GDestroyNotify) export_job_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
gleaner_export_dialog_is_running (GleanerExportDialog *self)
{
  g_return_val_if_fail (GLEANER_IS_EXPORT_DIALOG (self), FALSE);
  return self->cancellable != NULL;
}

static void
on_export_clicked_cb (GleanerExportDialog *self)
{
  gleaner_export_dialog_start (self);
}

static void
on_cancel_clicked_cb (GleanerExportDialog *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
on_back_clicked_cb (GleanerExportDialog *self)
{
  gtk_stack_set_visible_child_name (self->stack, "options");
}

static void
on_open_clicked_cb (GleanerExportDialog *self)
{
  g_autoptr (GFile) file = g_file_new_for_path (self->target);
  g_autofree char *uri = g_file_get_uri (file);

  gtk_show_uri (GTK_WINDOW (self), uri, GDK_CURRENT_TIME);
}

static void
gleaner_export_dialog_dispose (GObject *object)
{
  GleanerExportDialog *self = GLEANER_EXPORT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_EXPORT_DIALOG);
  G_OBJECT_CLASS (gleaner_export_dialog_parent_class)->dispose (object);
}

static void
gleaner_export_dialog_finalize (GObject *object)
{
  GleanerExportDialog *self = GLEANER_EXPORT_DIALOG (object);

  g_free (self->project_dir);
  g_free (self->target);
  g_clear_object (&self->cancellable);
  gleaner_progress_post_clear (&self->progress);
  G_OBJECT_CLASS (gleaner_export_dialog_parent_class)->finalize (object);
}

static void
gleaner_export_dialog_class_init (GleanerExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_export_dialog_dispose;
  object_class->finalize = gleaner_export_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gleaner/Gleaner/gleaner-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, format_row);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, link_row);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, split_row);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, unconfirmed_switch);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, predictions_switch);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, model_switch);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, target_row);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, force_switch);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, export_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, done_page);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, back_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerExportDialog, open_button);
  gtk_widget_class_bind_template_callback (widget_class, on_target_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_open_clicked_cb);
}

static void
gleaner_export_dialog_init (GleanerExportDialog *self)
{
  gleaner_progress_post_init (&self->progress, self, sizeof (GlExportProgress), show_progress);
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->format_row, "notify::selected", G_CALLBACK (update_sensitivity), self);
  update_sensitivity (self);
}
