/* gleaner-import-dialog.c — see gleaner-import-dialog.h. */
#include "gleaner-config.h"

#include "ui/gleaner-import-dialog.h"

#include <glib/gi18n.h>

#include "app/gl-session.h"
#include "ui/gleaner-progress-post.h"

/* Unreadable files and duplicates listed in the summary (the counts cover them all). */
#define MAX_LISTED 200

struct _GleanerImportDialog
{
  AdwWindow parent_instance;

  /* template children */
  GtkStack *stack;
  GtkListBox *paths_list;
  AdwComboRow *layout_row;
  AdwComboRow *labels_row;
  GtkButton *import_button;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  AdwStatusPage *summary_page;
  AdwPreferencesGroup *unreadable_group;
  GtkListBox *unreadable_list;
  AdwPreferencesGroup *duplicates_group;
  GtkListBox *duplicates_list;

  /* built in init, owned by the widget tree */
  GtkSwitch *thumbnails_switch;

  /* borrowed */
  GlProject *project;

  /* owned */
  GPtrArray *paths; /* char * */
  GCancellable *cancellable;
  char *summary;
  gboolean cancelled; /* the import of the summary */
  gint64 last_id_before; /* images above it came from this import */

  /* GlImportProgress written by the import thread, shown by one coalesced idle */
  GleanerProgressPost progress;
};

G_DEFINE_FINAL_TYPE (GleanerImportDialog, gleaner_import_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_FINISHED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

typedef struct
{
  char **paths;
  GlImportOptions options;
  GlImportProgress summary;
  GPtrArray *duplicates; /* the first MAX_LISTED paths; written by the import thread */
} ImportJob;

static void
import_job_free (ImportJob *job)
{
  g_strfreev (job->paths);
  g_ptr_array_unref (job->duplicates);
  g_free (job);
}

/* On the import thread. */
static void
import_duplicate_cb (const char *path, gpointer user_data)
{
  ImportJob *job = user_data;

  if (job->duplicates->len < MAX_LISTED)
    g_ptr_array_add (job->duplicates, g_strdup (path));
}

GleanerImportDialog *
gleaner_import_dialog_new (GtkWindow *parent, GlProject *project)
{
  GleanerImportDialog *self = g_object_new (GLEANER_TYPE_IMPORT_DIALOG, "transient-for", parent, NULL);
  self->project = project;
  return self;
}

static void
on_remove_clicked_cb (GtkButton *button, GleanerImportDialog *self)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_LIST_BOX_ROW);
  const char *path = g_object_get_data (G_OBJECT (row), "path");

  for (guint i = 0; i < self->paths->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->paths, i), path) == 0)
      {
        g_ptr_array_remove_index (self->paths, i);
        break;
      }
  gtk_list_box_remove (self->paths_list, row);
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), self->paths->len > 0);
}

void
gleaner_import_dialog_add_path (GleanerImportDialog *self, const char *path)
{
  g_autofree char *name = NULL;
  GtkWidget *row, *button;
  gboolean dir;

  g_return_if_fail (GLEANER_IS_IMPORT_DIALOG (self));
  for (guint i = 0; i < self->paths->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->paths, i), path) == 0)
      return;
  g_ptr_array_add (self->paths, g_strdup (path));

  dir = g_file_test (path, G_FILE_TEST_IS_DIR);
  name = g_path_get_basename (path);
  row = adw_action_row_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), path);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name (dir ? "folder-symbolic" : "image-x-generic-symbolic"));
  button = gtk_button_new_from_icon_name ("edit-delete-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Remove"));
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect (button, "clicked", G_CALLBACK (on_remove_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  g_object_set_data_full (G_OBJECT (row), "path", g_strdup (path), g_free);
  gtk_list_box_append (self->paths_list, row);
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), TRUE);
}

void
gleaner_import_dialog_add_files (GleanerImportDialog *self, GListModel *files)
{
  g_return_if_fail (GLEANER_IS_IMPORT_DIALOG (self));
  for (guint i = 0; i < g_list_model_get_n_items (files); i++)
    {
      g_autoptr (GFile) file = g_list_model_get_item (files, i);
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL)
        gleaner_import_dialog_add_path (self, path);
    }
}

static void
chooser_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  GleanerImportDialog *self = GLEANER_IMPORT_DIALOG (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));
      gleaner_import_dialog_add_files (self, files);
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
choose (GleanerImportDialog *self, gboolean folders)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (
      folders ? _("Add Folders") : _("Add Images"), GTK_WINDOW (self),
      folders ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN, _("_Add"), _("_Cancel"));

  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  if (!folders)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("Images, CSV and IDX files"));
      gtk_file_filter_add_pixbuf_formats (filter);
      gtk_file_filter_add_pattern (filter, "*.csv");
      gtk_file_filter_add_pattern (filter, "*idx*-ubyte*");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
      g_object_unref (filter);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_add_folders_clicked_cb (GleanerImportDialog *self)
{
  choose (self, TRUE);
}

static void
on_add_files_clicked_cb (GleanerImportDialog *self)
{
  choose (self, FALSE);
}

/* ---- the import thread ---- */

static void
show_progress (gpointer owner, gconstpointer figures)
{
  GleanerImportDialog *self = GLEANER_IMPORT_DIALOG (owner);
  const GlImportProgress *p = figures;
  g_autofree char *text = NULL;

  if (self->cancellable == NULL)
    return;
  text = g_strdup_printf (_("%'" G_GUINT64_FORMAT " of %'" G_GUINT64_FORMAT " files · %'" G_GUINT64_FORMAT
                            " added · %'.0f per second"),
                          p->done, p->total, p->added, p->images_per_s);
  gleaner_progress_post_set_bar (self->progress_bar, self->progress_label, p->done, p->total, text);
}

/* On the import thread. */
static void
import_progress_cb (const GlImportProgress *progress, gpointer user_data)
{
  gleaner_progress_post_publish (&GLEANER_IMPORT_DIALOG (user_data)->progress, progress);
}

static void
import_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GleanerImportDialog *self = GLEANER_IMPORT_DIALOG (source);
  ImportJob *job = task_data;
  GError *error = NULL;

  if (gl_project_import (self->project, (const char *const *) job->paths, &job->options, import_progress_cb, self,
                         cancellable, &job->summary, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static char *
format_summary (const GlImportProgress *s)
{
  g_autoptr (GString) text = g_string_new (NULL);

  g_string_append_printf (text, ngettext ("%'" G_GUINT64_FORMAT " added", "%'" G_GUINT64_FORMAT " added", s->added),
                          s->added);
  g_string_append_printf (text, ", %'" G_GUINT64_FORMAT " %s", s->unreadable, _("unreadable"));
  g_string_append_printf (text, ", %'" G_GUINT64_FORMAT " %s", s->duplicates,
                          s->duplicates == 1 ? _("duplicate") : _("duplicates"));
  if (s->skipped > 0)
    g_string_append_printf (text, ", %'" G_GUINT64_FORMAT " %s", s->skipped, _("not images"));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Lists @n of @total files in @group's @list, each with its reason; shows
 * the group only when it lists any. */
static void
show_files (AdwPreferencesGroup *group, GtkListBox *list, const char *const *paths, const char *const *reasons,
            guint n, guint64 total)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), paths[i]);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), reasons[i] != NULL ? reasons[i] : "");
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 2);
      gtk_list_box_append (list, row);
    }
  if (total > n)
    {
      g_autofree char *more = g_strdup_printf (_("The first %u of %'" G_GUINT64_FORMAT " files"), n, total);
      adw_preferences_group_set_description (group, more);
    }
  else
    adw_preferences_group_set_description (group, NULL);
  gtk_widget_set_visible (GTK_WIDGET (group), n > 0);
}

static void
fill_unreadable (GleanerImportDialog *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autofree const char **paths = NULL;
  g_autofree const char **reasons = NULL;
  guint64 total = 0;

  files = gl_session_list_unreadable (self->project, self->last_id_before, MAX_LISTED, &total, &error);
  if (files == NULL)
    {
      show_files (self->unreadable_group, self->unreadable_list, NULL, NULL, 0, 0);
      adw_preferences_group_set_description (self->unreadable_group, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->unreadable_group), TRUE);
      return;
    }
  paths = g_new0 (const char *, files->len + 1);
  reasons = g_new0 (const char *, files->len + 1);
  for (guint i = 0; i < files->len; i++)
    {
      GlUnreadableFile *file = g_ptr_array_index (files, i);
      paths[i] = file->path;
      reasons[i] = file->reason;
    }
  show_files (self->unreadable_group, self->unreadable_list, paths, reasons, files->len, total);
}

/* Duplicates are not stored: the import named them to the job. */
static void
fill_duplicates (GleanerImportDialog *self, ImportJob *job)
{
  g_autofree const char **reasons = g_new0 (const char *, job->duplicates->len + 1);

  for (guint i = 0; i < job->duplicates->len; i++)
    reasons[i] = _("The same content is in the project already, or earlier in this import");
  show_files (self->duplicates_group, self->duplicates_list, (const char *const *) job->duplicates->pdata, reasons,
              job->duplicates->len, job->summary.duplicates);
}

static void
import_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GleanerImportDialog *self = GLEANER_IMPORT_DIALOG (source);
  ImportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_object (&self->cancellable);
  g_free (self->summary);
  self->summary = format_summary (&job->summary);
  self->cancelled = cancelled;

  if (self->stack == NULL)
    {
      /* Destroyed while importing (the project was closed). */
      g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
      return;
    }
  if (ok)
    adw_status_page_set_title (self->summary_page, _("Import Finished"));
  else if (cancelled)
    adw_status_page_set_title (self->summary_page, _("Import Cancelled"));
  else
    adw_status_page_set_title (self->summary_page, _("Import Failed"));
  adw_status_page_set_icon_name (self->summary_page, ok ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  if (ok || cancelled)
    adw_status_page_set_description (self->summary_page, self->summary);
  else
    {
      g_autofree char *text = g_strdup_printf ("%s\n%s", error->message, self->summary);
      adw_status_page_set_description (self->summary_page, text);
    }
  fill_unreadable (self);
  fill_duplicates (self, job);
  gtk_stack_set_visible_child_name (self->stack, "summary");
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

void
gleaner_import_dialog_start (GleanerImportDialog *self)
{
  static const GlImportLayout layouts[] = { GL_IMPORT_LAYOUT_AUTO, GL_IMPORT_LAYOUT_PLAIN,
                                            GL_IMPORT_LAYOUT_IMAGEFOLDER, GL_IMPORT_LAYOUT_CSV };
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  ImportJob *job;
  guint layout;

  g_return_if_fail (GLEANER_IS_IMPORT_DIALOG (self));
  if (self->cancellable != NULL || self->paths->len == 0 || self->project == NULL)
    return;

  if (!gl_session_last_image_id (self->project, &self->last_id_before, &error))
    {
      g_warning ("%s", error->message);
      self->last_id_before = G_MAXINT64;
    }

  job = g_new0 (ImportJob, 1);
  job->paths = g_new0 (char *, self->paths->len + 1);
  for (guint i = 0; i < self->paths->len; i++)
    job->paths[i] = g_strdup (g_ptr_array_index (self->paths, i));
  gl_import_options_init (&job->options);
  layout = adw_combo_row_get_selected (self->layout_row);
  job->options.layout = layouts[MIN (layout, G_N_ELEMENTS (layouts) - 1)];
  job->options.labels_as = adw_combo_row_get_selected (self->labels_row) == 1 ? GL_LABELS_AS_REFERENCE
                                                                              : GL_LABELS_AS_HUMAN;
  job->options.thumbnails = gtk_switch_get_active (self->thumbnails_switch);
  job->duplicates = g_ptr_array_new_with_free_func (g_free);
  job->options.duplicate_func = import_duplicate_cb;
  job->options.duplicate_data = job;

  self->cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->progress_label, _("Looking for images…"));
  gtk_stack_set_visible_child_name (self->stack, "progress");

  task = g_task_new (self, self->cancellable, import_done_cb, NULL);
  g_task_set_source_tag (task, gleaner_import_dialog_start);
  g_task_set_task_data (task, job, (GDestroyNotify) import_job_free);
  g_task_run_in_thread (task, import_thread);
}

gboolean
gleaner_import_dialog_is_running (GleanerImportDialog *self)
{
  g_return_val_if_fail (GLEANER_IS_IMPORT_DIALOG (self), FALSE);
  return self->cancellable != NULL;
}

void
gleaner_import_dialog_cancel (GleanerImportDialog *self)
{
  g_return_if_fail (GLEANER_IS_IMPORT_DIALOG (self));
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

const char *
gleaner_import_dialog_get_summary (GleanerImportDialog *self)
{
  g_return_val_if_fail (GLEANER_IS_IMPORT_DIALOG (self), NULL);
  return self->summary;
}

static void
on_import_clicked_cb (GleanerImportDialog *self)
{
  gleaner_import_dialog_start (self);
}

static void
on_cancel_clicked_cb (GleanerImportDialog *self)
{
  gleaner_import_dialog_cancel (self);
}

/* Thumbnails are made at import only when asked: encoding them costs about as
 * much as the import itself, and the Gallery makes a missing one when it
 * first shows the image. The row joins the group of the labels row. */
static void
add_thumbnails_row (GleanerImportDialog *self)
{
  GtkWidget *group = gtk_widget_get_ancestor (GTK_WIDGET (self->labels_row), ADW_TYPE_PREFERENCES_GROUP);
  GtkWidget *row = adw_action_row_new ();

  self->thumbnails_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->thumbnails_switch), GTK_ALIGN_CENTER);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Make _Thumbnails Now"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), TRUE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("Otherwise the Gallery makes each one the first time it shows the image"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (self->thumbnails_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), GTK_WIDGET (self->thumbnails_switch));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
}

gboolean
gleaner_import_dialog_get_cancelled (GleanerImportDialog *self)
{
  g_return_val_if_fail (GLEANER_IS_IMPORT_DIALOG (self), FALSE);
  return self->cancelled;
}

static void
gleaner_import_dialog_dispose (GObject *object)
{
  GleanerImportDialog *self = GLEANER_IMPORT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_IMPORT_DIALOG);
  G_OBJECT_CLASS (gleaner_import_dialog_parent_class)->dispose (object);
}

static void
gleaner_import_dialog_finalize (GObject *object)
{
  GleanerImportDialog *self = GLEANER_IMPORT_DIALOG (object);

  g_ptr_array_unref (self->paths);
  g_clear_object (&self->cancellable);
  g_free (self->summary);
  gleaner_progress_post_clear (&self->progress);
  G_OBJECT_CLASS (gleaner_import_dialog_parent_class)->finalize (object);
}

static void
gleaner_import_dialog_class_init (GleanerImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_import_dialog_dispose;
  object_class->finalize = gleaner_import_dialog_finalize;

  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                           NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gleaner/Gleaner/gleaner-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, paths_list);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, layout_row);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, labels_row);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, import_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, summary_page);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, unreadable_group);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, unreadable_list);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, duplicates_group);
  gtk_widget_class_bind_template_child (widget_class, GleanerImportDialog, duplicates_list);
  gtk_widget_class_bind_template_callback (widget_class, on_add_folders_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_add_files_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_import_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "gtk_window_close", G_CALLBACK (gtk_window_close));
}

static void
gleaner_import_dialog_init (GleanerImportDialog *self)
{
  gleaner_progress_post_init (&self->progress, self, sizeof (GlImportProgress), show_progress);
  self->paths = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), FALSE);
  add_thumbnails_row (self);
}
