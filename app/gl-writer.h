/* gl-writer.h — a thread that commits a project's writes one after another.
 *
 * A GlWriter owns one thread with its own connection to a project's store
 * (opened on that thread). Writes pushed to it run on that thread strictly in
 * the order they were pushed, each to its end (a commit with synchronous=FULL
 * may wait for the disk for milliseconds), so the thread that pushes them —
 * the GTK main thread — never waits for the disk. A write returns through its
 * GTask, whose callback runs in the task's main context as usual.
 *
 * Freeing the writer waits for the writes pushed so far: a write once pushed
 * is always carried out.
 */
#pragma once

#include <gio/gio.h>

#include "db/gl-db.h"

G_BEGIN_DECLS

typedef struct _GlWriter GlWriter;

/* Runs on the writer's thread: the write of @task (its task data), on @db;
 * returns through g_task_return_*. @db is NULL when the store could not be
 * opened: then @open_error says why (return a copy of it). */
typedef void (*GlWriterFunc) (GTask *task, GlDb *db, const GError *open_error);

/* Starts the thread; it opens @db_path itself. */
GlWriter *gl_writer_new (const char *db_path);

/* Queues @func for @task (a reference is taken) behind every write pushed
 * before it. The writer's thread drops its reference after @func, maybe
 * last: give @task no source object and no task data or callback data
 * whose finalization belongs to another thread (an object that owns the
 * writer, above all). */
void gl_writer_push (GlWriter *writer, GTask *task, GlWriterFunc func);

/* Waits until every write pushed has run, stops the thread and closes its
 * connection. */
void gl_writer_free (GlWriter *writer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlWriter, gl_writer_free)

G_END_DECLS
