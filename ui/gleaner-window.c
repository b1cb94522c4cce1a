/* gleaner-window.c — see gleaner-window.h. */
#include "gleaner-config.h"

#include "ui/gleaner-window.h"

#include <glib/gi18n.h>

#include <math.h>
#include <string.h>

#include "app/gl-demo.h"
#include "app/gl-drift-report.h"
#include "app/gl-session.h"
#include "app/gl-team-watch.h"
#include "app/gl-watch.h"
#include "app/gl-drift-status.h"
#include "ui/gleaner-classes-dialog.h"
#include "ui/gleaner-connect-dialog.h"
#include "ui/gleaner-drift-banner.h"
#include "ui/gleaner-export-dialog.h"
#include "ui/gleaner-gallery-view.h"
#include "ui/gleaner-insights-view.h"
#include "ui/gleaner-import-dialog.h"
#include "ui/gleaner-label-view.h"
#include "ui/gleaner-training-status.h"
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
  GleanerGalleryView *gallery_view;
  GleanerInsightsView *insights_view;
  GleanerTrainingStatus *training_status;
  GleanerDriftBanner *drift_banner;
  GMenu *watch_section; /* "Watch a Folder…", then one "Stop Watching" item per watched folder */

  /* owned */
  GSettings *settings;
  GlProject *project;
  GlQueue *queue;     /* on project */
  GlTrainer *trainer; /* on project */
  GlWatch *watch;     /* on project: its watched folders */
  GlTeamWatch *team_watch; /* on a team project: the other desktops' changes, live; NULL otherwise */
  GleanerImportDialog *import_dialog; /* the last one, while the project is open */
  GCancellable *loading_cancellable;
  GCancellable *drift_cancellable; /* of the drift state's load, NULL when none */
  GCancellable *boost_cancellable; /* of "Label Drifted Images" under way, NULL when none */
  GCancellable *update_cancellable; /* of a new batch's drift being computed, NULL when none */

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

GlQueue *
gleaner_window_get_queue (GleanerWindow *self)
{
  g_return_val_if_fail (GLEANER_IS_WINDOW (self), NULL);
  return self->queue;
}

GlTrainer *
gleaner_window_get_trainer (GleanerWindow *self)
{
  g_return_val_if_fail (GLEANER_IS_WINDOW (self), NULL);
  return self->trainer;
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
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.connect-team", !loading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-project", !loading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-project", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.import", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.classes", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.watch-folder", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.unwatch-folder", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-page", has_project);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.train-now", self->trainer != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-training", self->trainer != NULL);
}

/* ---- Drift: the banner and the status bar's estimate ---- */

static void
on_drift_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDriftStatus) drift = gl_drift_status_load_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the project closed or the state is read again */
  GleanerWindow *self = user_data;
  g_clear_object (&self->drift_cancellable);
  if (drift == NULL)
    g_warning ("cannot read the drift state: %s", error->message);
  gleaner_drift_banner_show_state (self->drift_banner, drift ? &drift->state : NULL);
  const GlDriftAutoAccuracy *a = drift ? &drift->accuracy : NULL;
  if (a == NULL || a->model_id < 0 || a->batch_id < 0)
    {
      gleaner_training_status_set_estimate (self->training_status, NULL);
      return;
    }
  const GlDriftAutoState *st = &drift->state;
  GleanerAccuracyEstimate estimate
      = { a->model_id, a->batch_id, a->n, a->accuracy_est, a->accuracy_se, a->accuracy_ref,
          st->drifted && st->kind == GL_DB_DRIFT_BATCH && st->batch_id == a->batch_id };
  gleaner_training_status_set_estimate (self->training_status, &estimate);
}

/* Reads the current version's drift state on a worker (after a round, an
 * import, opening, the boost). */
static void
refresh_drift (GleanerWindow *self)
{
  if (self->drift_cancellable)
    g_cancellable_cancel (self->drift_cancellable);
  g_clear_object (&self->drift_cancellable);
  if (self->project == NULL)
    {
      gleaner_drift_banner_show_state (self->drift_banner, NULL);
      gleaner_training_status_set_estimate (self->training_status, NULL);
      return;
    }
  self->drift_cancellable = g_cancellable_new ();
  gl_drift_status_load_async (gl_project_get_db_path (self->project), self->drift_cancellable, on_drift_loaded_cb,
                              self);
}

static void
on_drift_updated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = gl_drift_report_update_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the project closed */
  GleanerWindow *self = user_data;
  g_clear_object (&self->update_cancellable);
  if (!ok)
    g_warning ("cannot compute the drift of the new images: %s", error->message);
  refresh_drift (self);
}

/* Computes the drift of the batches that have none yet (and the automation
 * step) on a worker, then shows the state. */
static void
update_drift (GleanerWindow *self)
{
  if (self->project == NULL || self->update_cancellable != NULL)
    return; /* one at a time: the running one reads every batch without a result */
  self->update_cancellable = g_cancellable_new ();
  gl_drift_report_update_async (self->project, self->update_cancellable, on_drift_updated_cb, self);
}

static void
on_boost_started_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  gint64 action_id = -1;
  gboolean ok = gl_drift_status_start_boost_finish (result, &action_id, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the project closed */
  GleanerWindow *self = user_data;
  g_clear_object (&self->boost_cancellable);
  if (!ok)
    {
      toast_error (self, _("Cannot label the drifted images first"), error);
      return;
    }
  /* The queue takes the boosted ranking the store now holds. */
  g_autoptr (GError) reload_error = NULL;
  if (self->queue != NULL && !gl_queue_reload (self->queue, &reload_error))
    toast_error (self, _("Cannot read the queue"), reload_error);
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_("Drifted images come first in the queue; Gleaner retrains once enough "
                                                "of them are labeled")));
  adw_view_stack_set_visible_child_name (self->view_stack, "label");
  refresh_drift (self);
}

/* "Label Drifted Images": the drift-boosted queue (app/gl-drift-auto.h),
 * started on a worker, then the Label view. */
static void
on_drift_banner_label_drifted_cb (GleanerWindow *self)
{
  if (self->project == NULL || self->boost_cancellable != NULL)
    return;
  self->boost_cancellable = g_cancellable_new ();
  gl_drift_status_start_boost_async (gl_project_get_db_path (self->project), self->boost_cancellable,
                                     on_boost_started_cb, self);
}

/* Labels given in the Label view show in the Gallery when it is shown. */
static void
on_view_stack_visible_child_cb (GleanerWindow *self)
{
  const char *name = adw_view_stack_get_visible_child_name (self->view_stack);

  if (self->project != NULL && g_strcmp0 (name, "gallery") == 0)
    gleaner_gallery_view_reload (self->gallery_view);
  /* The Insights view reads the store on a worker each time it is shown. */
  if (self->project != NULL && g_strcmp0 (name, "insights") == 0)
    gleaner_insights_view_reload (self->insights_view);
}

static void
on_trainer_model_ready_cb (GleanerWindow *self, gint64 version, double accuracy, double previous, GlTrainer *trainer)
{
  g_autofree char *text = NULL;

  if (isfinite (accuracy) && isfinite (previous))
    text = g_strdup_printf (_("Model v%" G_GINT64_FORMAT " ready — %.1f%% (%+.1f)"), version, 100.0 * accuracy,
                            100.0 * (accuracy - previous));
  else if (isfinite (accuracy))
    text = g_strdup_printf (_("Model v%" G_GINT64_FORMAT " ready — %.1f%%"), version, 100.0 * accuracy);
  else
    text = g_strdup_printf (_("Model v%" G_GINT64_FORMAT " ready"), version);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
  gleaner_label_view_new_version (self->label_view); /* its own label-error check, in the background */
  on_view_stack_visible_child_cb (self);
  refresh_drift (self);
}

static void
on_trainer_failed_cb (GleanerWindow *self, const GError *error, GlTrainer *trainer)
{
  /* Too few labels is the normal state of a young project, not a failure. */
  if (g_error_matches (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_NO_LABELS))
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  toast_error (self, _("Training failed"), error);
}

/* The strategy is the project's: a change in the Preferences goes to the open
 * project (and re-ranks it) only when it differs from what the project has. */
static void
apply_strategy (GleanerWindow *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *strategy = g_settings_get_string (self->settings, "acquisition-strategy");
  g_autofree char *current = self->queue != NULL ? gl_queue_dup_strategy (self->queue) : NULL;

  if (self->queue != NULL && g_strcmp0 (strategy, current) != 0
      && !gl_queue_set_strategy (self->queue, strategy, &error))
    toast_error (self, _("Cannot change the strategy"), error);
}

static void
close_project_cb (GleanerImportDialog *dialog, GlProject *project)
{
  gl_project_close (project);
}

/* Closes the project, after the import that is using it ends if there is one. */
static void
close_import (GleanerWindow *self)
{
  GleanerImportDialog *dialog = g_steal_pointer (&self->import_dialog);

  if (dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (dialog, self);
      if (gleaner_import_dialog_is_running (dialog) && self->project != NULL)
        {
          g_signal_connect (dialog, "finished", G_CALLBACK (close_project_cb), g_steal_pointer (&self->project));
          gleaner_import_dialog_cancel (dialog);
        }
      gtk_window_destroy (GTK_WINDOW (dialog));
      g_object_unref (dialog);
    }
  g_clear_pointer (&self->project, gl_project_close);
}

/* A training preference the user changed goes to the trainer, from its next
 * round on; the validation share and augmentation are stored in the project
 * (only when they differ from the project's). One key at a time, so that
 * showing a project's own values (load_project_preferences) writes nothing. */
static void
on_settings_changed_cb (GSettings *settings, const char *key, GleanerWindow *self)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;

  if (self->trainer == NULL)
    return;
  if (g_str_equal (key, "audit-share"))
    gl_trainer_set_audit_share (self->trainer, g_settings_get_double (settings, key));
  else if (g_str_equal (key, "threads"))
    gl_trainer_set_n_threads (self->trainer, g_settings_get_uint (settings, key));
  else if (g_str_equal (key, "validation-share"))
    {
      double share = g_settings_get_double (settings, key);
      if (fabs (gl_trainer_get_validation_share (self->trainer) - share) > 1e-9)
        ok = gl_trainer_set_validation_share (self->trainer, share, &error);
    }
  else if (g_str_equal (key, "augmentation"))
    {
      gboolean augment = g_settings_get_boolean (settings, key);
      if (gl_trainer_get_augmentation (self->trainer) != augment)
        ok = gl_trainer_set_augmentation (self->trainer, augment, &error);
    }
  if (!ok)
    toast_error (self, _("Cannot store the preferences in the project"), error);
}

/* Opening a project: its own settings (strategy, validation share,
 * augmentation) win over the Preferences, which then show them; the
 * application-wide ones (audit share, threads) go to its trainer. Nothing is
 * written to the project and nothing re-ranks. */
static void
load_project_preferences (GleanerWindow *self)
{
  g_autofree char *strategy = gl_queue_dup_strategy (self->queue);
  g_autoptr (GVariant) share = g_variant_ref_sink (g_variant_new_double (gl_trainer_get_validation_share (self->trainer)));

  gl_trainer_set_audit_share (self->trainer, g_settings_get_double (self->settings, "audit-share"));
  gl_trainer_set_n_threads (self->trainer, g_settings_get_uint (self->settings, "threads"));
  g_settings_set_string (self->settings, "acquisition-strategy", strategy);
  /* A share set outside the Preferences' range (gleaner-cli) stays the project's. */
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettingsSchemaKey) key = NULL;
  g_object_get (self->settings, "settings-schema", &schema, NULL);
  key = g_settings_schema_get_key (schema, "validation-share");
  if (g_settings_schema_key_range_check (key, share))
    g_settings_set_value (self->settings, "validation-share", share);
  g_settings_set_boolean (self->settings, "augmentation", gl_trainer_get_augmentation (self->trainer));
}

/* New images (an import, a watched folder): the queue and the trainer take them in. */
static void
take_new_images (GleanerWindow *self)
{
  g_autoptr (GError) error = NULL;

  if (self->queue != NULL && !gl_queue_reload (self->queue, &error))
    toast_error (self, _("Cannot read the queue"), error);
  if (self->trainer != NULL && gl_queue_needs_ranking (self->queue))
    gl_trainer_rank_now (self->trainer);
  on_view_stack_visible_child_cb (self);
  update_drift (self); /* the new batch's drift, then the automation, then the banner */
}

/* The menu's "Stop Watching" items, one per watched folder. */
static void
update_watch_menu (GleanerWindow *self)
{
  while (g_menu_model_get_n_items (G_MENU_MODEL (self->watch_section)) > 1)
    g_menu_remove (self->watch_section, 1);
  if (self->project == NULL)
    return;
  g_auto (GStrv) folders = gl_watch_list_folders (self->project);
  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_autofree char *base = g_filename_display_basename (folders[i]);
      g_autofree char *label = g_strdup_printf (_("Stop Watching “%s”"), base);
      g_autoptr (GMenuItem) item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "win.unwatch-folder", g_variant_new_bytestring (folders[i]));
      g_menu_append_item (self->watch_section, item);
    }
}

static void
on_watch_batch_imported_cb (GleanerWindow *self, gint64 batch_id, guint64 added, guint64 unreadable,
                            guint64 duplicates, GlWatch *watch)
{
  if (added + unreadable == 0)
    return;
  g_autofree char *text
      = unreadable == 0
            ? g_strdup_printf (ngettext ("%'" G_GUINT64_FORMAT " new image from a watched folder",
                                         "%'" G_GUINT64_FORMAT " new images from a watched folder", added),
                               added)
            : g_strdup_printf (_("%'" G_GUINT64_FORMAT " new images from a watched folder, %'" G_GUINT64_FORMAT
                                 " unreadable"),
                               added, unreadable);
  AdwToast *toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  take_new_images (self);
}

static void
on_watch_failed_cb (GleanerWindow *self, const GError *error, GlWatch *watch)
{
  toast_error (self, _("Watched folders"), error);
}

/* ---- live updates of a team project ---- */

static void on_classes_changed_cb (GleanerWindow *self);

/* Labels given on any desktop: the Gallery re-reads its pages when it shows one of the images, the queue moves on
 * when its image on screen was labeled elsewhere. */
static void
on_team_labels_changed_cb (GleanerWindow *self, GArray *ids, GlTeamWatch *watch)
{
  GlGalleryModel *model = gleaner_gallery_view_get_model (self->gallery_view);
  const GlQueueItem *current = self->queue != NULL ? gl_queue_get_current (self->queue) : NULL;
  gboolean gallery = FALSE, queue = FALSE;

  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      gallery |= model != NULL && gl_gallery_model_find_cached (model, id) >= 0;
      queue |= current != NULL && current->image_id == id;
    }
  if (gallery)
    gleaner_gallery_view_reload (self->gallery_view);
  g_autoptr (GError) error = NULL;
  if (queue && !gl_queue_reload (self->queue, &error))
    toast_error (self, _("Cannot read the queue"), error);
}

static void
on_team_classes_changed_cb (GleanerWindow *self, GlTeamWatch *watch)
{
  on_classes_changed_cb (self);
  gleaner_gallery_view_reload (self->gallery_view);
}

/* Another desktop's trainer made a version current: its ranking and predictions. */
static void
on_team_model_changed_cb (GleanerWindow *self, gint64 model_id, GlTeamWatch *watch)
{
  g_autoptr (GError) error = NULL;
  if (self->queue != NULL && !gl_queue_reload (self->queue, &error))
    toast_error (self, _("Cannot read the queue"), error);
  gleaner_gallery_view_reload (self->gallery_view);
}

static void
on_team_lost_cb (GleanerWindow *self, const char *message, GlTeamWatch *watch)
{
  g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, message);
  toast_error (self, _("Live updates stopped"), error);
}

static void
start_team_watch (GleanerWindow *self, GlProject *project)
{
  g_autoptr (GError) error = NULL;

  if (!gl_project_is_team (project))
    return;
  self->team_watch = gl_team_watch_new (project, &error);
  if (self->team_watch == NULL)
    {
      toast_error (self, _("Live updates are off"), error);
      return;
    }
  g_signal_connect_object (self->team_watch, "labels-changed", G_CALLBACK (on_team_labels_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->team_watch, "classes-changed", G_CALLBACK (on_team_classes_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->team_watch, "model-changed", G_CALLBACK (on_team_model_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->team_watch, "lost", G_CALLBACK (on_team_lost_cb), self, G_CONNECT_SWAPPED);
}

/* The queue and the trainer of the project; both on the main thread. */
static gboolean
start_session (GleanerWindow *self, GlProject *project, GError **error)
{
  g_autoptr (GlQueue) queue = gl_queue_new (project, error);
  g_autoptr (GlTrainer) trainer = NULL;

  if (queue == NULL)
    return FALSE;
  trainer = gl_trainer_new (project, error);
  if (trainer == NULL)
    return FALSE;
  self->queue = g_steal_pointer (&queue);
  self->trainer = g_steal_pointer (&trainer);

  g_settings_bind (self->settings, "retrain-every", self->trainer, "retrain-every", G_SETTINGS_BIND_GET);
  g_signal_connect_object (self->trainer, "model-ready", G_CALLBACK (on_trainer_model_ready_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->trainer, "failed", G_CALLBACK (on_trainer_failed_cb), self, G_CONNECT_SWAPPED);
  /* A new ranking goes to the queue alone: it takes the ranking in at the
   * next image and keeps its counters, so nothing else is read or rebuilt
   * on the main thread while the annotator labels. */
  gl_queue_set_trainer (self->queue, self->trainer);

  /* Watched folders: what arrived while the project was closed is imported now. */
  self->watch = gl_watch_new (project, NULL);
  g_signal_connect_object (self->watch, "batch-imported", G_CALLBACK (on_watch_batch_imported_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->watch, "failed", G_CALLBACK (on_watch_failed_cb), self, G_CONNECT_SWAPPED);
  gl_watch_start (self->watch, NULL); /* a folder that cannot be watched is reported by "failed" */
  start_team_watch (self, project);
  return TRUE;
}

static void
stop_session (GleanerWindow *self)
{
  if (self->drift_cancellable != NULL)
    g_cancellable_cancel (self->drift_cancellable);
  g_clear_object (&self->drift_cancellable);
  if (self->boost_cancellable != NULL)
    g_cancellable_cancel (self->boost_cancellable);
  g_clear_object (&self->boost_cancellable);
  if (self->update_cancellable != NULL)
    g_cancellable_cancel (self->update_cancellable);
  g_clear_object (&self->update_cancellable);
  gleaner_label_view_set_queue (self->label_view, NULL, NULL);
  gleaner_gallery_view_set_project (self->gallery_view, NULL);
  gleaner_insights_view_set_project (self->insights_view, NULL);
  gleaner_training_status_set_trainer (self->training_status, NULL);
  if (self->team_watch != NULL)
    g_signal_handlers_disconnect_by_data (self->team_watch, self);
  g_clear_object (&self->team_watch);
  if (self->watch != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->watch, self);
      gl_watch_stop (self->watch);
      g_clear_object (&self->watch);
    }
  if (self->queue != NULL)
    gl_queue_set_trainer (self->queue, NULL);
  g_clear_object (&self->queue);
  if (self->trainer != NULL)
    {
      g_settings_unbind (self->trainer, "retrain-every");
      g_signal_handlers_disconnect_by_data (self->trainer, self);
      gl_trainer_cancel (self->trainer);
    }
  g_clear_object (&self->trainer);
}

static void
set_project (GleanerWindow *self, GlProject *project)
{
  g_autoptr (GError) error = NULL;

  /* The views, the queue and the trainer let go of the old project before it closes. */
  stop_session (self);
  close_import (self);

  if (project != NULL && !start_session (self, project, &error))
    {
      stop_session (self);
      gl_project_close (project);
      project = NULL;
      toast_error (self, _("Cannot open the project"), error);
    }
  self->project = project;

  if (project != NULL)
    {
      g_autofree char *name = g_path_get_basename (gl_project_get_name (project));
      g_autofree char *title = g_strdup_printf ("%s — Gleaner", name);

      gtk_window_set_title (GTK_WINDOW (self), title);
      adw_view_switcher_title_set_subtitle (self->switcher_title, name);
      adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, TRUE);
      load_project_preferences (self);
      gleaner_label_view_set_queue (self->label_view, project, self->queue);
      gleaner_gallery_view_set_project (self->gallery_view, project);
      gleaner_insights_view_set_project (self->insights_view, project);
      gleaner_training_status_set_trainer (self->training_status, self->trainer);
      gtk_stack_set_visible_child_name (self->main_stack, "project");
      adw_view_stack_set_visible_child_name (self->view_stack, "label");
      update_watch_menu (self);
    }
  else
    {
      gtk_window_set_title (GTK_WINDOW (self), "Gleaner");
      adw_view_switcher_title_set_subtitle (self->switcher_title, NULL);
      update_watch_menu (self);
      /* No project, no views to switch between: the header shows the title only. */
      adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, FALSE);
      gtk_stack_set_visible_child_name (self->main_stack, "welcome");
    }
  update_actions (self);
  refresh_drift (self);
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
  set_project (self, project);
  if (app != NULL && self->project != NULL)
    gleaner_application_add_recent (app, gl_project_get_name (self->project));
}

/* The task data of a team project's opening: its connection string may hold a password. */
static void
wipe_free (gpointer data)
{
  char *s = data;
  if (s != NULL)
    memset (s, 0, strlen (s));
  g_free (s);
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
  g_task_set_task_data (task, g_strdup (dir), wipe_free);
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
gleaner_window_open_team (GleanerWindow *self, const char *target)
{
  g_return_if_fail (GLEANER_IS_WINDOW (self));
  g_return_if_fail (target != NULL);
  start_open (self, target, _("Connecting to the Team Project"));
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
  const char *where = g_variant_get_string (param, NULL);
  /* A team project is remembered without its password: the server's own way (~/.pgpass, peer) supplies it. */
  if (gl_project_is_team_target (where))
    {
      gleaner_window_open_team (GLEANER_WINDOW (widget), where);
      return;
    }
  g_autoptr (GFile) dir = g_file_new_for_path (where);
  gleaner_window_open_project (GLEANER_WINDOW (widget), dir);
}

static void
connect_team_action (GtkWidget *widget, const char *action, GVariant *param)
{
  gtk_window_present (GTK_WINDOW (gleaner_connect_dialog_new (GTK_WINDOW (widget))));
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

/* A double click in the Gallery opens the image in the Label view. */
static void
on_gallery_activate_image_cb (GleanerWindow *self, gint64 image_id)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  gint64 cache_row = -1;
  gint label = -1;

  if (self->project == NULL)
    return;
  if (!gl_session_get_image (self->project, image_id, &path, &cache_row, &label, &error))
    {
      toast_error (self, _("Cannot open the image"), error);
      return;
    }
  if (cache_row < 0)
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("This file could not be read at import")));
      return;
    }
  gleaner_label_view_show_image (self->label_view, image_id, path, cache_row, label);
  adw_view_stack_set_visible_child_name (self->view_stack, "label");
}

/* A click on a confusion cell opens the Gallery on those images. */
static void
on_insights_show_confusion_cb (GleanerWindow *self, gint64 label_class, gint64 predicted_class)
{
  if (self->project == NULL)
    return;
  gleaner_gallery_view_show_confusion (self->gallery_view, label_class, predicted_class);
  adw_view_stack_set_visible_child_name (self->view_stack, "gallery");
}

/* A click on a drift timeline cell opens the Gallery on those images. */
static void
on_insights_show_drift_cb (GleanerWindow *self, gint64 class_id, gint64 first_image, gint64 last_image)
{
  if (self->project == NULL)
    return;
  gleaner_gallery_view_show_drift (self->gallery_view, class_id, first_image, last_image);
  adw_view_stack_set_visible_child_name (self->view_stack, "gallery");
}

/* The Label view's keys work wherever the focus is in the window, as long as
 * the Label view is showing. */
static gboolean
on_key_controller_key_pressed_cb (GleanerWindow *self, guint keyval, guint keycode, GdkModifierType state,
                                  GtkEventControllerKey *controller)
{
  if (self->project == NULL || g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "project") != 0
      || g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "label") != 0)
    return GDK_EVENT_PROPAGATE;
  return gleaner_label_view_handle_key (self->label_view, keyval, state);
}

static void
on_import_finished_cb (GleanerWindow *self, GleanerImportDialog *dialog)
{
  g_autofree char *text = g_strdup_printf (gleaner_import_dialog_get_cancelled (dialog) ? _("Import cancelled — %s")
                                                                                        : _("Import finished — %s"),
                                           gleaner_import_dialog_get_summary (dialog));
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_button_label (toast, _("Details"));
  adw_toast_set_action_name (toast, "win.import-details");
  adw_toast_set_timeout (toast, 10);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  take_new_images (self);
}

/* The import dialog of the project: the running or last one, else a new one. */
static GleanerImportDialog *
ensure_import_dialog (GleanerWindow *self, gboolean fresh)
{
  if (self->import_dialog != NULL && fresh && !gleaner_import_dialog_is_running (self->import_dialog))
    {
      g_signal_handlers_disconnect_by_data (self->import_dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->import_dialog));
      g_clear_object (&self->import_dialog);
    }
  if (self->import_dialog == NULL)
    {
      self->import_dialog = g_object_ref_sink (gleaner_import_dialog_new (GTK_WINDOW (self), self->project));
      g_signal_connect_swapped (self->import_dialog, "finished", G_CALLBACK (on_import_finished_cb), self);
    }
  return self->import_dialog;
}

static void
import_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GleanerWindow *self = GLEANER_WINDOW (widget);
  GleanerImportDialog *dialog;

  if (self->project == NULL)
    return;
  /* A finished import is shown by the toast's Details; the menu starts a new one. */
  dialog = ensure_import_dialog (self, self->import_dialog != NULL
                                         && gleaner_import_dialog_get_summary (self->import_dialog) != NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
watch_folder_response_cb (GtkNativeDialog *chooser, int response, GleanerWindow *self)
{
  g_autoptr (GFile) folder = response == GTK_RESPONSE_ACCEPT ? gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))
                                                             : NULL;
  g_autofree char *path = folder ? g_file_get_path (folder) : NULL;
  g_autoptr (GError) error = NULL;

  g_object_unref (chooser);
  if (path == NULL || self->project == NULL)
    return;
  if (!gl_watch_add_folder (self->project, path, &error) || !gl_watch_start (self->watch, &error))
    {
      toast_error (self, _("Cannot watch the folder"), error);
      return;
    }
  update_watch_menu (self);
  g_autofree char *base = g_filename_display_basename (path);
  g_autofree char *text = g_strdup_printf (_("Watching “%s”: new images are imported as they arrive"), base);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
watch_folder_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Watch a Folder"), GTK_WINDOW (widget),
                                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Watch"),
                                                               _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (watch_folder_response_cb), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Stops watching a folder: what it brought stays in the project. */
static void
unwatch_folder_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GleanerWindow *self = GLEANER_WINDOW (widget);
  g_autoptr (GError) error = NULL;

  if (self->project == NULL)
    return;
  if (!gl_watch_remove_folder (self->project, g_variant_get_bytestring (param), &error))
    toast_error (self, _("Cannot stop watching the folder"), error);
  /* The watcher lets go of the folder: start again with the remaining list. */
  gl_watch_stop (self->watch);
  gl_watch_start (self->watch, NULL);
  update_watch_menu (self);
}

static void
export_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GleanerWindow *self = GLEANER_WINDOW (widget);
  if (self->project != NULL)
    gtk_window_present (GTK_WINDOW (gleaner_export_dialog_new (GTK_WINDOW (self), self->project)));
}

static void
on_classes_changed_cb (GleanerWindow *self)
{
  g_autoptr (GError) error = NULL;

  if (self->queue != NULL && !gl_queue_reload (self->queue, &error))
    toast_error (self, _("Cannot read the queue"), error);
  gleaner_label_view_reload_classes (self->label_view);
}

static void
classes_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GleanerWindow *self = GLEANER_WINDOW (widget);
  GleanerClassesDialog *dialog;

  if (self->project == NULL)
    return;
  dialog = gleaner_classes_dialog_new (GTK_WINDOW (self), self->project);
  g_signal_connect_object (dialog, "changed", G_CALLBACK (on_classes_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
import_details_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GleanerWindow *self = GLEANER_WINDOW (widget);
  if (self->import_dialog != NULL)
    gtk_window_present (GTK_WINDOW (self->import_dialog));
}

static gboolean
on_drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, GleanerWindow *self)
{
  GSList *files;
  GleanerImportDialog *dialog;

  if (self->project == NULL || !G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  dialog = ensure_import_dialog (self, self->import_dialog != NULL
                                         && gleaner_import_dialog_get_summary (self->import_dialog) != NULL);
  if (gleaner_import_dialog_is_running (dialog))
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("An import is running already")));
      return FALSE;
    }
  files = g_value_get_boxed (value);
  for (GSList *l = files; l != NULL; l = l->next)
    {
      g_autofree char *path = g_file_get_path (l->data);
      if (path != NULL)
        gleaner_import_dialog_add_path (dialog, path);
    }
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

static void
train_now_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GleanerWindow *self = GLEANER_WINDOW (widget);
  if (self->trainer != NULL)
    gl_trainer_train_now (self->trainer);
}

static void
cancel_training_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GleanerWindow *self = GLEANER_WINDOW (widget);
  if (self->trainer != NULL)
    gl_trainer_cancel (self->trainer);
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
    stop_session (self);
  close_import (self);
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
  g_type_ensure (GLEANER_TYPE_TRAINING_STATUS);
  g_type_ensure (GLEANER_TYPE_GALLERY_VIEW);
  g_type_ensure (GLEANER_TYPE_INSIGHTS_VIEW);
  g_type_ensure (GLEANER_TYPE_DRIFT_BANNER);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gleaner/Gleaner/gleaner-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, loading_progress);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, label_view);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, training_status);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, gallery_view);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, watch_section);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, insights_view);
  gtk_widget_class_bind_template_child (widget_class, GleanerWindow, drift_banner);
  gtk_widget_class_bind_template_callback (widget_class, on_view_stack_visible_child_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_key_controller_key_pressed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_loading_cancel_clicked_cb);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.connect-team", NULL, connect_team_action);
  gtk_widget_class_install_action (widget_class, "win.new-project", NULL, new_project_action);
  gtk_widget_class_install_action (widget_class, "win.close-project", NULL, close_project_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "win.import-details", NULL, import_details_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.classes", NULL, classes_action);
  gtk_widget_class_install_action (widget_class, "win.watch-folder", NULL, watch_folder_action);
  gtk_widget_class_install_action (widget_class, "win.unwatch-folder", "ay", unwatch_folder_action);
  gtk_widget_class_install_action (widget_class, "win.train-now", NULL, train_now_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-training", NULL, cancel_training_action);
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

  {
    GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
    g_signal_connect (drop, "drop", G_CALLBACK (on_drop_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->main_stack), GTK_EVENT_CONTROLLER (drop));
  }
  g_signal_connect_swapped (self->gallery_view, "activate-image", G_CALLBACK (on_gallery_activate_image_cb), self);
  g_signal_connect_swapped (self->insights_view, "show-confusion", G_CALLBACK (on_insights_show_confusion_cb),
                            self);
  g_signal_connect_swapped (self->insights_view, "show-drift", G_CALLBACK (on_insights_show_drift_cb), self);
  g_signal_connect_swapped (self->drift_banner, "label-drifted", G_CALLBACK (on_drift_banner_label_drifted_cb), self);
  g_signal_connect_object (self->settings, "changed::acquisition-strategy", G_CALLBACK (apply_strategy), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed_cb), self, 0);
  g_signal_connect_swapped (self->welcome_page, "project-created", G_CALLBACK (on_welcome_page_project_created_cb),
                            self);
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, FALSE);
  gtk_stack_set_visible_child_name (self->main_stack, "welcome");
  update_actions (self);
}
