/* gleaner-window.c — see gleaner-window.h. */
#include "gleaner-config.h"

#include "ui/gleaner-window.h"

#include <glib/gi18n.h>

#include "app/gl-demo.h"
#include "ui/gleaner-label-view.h"
#include "ui/gleaner-welcome-page.h"

struct _GleanerWindow
{
  AdwApplicationWindow parent_instance;

  /* template children */
  AdwViewSwitcherTitle *switcher_title;
  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  GleanerWelcomePage *welcome_page;
  AdwStatusPage *loading_page;
  GtkProgressBar *loading_progress;
  AdwViewStack *view_stack;
  GleanerLabelView *label_view;

  /* owned */
  GSettings *settings;
  GlProject *project;
  GCancellable *loading_cancellable;

  /* Progress of the opening, written by the loading thread, published by
   * one coalesced idle on the main thread. */
  GMutex progress_mutex;
  GlImportProgress progress;
  gboolean progress_pending;
};

G_DEFINE_FINAL_TYPE (GleanerWindow, gleaner_window, ADW_TYPE_APPLICATION_WINDOW)

GleanerWindow *
gleaner_window_new (GleanerApplication *app)
{
  return g_object_new (GLEANER_TYPE_WINDOW, "application", app, NULL);
}

GlProject *
gleaner_window_get_project (GleanerWindow *self)
{
  g_return_val_if_fail (GLEANER_IS_WINDOW (self), NULL);
  return self->project;
}

const char *
gleaner_window_get_state (GleanerWindow *self)
{
  g_return_val_if_fail (GLEANER_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->main_stack);
}

void
gleaner_window_add_toast (GleanerWindow *self, AdwToast *toast)
{
  g_return_if_fail (GLEANER_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
toast_error (GleanerWindow *self, const char *what, const GError *error)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", what, error->message);
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
update_actions (GleanerWindow *self)
{
  gboolean has_project = self->project != NULL;
  gboolean loading = self->loading_cancellable != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open", !loading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-demo", !loading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-recent", !loading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-project", !loading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-project", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.import", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.classes", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-page", has_project);
}

static void
set_project (GleanerWindow *self, GlProject *project)
{
  /* The views let go of the old project before it closes. */
  gleaner_label_view_set_project (self->label_view, NULL);
  g_clear_pointer (&self->project, gl_project_close);
  self->project = project;

  if (project != NULL)
    {
      g_autofree char *name = g_path_get_basename (gl_project_get_dir (project));
      g_autofree char *title = g_strdup_printf ("%s — Gleaner", name);

      gtk_window_set_title (GTK_WINDOW (self), title);
      adw_view_switcher_title_set_subtitle (self->switcher_title, name);
      gleaner_label_view_set_project (self->label_view, project);
      gtk_stack_set_visible_child_name (self->main_stack, "project");
      adw_view_stack_set_visible_child_name (self->view_stack, "label");
      gtk_widget_grab_focus (GTK_WIDGET (self->label_view));
    }
  else
    {
      gtk_window_set_title (GTK_WINDOW (self), "Gleaner");
      adw_view_switcher_title_set_subtitle (self->switcher_title, NULL);
      gtk_stack_set_visible_child_name (self->main_stack, "welcome");
    }
  update_actions (self);
}

void
gleaner_window_close_project (GleanerWindow *self)
{
  g_return_if_fail (GLEANER_IS_WINDOW (self));
  set_project (self, NULL);
}

/* ---- opening off the main thread ---- */

static gboolean
progress_idle_cb (gpointer user_data)
{
  GleanerWindow *self = GLEANER_WINDOW (user_data);
  GlImportProgress p;

  g_mutex_lock (&self->progress_mutex);
  p = self->progress;
  self->progress_pending = FALSE;
  g_mutex_unlock (&self->progress_mutex);

  if (self->loading_cancellable == NULL || self->loading_progress == NULL)
    return G_SOURCE_REMOVE;
  if (p.total > 0)
    {
      g_autofree char *text = g_strdup_printf (_("%'" G_GUINT64_FORMAT " of %'" G_GUINT64_FORMAT " images"), p.done,
                                               p.total);
      gtk_progress_bar_set_fraction (self->loading_progress, (double) p.done / (double) p.total);
      gtk_progress_bar_set_text (self->loading_progress, text);
    }
  return G_SOURCE_REMOVE;
}

/* Runs on the loading thread. */
static void
loading_progress_cb (const GlImportProgress *progress, gpointer user_data)
{
  GleanerWindow *self = GLEANER_WINDOW (user_data);

  g_mutex_lock (&self->progress_mutex);
  self->progress = *progress;
  if (!self->progress_pending)
    {
      self->progress_pending = TRUE;
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, progress_idle_cb, g_object_ref (self), g_object_unref);
    }
  g_mutex_unlock (&self->progress_mutex);
}

static void
open_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GleanerWindow *self = GLEANER_WINDOW (source);
  const char *dir = task_data; /* NULL: the demo */
  GError *error = NULL;
  GlProject *project;

  if (dir == NULL)
    project = gl_demo_ensure (NULL, NULL, loading_progress_cb, self, cancellable, &error);
  else
    project = gl_project_open (dir, &error);

  if (project == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, project, (GDestroyNotify) gl_project_close);
}

static void
open_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GleanerWindow *self = GLEANER_WINDOW (source);
  g_autoptr (GError) error = NULL;
  GlProject *project = g_task_propagate_pointer (G_TASK (result), &error);
  GleanerApplication *app = GLEANER_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  g_clear_object (&self->loading_cancellable);
  if (project == NULL)
    {
      set_project (self, NULL);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast_error (self, _("Cannot open the project"), error);
      return;
    }
  if (app != NULL)
    gleaner_application_add_recent (app, gl_project_get_dir (project));
  set_project (self, project);
}

static void
start_open (GleanerWindow *self, const char *dir, const char *title)
{
  g_autoptr (GTask) task = NULL;

  if (self->loading_cancellable != NULL)
    return;
  set_project (self, NULL);
  self->loading_cancellable = g_cancellable_new ();
  self->progress = (GlImportProgress) { 0 };
  adw_status_page_set_title (self->loading_page, title);
  gtk_progress_bar_set_fraction (self->loading_progress, 0.0);
  gtk_progress_bar_set_text (self->loading_progress, dir == NULL ? _("Preparing the Fashion-MNIST images…") : "");
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
  update_actions (self);

  task = g_task_new (self, self->loading_cancellable, open_done_cb, NULL);
  g_task_set_source_tag (task, start_open);
  g_task_set_task_data (task, g_strdup (dir), g_free);
  g_task_run_in_thread (task, open_thread);
}

void
gleaner_window_open_project (GleanerWindow *self, GFile *dir)
{
  g_autofree char *path = NULL;

  g_return_if_fail (GLEANER_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (dir));

  path = g_file_get_path (dir);
  if (path == NULL)
    {
      g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("%s is not a local folder"),
                                              g_file_peek_path (dir) ? g_file_peek_path (dir) : "");
      toast_error (self, _("Cannot open the project"), error);
      return;
    }
  start_open (self, path, _("Opening Project"));
}

void
gleaner_window_open_demo (GleanerWindow *self)
{
  g_return_if_fail (GLEANER_IS_WINDOW (self));
  start_open (self, NULL, _("Opening the Demo Project"));
}

static void
on_loading_cancel_clicked_cb (GleanerWindow *self)
{
  if (self->loading_cancellable != NULL)
    g_cancellable_cancel (self->loading_cancellable);
}

/* ---- actions ---- */

static void
open_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  GleanerWindow *self = GLEANER_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) dir = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      if (dir != NULL)
        gleaner_window_open_project (self, dir);
    }
  g_object_unref (chooser);
}

static void
open_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Open Project"), GTK_WINDOW (widget),
                                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"),
                                                               _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (open_response_cb), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_demo_action (GtkWidget *widget, const char *action, GVariant *param)
{
  gleaner_window_open_demo (GLEANER_WINDOW (widget));
}

static void
open_recent_action (GtkWidget *widget, const char *action, GVariant *param)
{
  g_autoptr (GFile) dir = g_file_new_for_path (g_variant_get_string (param, NULL));
  gleaner_window_open_project (GLEANER_WINDOW (widget), dir);
}

static void
new_project_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GleanerWindow *self = GLEANER_WINDOW (widget);
  gleaner_welcome_page_new_project (self->welcome_page);
}

static void
close_project_action (GtkWidget *widget, const char *action, GVariant *param)
{
  gleaner_window_close_project (GLEANER_WINDOW (widget));
}

static void
show_page_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GleanerWindow *self = GLEANER_WINDOW (widget);
  const char *name = g_variant_get_string (param, NULL);

  if (adw_view_stack_get_child_by_name (self->view_stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}

static void
on_welcome_page_project_created_cb (GleanerWindow *self, const char *dir)
{
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  gleaner_window_open_project (self, file);
}

/* ---- life cycle ---- */

static gboolean
gleaner_window_close_request (GtkWindow *window)
{
  GleanerWindow *self = GLEANER_WINDOW (window);
  int width = 0, height = 0;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (self->loading_cancellable != NULL)
    g_cancellable_cancel (self->loading_cancellable);
  return GTK_WINDOW_CLASS (gleaner_window_parent_class)->close_request (window);
}

static void
gleaner_window_dispose (GObject *object)
{
  GleanerWindow *self = GLEANER_WINDOW (object);

  if (self->loading_cancellable != NULL)
    g_cancellable_cancel (self->loading_cancellable);
  if (self->label_view != NULL)
    gleaner_label_view_set_project (self->label_view, NULL);
  g_clear_pointer (&self->project, gl_project_close);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_WINDOW);
  G_OBJECT_CLASS (gleaner_window_parent_class)->dispose (object);
}

static void
gleaner_window_finalize (GObject *object)
{
  GleanerWindow *self = GLEANER_WINDOW (object);

  g_clear_object (&self->loading_cancellable);
  g_clear_object (&self->settings);
  g_mutex_clear (&self->progress_mutex);
  G_OBJECT_CLASS (gleaner_window_parent_class)->finalize (object);
}

static void
gleaner_window_class_init (GleanerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = gleaner_window_dispose;
  object_class->finalize = gleaner_window_finalize;
  window_class->close_request = gleaner_window_close_request;

  g_type_ensure (GLEANER_TYPE_WELCOME_PAGE);
  g_type_ensure (GLEANER_TYPE_LABEL_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gleaner/Gleaner/gleaner-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, loading_progress);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, label_view);
  gtk_widget_class_bind_template_callback (widget_class, on_loading_cancel_clicked_cb);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.new-project", NULL, new_project_action);
  gtk_widget_class_install_action (widget_class, "win.close-project", NULL, close_project_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
}

static void
gleaner_window_init (GleanerWindow *self)
{
  g_mutex_init (&self->progress_mutex);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (GLEANER_APP_ID);
  gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect_swapped (self->welcome_page, "project-created", G_CALLBACK (on_welcome_page_project_created_cb),
                            self);
  gtk_stack_set_visible_child_name (self->main_stack, "welcome");
  update_actions (self);
}
