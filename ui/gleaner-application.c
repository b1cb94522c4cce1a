/* gleaner-application.c — see gleaner-application.h. */
#include "gleaner-config.h"

#include "ui/gleaner-application.h"

#include "app/gl-engine-info.h"
#include "app/gl-identity.h"

#include "ui/gleaner-preferences-window.h"
#include "app/gl-project.h"
#include "ui/gleaner-window.h"

#define MAX_RECENT 10

/* From the GResource compiled with --manual-register. */
void gleaner_register_resource (void);

struct _GleanerApplication
{
  AdwApplication parent_instance;

  /* owned */
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (GleanerApplication, gleaner_application, ADW_TYPE_APPLICATION)

GleanerApplication *
gleaner_application_new (GApplicationFlags flags)
{
  return g_object_new (GLEANER_TYPE_APPLICATION,
                       "application-id", GLEANER_APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN | flags,
                       "resource-base-path", "/io/github/gleaner/Gleaner",
                       NULL);
}

void
gleaner_application_add_recent (GleanerApplication *self, const char *dir)
{
  g_auto (GStrv) old = g_settings_get_strv (self->settings, "recent-projects");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 1;

  g_return_if_fail (GLEANER_IS_APPLICATION (self));
  g_return_if_fail (dir != NULL);

  g_strv_builder_add (builder, dir);
  for (guint i = 0; old[i] != NULL && n < MAX_RECENT; i++)
    if (g_strcmp0 (old[i], dir) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  g_auto (GStrv) recent = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-projects", (const char *const *) recent);
}

static GleanerWindow *
new_window (GleanerApplication *self)
{
  GleanerWindow *window = gleaner_window_new (self);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
gleaner_application_activate (GApplication *app)
{
  GleanerApplication *self = GLEANER_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }
  gleaner_window_open_demo (new_window (self));
}

static void
gleaner_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  GleanerApplication *self = GLEANER_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      /* `gleaner postgresql://…`: a team project's connection string comes as a URI. */
      g_autofree char *uri = g_file_get_uri (files[i]);
      if (gl_project_is_team_target (uri))
        gleaner_window_open_team (new_window (self), uri);
      else
        gleaner_window_open_project (new_window (self), files[i]);
    }
}

static void
preferences_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GleanerPreferencesWindow *prefs = gleaner_preferences_window_new ();

  gtk_window_set_transient_for (GTK_WINDOW (prefs), gtk_application_get_active_window (app));
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "The Gleaner contributors", NULL };
  g_autofree char *debug_info = gl_engine_info_describe ();
  GtkWidget *about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                                   "application-name", "Gleaner",
                                   "application-icon", GLEANER_APP_ID,
                                   "version", GLEANER_VERSION,
                                   "comments", "Label images for classification with active learning: the model "
                                               "shows you the images it is least sure about first.",
                                   "website", "https://github.com/gleaner/gleaner",
                                   "issue-url", "https://github.com/gleaner/gleaner/issues",
                                   "license-type", GTK_LICENSE_GPL_3_0,
                                   "developers", developers,
                                   "debug-info", debug_info,
                                   "debug-info-filename", "gleaner-debug-info.txt",
                                   "transient-for", gtk_application_get_active_window (app),
                                   "modal", TRUE,
                                   NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_autoptr (GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (user_data)));

  /* Closing each window lets it cancel its background work first. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_cb },
  { "about", about_cb },
  { "quit", quit_cb },
};

static void
gleaner_application_startup (GApplication *app)
{
  GleanerApplication *self = GLEANER_APPLICATION (app);
  static const struct
  {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
    { "win.import", { "<Control>i", NULL } },
    { "win.export", { "<Control>e", NULL } },
    { "win.classes", { "<Control>k", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.train-now", { "<Control>t", NULL } },
    { "win.show-page('label')", { "<Alt>1", NULL } },
    { "win.show-page('gallery')", { "<Alt>2", NULL } },
    { "win.show-page('insights')", { "<Alt>3", NULL } },
  };

  gleaner_register_resource ();
  G_APPLICATION_CLASS (gleaner_application_parent_class)->startup (app);
  /* Labels are given under the person's chosen name (gleaner-cli annotator --set). */
  gl_identity_apply ();

  self->settings = g_settings_new (GLEANER_APP_ID);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);
}

static void
gleaner_application_dispose (GObject *object)
{
  GleanerApplication *self = GLEANER_APPLICATION (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (gleaner_application_parent_class)->dispose (object);
}

static void
gleaner_application_class_init (GleanerApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = gleaner_application_dispose;
  app_class->startup = gleaner_application_startup;
  app_class->activate = gleaner_application_activate;
  app_class->open = gleaner_application_open;
}

static void
gleaner_application_init (GleanerApplication *self)
{
}
