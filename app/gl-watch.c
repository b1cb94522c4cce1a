/* gl-watch.c — watched folders (see gl-watch.h). */
#include "app/gl-watch.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (gl - watch - error - quark, gl_watch_error)

#define FOLDERS_KEY "watch_folders"
#define SCANNED_KEY "watch_scanned_us"
#define TICK_MS 250

/* ---- The folder list ------------------------------------------------- */

char **
gl_watch_list_folders (GlProject *project)
{
  g_autofree char *text = gl_project_get_setting (project, FOLDERS_KEY);
  g_autoptr (GPtrArray) out = g_ptr_array_new ();
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *name = lines[i][0] ? g_filename_from_uri (lines[i], NULL, NULL) : NULL;
      if (name != NULL)
        g_ptr_array_add (out, name);
    }
  g_ptr_array_add (out, NULL);
  return (char **)g_ptr_array_steal (out, NULL);
}

static gboolean
save_folders (GlProject *project, char **folders, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_autofree char *uri = g_filename_to_uri (folders[i], NULL, error);
      if (uri == NULL)
        return FALSE;
      g_string_append_printf (text, "%s%s", text->len ? "\n" : "", uri);
    }
  return gl_project_set_setting (project, FOLDERS_KEY, text->str, error);
}

gboolean
gl_watch_add_folder (GlProject *project, const char *folder, GError **error)
{
  g_autofree char *abs = g_canonicalize_filename (folder, NULL);
  if (!g_file_test (abs, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *disp = g_filename_display_name (abs);
      g_set_error (error, GL_WATCH_ERROR, GL_WATCH_ERROR_NOT_A_FOLDER, "“%s” is not a folder", disp);
      return FALSE;
    }
  g_auto (GStrv) folders = gl_watch_list_folders (project);
  if (g_strv_contains ((const char *const *)folders, abs))
    return TRUE;
  guint n = g_strv_length (folders);
  folders = g_renew (char *, folders, n + 2);
  folders[n] = g_steal_pointer (&abs);
  folders[n + 1] = NULL;
  return save_folders (project, folders, error);
}

gboolean
gl_watch_remove_folder (GlProject *project, const char *folder, GError **error)
{
  g_autofree char *abs = g_canonicalize_filename (folder, NULL);
  g_auto (GStrv) folders = gl_watch_list_folders (project);
  guint n = g_strv_length (folders), kept = 0;
  for (guint i = 0; i < n; i++)
    {
      if (strcmp (folders[i], abs) == 0)
        g_clear_pointer (&folders[i], g_free);
      else
        folders[kept++] = folders[i];
    }
  folders[kept] = NULL;
  if (kept == n)
    {
      g_autofree char *disp = g_filename_display_name (abs);
      g_set_error (error, GL_WATCH_ERROR, GL_WATCH_ERROR_NOT_WATCHED, "“%s” is not a watched folder", disp);
      return FALSE;
    }
  return save_folders (project, folders, error);
}

/* ---- Is a file whole? ------------------------------------------------ */

static void
ignore_sigio_once (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      struct sigaction old;
      if (sigaction (SIGIO, NULL, &old) == 0 && old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO))
        {
          struct sigaction ign = { 0 };
          ign.sa_handler = SIG_IGN;
          sigemptyset (&ign.sa_mask);
          sigaction (SIGIO, &ign, NULL);
        }
      g_once_init_leave (&once, 1);
    }
}

gboolean
gl_watch_file_is_closed (const char *path, gboolean *known)
{
  *known = FALSE;
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  ignore_sigio_once ();
  gboolean closed = FALSE;
  if (fcntl (fd, F_SETLEASE, F_RDLCK) == 0)
    {
      fcntl (fd, F_SETLEASE, F_UNLCK);
      *known = TRUE;
      closed = TRUE;
    }
  else if (errno == EAGAIN || errno == EBUSY)
    *known = TRUE; /* a writer has it open */
  close (fd);
  return closed;
}

/* ---- The watcher ------------------------------------------------------ */

typedef struct
{
  gint64 size; /* -1 until first seen by a tick */
  gint64 mtime_us;
  gint64 stable_since_us; /* monotonic time of the last change seen */
} Waiting;

struct _GlWatch
{
  GObject parent_instance;

  /* Borrowed; the thread that made the watcher only. */
  GlProject *project;

  /* Owned; the watcher's thread only (the rescan thread gets copies). */
  GlWatchOptions options;
  GHashTable *monitors;      /* folder file name → GFileMonitor */
  GHashTable *waiting;       /* file name → Waiting: seen, not settled */
  GPtrArray *ready;          /* file names settled, not yet importing, in order */
  GHashTable *taken;         /* file names in ready or importing (a set) */
  gint64 first_ready_us;     /* monotonic time the oldest ready file became ready */
  guint tick_id;             /* the settle and batch timer; 0 when stopped */
  GCancellable *cancellable; /* rescans and the import; renewed by start after stop */
  guint scans_running;
  gint64 scanned_us;          /* real start time of the start-up rescan, to store once all it found is in;
                                 0 when there is nothing to store */
  gboolean failed_since_scan; /* an import failed since that rescan: keep the old time */
  GPtrArray *importing;       /* file names of the running import, or NULL */
  gboolean was_idle;
  gboolean eager;      /* gl_watch_set_eager */
  guint scanned_ready; /* ready files a rescan found whole: imported without waiting for a full batch */
};

G_DEFINE_FINAL_TYPE (GlWatch, gl_watch, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PENDING,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_BATCH_IMPORTED,
  SIGNAL_FAILED,
  SIGNAL_IDLE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void schedule_tick (GlWatch *self);
static void maybe_import (GlWatch *self, gboolean force);
static void scan_async (GlWatch *self, char **folders, gint64 since_us);

guint
gl_watch_get_pending (GlWatch *self)
{
  return g_hash_table_size (self->waiting) + g_hash_table_size (self->taken);
}

gboolean
gl_watch_is_importing (GlWatch *self)
{
  return self->importing != NULL;
}

gboolean
gl_watch_is_idle (GlWatch *self)
{
  return self->scans_running == 0 && gl_watch_get_pending (self) == 0;
}

static void
fail (GlWatch *self, const GError *error)
{
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
}

/* Notifies "pending"; on becoming idle stores the start-up rescan's time and
 * emits "idle". */
static void
changed (GlWatch *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PENDING]);
  gboolean idle = gl_watch_is_idle (self);
  if (idle && self->scanned_us > 0 && !self->failed_since_scan)
    {
      g_autofree char *value = g_strdup_printf ("%" G_GINT64_FORMAT, self->scanned_us);
      g_autoptr (GError) error = NULL;
      if (!gl_project_set_setting (self->project, SCANNED_KEY, value, &error))
        fail (self, error);
      self->scanned_us = 0;
    }
  if (idle && !self->was_idle)
    {
      self->was_idle = TRUE;
      g_signal_emit (self, signals[SIGNAL_IDLE], 0);
    }
  else if (!idle)
    self->was_idle = FALSE;
}

static gboolean
is_in_store (GlDb *db, const char *path)
{
  g_autofree char *stored = gl_import_stored_path (path);
  return gl_db_find_image_by_path (db, stored, NULL, NULL);
}

static void
make_ready (GlWatch *self, const char *path)
{
  if (self->ready->len == 0)
    self->first_ready_us = g_get_monotonic_time ();
  char *copy = g_strdup (path);
  g_ptr_array_add (self->ready, copy);
  g_hash_table_add (self->taken, g_strdup (path));
}

/* A file seen by the monitor or the rescan: wait until it settles. */
static void
note_file (GlWatch *self, const char *path)
{
  if (g_hash_table_contains (self->taken, path))
    return;
  Waiting *w = g_hash_table_lookup (self->waiting, path);
  if (w == NULL)
    {
      if (is_in_store (gl_project_get_db (self->project), path))
        return;
      w = g_new0 (Waiting, 1);
      g_hash_table_insert (self->waiting, g_strdup (path), w);
    }
  w->size = -1;
  w->stable_since_us = g_get_monotonic_time ();
  schedule_tick (self);
}

static void on_monitor_changed_cb (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                                   gpointer user_data);

static gboolean
monitor_folder (GlWatch *self, const char *folder, GError **error)
{
  if (g_hash_table_contains (self->monitors, folder))
    return TRUE;
  g_autoptr (GFile) dir = g_file_new_for_path (folder);
  GFileMonitor *monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, error);
  if (monitor == NULL)
    return FALSE;
  g_signal_connect (monitor, "changed", G_CALLBACK (on_monitor_changed_cb), self);
  g_hash_table_insert (self->monitors, g_strdup (folder), monitor);
  return TRUE;
}

static void
on_monitor_changed_cb (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                       gpointer user_data)
{
  GlWatch *self = user_data;
  GFile *target = file;
  switch (event)
    {
      case G_FILE_MONITOR_EVENT_DELETED:
      case G_FILE_MONITOR_EVENT_MOVED_OUT:
        {
          g_autofree char *gone = g_file_get_path (file);
          if (gone != NULL && g_hash_table_remove (self->waiting, gone))
            changed (self);
          return;
        }
      case G_FILE_MONITOR_EVENT_RENAMED:
        {
          g_autofree char *old = g_file_get_path (file);
          if (old != NULL)
            g_hash_table_remove (self->waiting, old);
          target = other;
          break;
        }
      case G_FILE_MONITOR_EVENT_CREATED:
      case G_FILE_MONITOR_EVENT_CHANGED:
      case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
      case G_FILE_MONITOR_EVENT_MOVED_IN:
        break;
      default:
        return;
    }
  if (target == NULL)
    return;
  g_autofree char *path = g_file_get_path (target);
  if (path == NULL)
    return;
  GStatBuf st;
  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      if (g_hash_table_contains (self->monitors, path))
        return;
      /* A new sub-folder: watch it and take what is in it already. */
      g_autoptr (GError) error = NULL;
      if (!monitor_folder (self, path, &error))
        fail (self, error);
      char *one[] = { path, NULL };
      scan_async (self, one, 0);
      return;
    }
  g_autofree char *base = g_path_get_basename (path);
  if (S_ISREG (st.st_mode) && gl_import_is_image_name (base))
    {
      note_file (self, path);
      changed (self);
    }
}

/* Moves settled files from waiting to ready; TRUE to keep ticking. */
static gboolean
settle (GlWatch *self)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, self->waiting);
  gboolean any = FALSE;
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const char *path = key;
      Waiting *w = value;
      GStatBuf st;
      if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
        {
          g_hash_table_iter_remove (&it);
          any = TRUE;
          continue;
        }
      gint64 mtime_us = (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
      if (w->size != (gint64)st.st_size || w->mtime_us != mtime_us)
        {
          w->size = (gint64)st.st_size;
          w->mtime_us = mtime_us;
          w->stable_since_us = now;
          continue;
        }
      gint64 stable_ms = (now - w->stable_since_us) / 1000;
      if (stable_ms < self->options.settle_ms)
        continue;
      gboolean known;
      gboolean closed = gl_watch_file_is_closed (path, &known);
      if ((known && closed) || (!known && stable_ms >= self->options.settle_unknown_ms))
        {
          make_ready (self, path);
          g_hash_table_iter_remove (&it);
          any = TRUE;
        }
    }
  maybe_import (self, FALSE);
  if (any)
    changed (self);
  return g_hash_table_size (self->waiting) > 0 || self->ready->len > 0;
}

static gboolean
tick_cb (gpointer user_data)
{
  GlWatch *self = user_data;
  if (settle (self))
    return G_SOURCE_CONTINUE;
  self->tick_id = 0;
  return G_SOURCE_REMOVE;
}

static void
schedule_tick (GlWatch *self)
{
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add (TICK_MS, tick_cb, self);
}

/* ---- Importing a batch ------------------------------------------------ */

static void
import_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlWatch) self = user_data;
  GlImportProgress sum;
  g_autoptr (GError) error = NULL;
  gboolean ok = gl_import_run_finish (result, &sum, &error);
  g_autoptr (GPtrArray) paths = g_steal_pointer (&self->importing);
  if (sum.batch_id >= 0 && sum.duplicates > 0)
    gl_db_set_batch_duplicates (gl_project_get_db (self->project), sum.batch_id, sum.duplicates, NULL);
  if (sum.batch_id >= 0 && sum.done > 0)
    g_signal_emit (self, signals[SIGNAL_BATCH_IMPORTED], 0, sum.batch_id, sum.added, sum.unreadable,
                   sum.duplicates);
  gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = paths->pdata[i];
      /* After a failure, what did not get in is tried again. */
      if (!ok && !cancelled && !is_in_store (gl_project_get_db (self->project), path))
        {
          g_ptr_array_add (self->ready, g_strdup (path));
          continue;
        }
      g_hash_table_remove (self->taken, path);
    }
  if (!ok && !cancelled)
    {
      self->failed_since_scan = TRUE;
      self->first_ready_us = g_get_monotonic_time ();
      fail (self, error);
      schedule_tick (self); /* retried after batch-seconds */
    }
  else
    maybe_import (self, FALSE);
  changed (self);
}

/* The batch's source: "watch: " and the watched folders its files are in. */
static char *
batch_source (GlWatch *self, GPtrArray *paths)
{
  g_autoptr (GString) s = g_string_new ("watch:");
  g_auto (GStrv) folders = gl_watch_list_folders (self->project);
  for (guint f = 0; folders[f] != NULL; f++)
    {
      gsize n = strlen (folders[f]);
      for (guint i = 0; i < paths->len; i++)
        {
          const char *p = paths->pdata[i];
          if (strncmp (p, folders[f], n) == 0 && p[n] == G_DIR_SEPARATOR)
            {
              g_autofree char *disp = g_filename_display_name (folders[f]);
              g_string_append_printf (s, " %s", disp);
              break;
            }
        }
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
maybe_import (GlWatch *self, gboolean force)
{
  if (self->importing != NULL || self->ready->len == 0)
    return;
  gint64 waited_us = g_get_monotonic_time () - self->first_ready_us;
  gboolean settled = self->eager && self->scans_running == 0 && g_hash_table_size (self->waiting) == 0;
  if (!force && !settled && self->scanned_ready == 0 && self->ready->len < self->options.batch_files
      && waited_us < (gint64)(self->options.batch_seconds * G_USEC_PER_SEC))
    return;
  guint n = MIN (self->ready->len, self->options.batch_files);
  self->scanned_ready -= MIN (self->scanned_ready, n);
  self->importing = g_ptr_array_new_with_free_func (g_free);
  g_autofree const char **list = g_new0 (const char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (self->importing, g_strdup (self->ready->pdata[i]));
      list[i] = self->importing->pdata[i];
    }
  g_ptr_array_remove_range (self->ready, 0, n);
  if (self->ready->len > 0)
    self->first_ready_us = g_get_monotonic_time ();
  g_autofree char *source = batch_source (self, self->importing);
  GlImportOptions options;
  gl_import_options_init (&options);
  options.layout = GL_IMPORT_LAYOUT_PLAIN;
  options.source = source;
  GlImportTarget target;
  gl_project_plain_import_target (self->project, &target);
  gl_import_run_async (&target, list, &options, NULL, NULL, self->cancellable, import_done_cb,
                       g_object_ref (self));
}

/* ---- Rescan ------------------------------------------------------------ */

typedef struct
{
  char **folders;
  char *db_path;
  gint64 since_us; /* real time; 0: every file not in the store */
  guint settle_ms;
  /* out */
  GPtrArray *dirs;    /* every folder under the roots (roots included) */
  GPtrArray *ready;   /* new files, settled and closed */
  GPtrArray *waiting; /* new files that may still be written */
} Scan;

static void
scan_free (Scan *s)
{
  g_strfreev (s->folders);
  g_free (s->db_path);
  g_ptr_array_unref (s->dirs);
  g_ptr_array_unref (s->ready);
  g_ptr_array_unref (s->waiting);
  g_free (s);
}

static gboolean
walk (Scan *s, GlDb *db, const char *folder, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFile) dir = g_file_new_for_path (folder);
  g_autoptr (GFileEnumerator) en = g_file_enumerate_children (
      dir,
      G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_TIME_MODIFIED
                                     "," G_FILE_ATTRIBUTE_TIME_CHANGED,
      G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error);
  if (en == NULL)
    return FALSE;
  g_ptr_array_add (s->dirs, g_strdup (folder));
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  for (;;)
    {
      GFileInfo *info;
      if (!g_file_enumerator_iterate (en, &info, NULL, cancellable, error))
        return FALSE;
      if (info == NULL)
        return TRUE;
      const char *name = g_file_info_get_name (info);
      g_autofree char *path = g_build_filename (folder, name, NULL);
      GFileType type = g_file_info_get_file_type (info);
      if (type == G_FILE_TYPE_DIRECTORY)
        {
          g_autoptr (GError) sub_error = NULL;
          if (!walk (s, db, path, cancellable, &sub_error))
            {
              if (g_error_matches (sub_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                {
                  g_propagate_error (error, g_steal_pointer (&sub_error));
                  return FALSE;
                }
              /* An unreadable sub-folder does not stop the rescan. */
            }
          continue;
        }
      if (type != G_FILE_TYPE_REGULAR || !gl_import_is_image_name (name))
        continue;
      gint64 mtime = (gint64)g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED);
      gint64 ctime = (gint64)g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_CHANGED);
      if (s->since_us > 0 && MAX (mtime, ctime) * G_USEC_PER_SEC < s->since_us)
        continue;
      if (is_in_store (db, path))
        continue;
      gboolean known;
      gboolean settled = (now_s - mtime) * 1000 >= (gint64)s->settle_ms;
      if (settled && gl_watch_file_is_closed (path, &known) && known)
        g_ptr_array_add (s->ready, g_steal_pointer (&path));
      else
        g_ptr_array_add (s->waiting, g_steal_pointer (&path));
    }
}

static void
scan_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  Scan *s = task_data;
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (s->db_path, &error);
  if (db == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  GError *first = NULL;
  for (guint i = 0; s->folders[i] != NULL; i++)
    {
      if (!walk (s, db, s->folders[i], cancellable, &error))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_clear_error (&first);
              g_task_return_error (task, error);
              return;
            }
          if (first == NULL)
            first = error;
          else
            g_clear_error (&error);
          error = NULL;
        }
    }
  if (first != NULL)
    g_task_return_error (task, first); /* what the other folders gave is used all the same */
  else
    g_task_return_boolean (task, TRUE);
}

static void
scan_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlWatch *self = GL_WATCH (source);
  GTask *task = G_TASK (result);
  Scan *s = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (task, &error);
  self->scans_running--;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      changed (self);
      return;
    }
  if (!ok)
    {
      self->failed_since_scan = TRUE;
      fail (self, error);
    }
  for (guint i = 0; i < s->dirs->len; i++)
    {
      g_autoptr (GError) monitor_error = NULL;
      if (!monitor_folder (self, s->dirs->pdata[i], &monitor_error))
        fail (self, monitor_error);
    }
  for (guint i = 0; i < s->ready->len; i++)
    if (!g_hash_table_contains (self->taken, s->ready->pdata[i]))
      {
        g_hash_table_remove (self->waiting, s->ready->pdata[i]);
        make_ready (self, s->ready->pdata[i]);
        self->scanned_ready++;
      }
  for (guint i = 0; i < s->waiting->len; i++)
    note_file (self, s->waiting->pdata[i]);
  if (self->ready->len > 0)
    schedule_tick (self);
  maybe_import (self, FALSE);
  changed (self);
}

static void
scan_async (GlWatch *self, char **folders, gint64 since_us)
{
  Scan *s = g_new0 (Scan, 1);
  s->folders = g_strdupv (folders);
  s->db_path = g_strdup (gl_project_get_db_path (self->project));
  s->since_us = since_us;
  s->settle_ms = self->options.settle_ms;
  s->dirs = g_ptr_array_new_with_free_func (g_free);
  s->ready = g_ptr_array_new_with_free_func (g_free);
  s->waiting = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GTask) task = g_task_new (self, self->cancellable, scan_done_cb, NULL);
  g_task_set_source_tag (task, scan_async);
  g_task_set_task_data (task, s, (GDestroyNotify)scan_free);
  self->scans_running++;
  self->was_idle = FALSE;
  g_task_run_in_thread (task, scan_thread);
}

/* ---- Public ----------------------------------------------------------- */

gboolean
gl_watch_start (GlWatch *self, GError **error)
{
  g_auto (GStrv) folders = gl_watch_list_folders (self->project);
  g_autoptr (GPtrArray) fresh = g_ptr_array_new ();
  GError *first = NULL;
  for (guint i = 0; folders[i] != NULL; i++)
    {
      if (g_hash_table_contains (self->monitors, folders[i]))
        continue;
      GError *monitor_error = NULL;
      if (monitor_folder (self, folders[i], &monitor_error))
        g_ptr_array_add (fresh, folders[i]);
      else
        {
          fail (self, monitor_error);
          if (first == NULL)
            first = monitor_error;
          else
            g_error_free (monitor_error);
        }
    }
  if (fresh->len == 0 && first != NULL)
    {
      g_propagate_error (error, first);
      return FALSE;
    }
  g_clear_error (&first);
  if (fresh->len == 0)
    {
      changed (self);
      return TRUE;
    }
  g_autofree char *text = gl_project_get_setting (self->project, SCANNED_KEY);
  gint64 since = text ? g_ascii_strtoll (text, NULL, 10) - GL_WATCH_RESCAN_MARGIN_US : 0;
  if (self->scanned_us == 0)
    {
      self->scanned_us = g_get_real_time ();
      self->failed_since_scan = FALSE;
    }
  g_ptr_array_add (fresh, NULL);
  scan_async (self, (char **)fresh->pdata, MAX (since, 0));
  return TRUE;
}

void
gl_watch_flush (GlWatch *self)
{
  maybe_import (self, TRUE);
}

void
gl_watch_set_eager (GlWatch *self, gboolean eager)
{
  self->eager = eager;
  maybe_import (self, FALSE);
}

void
gl_watch_stop (GlWatch *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_hash_table_remove_all (self->monitors);
  g_hash_table_remove_all (self->waiting);
  g_ptr_array_set_size (self->ready, 0);
  /* Files of the running import stay taken until it returns. */
  g_hash_table_remove_all (self->taken);
  for (guint i = 0; self->importing && i < self->importing->len; i++)
    g_hash_table_add (self->taken, g_strdup (self->importing->pdata[i]));
  g_clear_handle_id (&self->tick_id, g_source_remove);
  self->scanned_us = 0;
  self->scanned_ready = 0;
}

static void
monitor_free (gpointer data)
{
  GFileMonitor *monitor = data;
  g_signal_handlers_disconnect_matched (monitor, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, on_monitor_changed_cb,
                                        NULL);
  g_file_monitor_cancel (monitor);
  g_object_unref (monitor);
}

GlWatch *
gl_watch_new (GlProject *project, const GlWatchOptions *options)
{
  GlWatch *self = g_object_new (GL_TYPE_WATCH, NULL);
  self->project = project;
  if (options)
    self->options = *options;
  if (self->options.batch_files == 0)
    self->options.batch_files = GL_WATCH_DEFAULT_BATCH_FILES;
  if (self->options.batch_seconds <= 0)
    self->options.batch_seconds = GL_WATCH_DEFAULT_BATCH_SECONDS;
  if (self->options.settle_ms == 0)
    self->options.settle_ms = GL_WATCH_DEFAULT_SETTLE_MS;
  if (self->options.settle_unknown_ms == 0)
    self->options.settle_unknown_ms = GL_WATCH_DEFAULT_SETTLE_UNKNOWN_MS;
  return self;
}

static void
gl_watch_init (GlWatch *self)
{
  self->monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, monitor_free);
  self->waiting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->ready = g_ptr_array_new_with_free_func (g_free);
  self->taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  self->was_idle = TRUE;
}

static void
gl_watch_dispose (GObject *object)
{
  GlWatch *self = GL_WATCH (object);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_pointer (&self->monitors, g_hash_table_unref);
  G_OBJECT_CLASS (gl_watch_parent_class)->dispose (object);
}

static void
gl_watch_finalize (GObject *object)
{
  GlWatch *self = GL_WATCH (object);
  g_clear_pointer (&self->waiting, g_hash_table_unref);
  g_clear_pointer (&self->ready, g_ptr_array_unref);
  g_clear_pointer (&self->taken, g_hash_table_unref);
  g_clear_pointer (&self->importing, g_ptr_array_unref);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (gl_watch_parent_class)->finalize (object);
}

static void
gl_watch_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlWatch *self = GL_WATCH (object);
  switch (prop_id)
    {
      case PROP_PENDING:
        g_value_set_uint (value, gl_watch_get_pending (self));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gl_watch_class_init (GlWatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = gl_watch_dispose;
  object_class->finalize = gl_watch_finalize;
  object_class->get_property = gl_watch_get_property;

  props[PROP_PENDING]
      = g_param_spec_uint ("pending", NULL, NULL, 0, G_MAXUINT, 0,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_BATCH_IMPORTED]
      = g_signal_new ("batch-imported", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 4, G_TYPE_INT64, G_TYPE_UINT64, G_TYPE_UINT64, G_TYPE_UINT64);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                         NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_IDLE] = g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                       NULL, G_TYPE_NONE, 0);
}
