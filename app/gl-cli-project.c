/* gl-cli-project.c — gleaner-cli init, import, info and demo. */
#include "gleaner-config.h"

#include "app/gl-cli.h"
#include "app/gl-demo.h"
#include "app/gl-export.h"
#include "app/gl-project.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct
{
  char *input;   /* --input HxWxC */
  char *classes; /* --classes A,B,… */
} init_opt;

const GOptionEntry gl_cli_init_options[] = {
  { "input", 0, 0, G_OPTION_ARG_STRING, &init_opt.input, "Model input shape: 28x28x1 or 64x64x3 (HxWxC); required",
    "HxWxC" },
  { "classes", 0, 0, G_OPTION_ARG_STRING, &init_opt.classes, "Class names, comma-separated", "A,B,…" },
  { NULL },
};

int
gl_cli_init (int argc, char **argv)
{
  if (argc != 2 || init_opt.input == NULL)
    return gl_cli_usage ("init");
  g_autoptr (GError) error = NULL;
  guint h, w, c;
  if (!gl_project_parse_shape (init_opt.input, &h, &w, &c, &error))
    {
      g_printerr ("gleaner-cli init: %s\n", error->message);
      return GL_CLI_EXIT_USAGE;
    }
  g_auto (GStrv) names = init_opt.classes ? g_strsplit (init_opt.classes, ",", -1) : NULL;
  for (guint i = 0; names && names[i]; i++)
    g_strstrip (names[i]);
  g_autoptr (GlProject) p = gl_project_create (argv[1], h, w, c, (const char *const *) names, &error);
  if (p == NULL)
    return gl_cli_fail ("init", error);
  guint n = names ? g_strv_length (names) : 0;
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new ("{\"project\":");
      gl_json_append_string (out, gl_project_get_name (p));
      g_string_append_printf (out, ",\"input\":{\"height\":%u,\"width\":%u,\"channels\":%u},\"classes\":%u}", h, w,
                              c, n);
      gl_cli_print_json (out);
      return GL_CLI_EXIT_OK;
    }
  g_autofree char *disp = g_filename_display_name (gl_project_get_name (p));
  printf ("created project %s (input %ux%ux%u, %u classes)\n", disp, h, w, c, n);
  return GL_CLI_EXIT_OK;
}

static void
on_progress (const GlImportProgress *prog, gpointer user_data)
{
  fprintf (stderr, "\r%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " images, %.0f images/s   ", prog->done,
           prog->total, prog->images_per_s);
}

/* The files an import recorded unreadable, with the reasons (the first
 * MAX_REJECTS_SHOWN are printed; `problems` lists them all). */
#define MAX_REJECTS_SHOWN 20

typedef struct
{
  GPtrArray *paths;   /* of char *, owned */
  GPtrArray *reasons; /* of char *, owned */
} Rejects;

static void
on_reject (const char *path, const char *reason, gpointer user_data)
{
  Rejects *r = user_data;
  g_ptr_array_add (r->paths, g_strdup (path));
  g_ptr_array_add (r->reasons, g_strdup (reason));
}

static void
print_summary (const GlImportProgress *s, gboolean reference, const Rejects *rejects, const char *project)
{
  printf ("added %" G_GUINT64_FORMAT ", duplicates %" G_GUINT64_FORMAT ", unreadable %" G_GUINT64_FORMAT
          ", %s %" G_GUINT64_FORMAT ", skipped %" G_GUINT64_FORMAT " (of %" G_GUINT64_FORMAT
          ") in %.1f s, %.0f images/s\n",
          s->added, s->duplicates, s->unreadable, reference ? "reference-labeled" : "labeled", s->labeled,
          s->skipped, s->total, s->elapsed_s, s->images_per_s);
  for (guint i = 0; i < rejects->paths->len && i < MAX_REJECTS_SHOWN; i++)
    printf ("unreadable %s: %s\n", (char *) rejects->paths->pdata[i], (char *) rejects->reasons->pdata[i]);
  if (rejects->paths->len > MAX_REJECTS_SHOWN)
    printf ("… and %u more unreadable files: gleaner-cli problems %s lists them all\n",
            rejects->paths->len - MAX_REJECTS_SHOWN, project);
}

static void
print_summary_json (const GlImportProgress *s, gboolean reference, const Rejects *rejects)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_string_append_printf (out,
                          "{\"total\":%" G_GUINT64_FORMAT ",\"added\":%" G_GUINT64_FORMAT
                          ",\"duplicates\":%" G_GUINT64_FORMAT ",\"unreadable\":%" G_GUINT64_FORMAT
                          ",\"labeled\":%" G_GUINT64_FORMAT ",\"reference_labeled\":%" G_GUINT64_FORMAT
                          ",\"skipped\":%" G_GUINT64_FORMAT ",\"extra_csv_columns\":%" G_GUINT64_FORMAT
                          ",\"seconds\":%.3f,\"rejected\":[",
                          s->total, s->added, s->duplicates, s->unreadable, reference ? 0 : s->labeled,
                          reference ? s->labeled : 0, s->skipped, s->extra_columns, s->elapsed_s);
  for (guint i = 0; i < rejects->paths->len; i++)
    {
      g_string_append (out, i ? ",{\"path\":" : "{\"path\":");
      gl_json_append_string (out, rejects->paths->pdata[i]);
      g_string_append (out, ",\"reason\":");
      gl_json_append_string (out, rejects->reasons->pdata[i]);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}\n");
  fwrite (out->str, 1, out->len, stdout);
}

/* 0 done, 3 done with some inputs rejected, 1 when every input was
 * rejected (none added, none known already: nothing could be imported). */
static int
import_status (const GlImportProgress *s)
{
  if (s->unreadable == 0)
    return GL_CLI_EXIT_OK;
  if (s->added == 0 && s->duplicates == 0)
    {
      g_printerr ("gleaner-cli import: nothing could be imported (%" G_GUINT64_FORMAT " unreadable)\n",
                  s->unreadable);
      return GL_CLI_EXIT_ERROR;
    }
  return GL_CLI_EXIT_REJECTED;
}

static struct
{
  char *layout, *idx_labels, *labels_as;
  gboolean held_out_test, thumbnails, new_classes;
} import_opt;

const GOptionEntry gl_cli_import_options[] = {
  { "layout", 0, 0, G_OPTION_ARG_STRING, &import_opt.layout, "auto (default), plain, imagefolder, csv or idx",
    "LAYOUT" },
  { "idx-labels", 0, 0, G_OPTION_ARG_FILENAME, &import_opt.idx_labels, "Labels file of an IDX images file", "FILE" },
  { "labels-as", 0, 0, G_OPTION_ARG_STRING, &import_opt.labels_as,
    "human (default: labels to continue from) or reference (for evaluation and simulate only)", "KIND" },
  { "held-out-test", 0, 0, G_OPTION_ARG_NONE, &import_opt.held_out_test,
    "Mark the import as a held-out reference test set", NULL },
  { "thumbnails", 0, 0, G_OPTION_ARG_NONE, &import_opt.thumbnails,
    "Make the 128 px thumbnails now (by default the gallery makes each when it first shows it)", NULL },
  { "new-classes", 0, 0, G_OPTION_ARG_NONE, &import_opt.new_classes,
    "Create a class for each CSV label that is not one (by default such a label is an error)", NULL },
  { NULL },
};

int
gl_cli_import (int argc, char **argv)
{
  const char *layout_text = import_opt.layout, *labels_as = import_opt.labels_as;
  gboolean json = gl_cli_json;
  GlImportOptions o;
  gl_import_options_init (&o);
  if (layout_text && !gl_import_layout_parse (layout_text, &o.layout))
    {
      g_printerr ("gleaner-cli import: unknown layout “%s”\n", layout_text);
      return GL_CLI_EXIT_USAGE;
    }
  if (labels_as && strcmp (labels_as, "human") != 0 && strcmp (labels_as, "reference") != 0)
    {
      g_printerr ("gleaner-cli import: --labels-as is human or reference, not “%s”\n", labels_as);
      return GL_CLI_EXIT_USAGE;
    }
  if (argc < 3)
    return gl_cli_usage ("import");
  o.idx_labels = import_opt.idx_labels;
  o.labels_as = g_strcmp0 (labels_as, "reference") == 0 ? GL_LABELS_AS_REFERENCE : GL_LABELS_AS_HUMAN;
  o.held_out_test = import_opt.held_out_test;
  o.thumbnails = import_opt.thumbnails;
  o.new_classes = import_opt.new_classes;
  Rejects rejects = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };
  o.reject_func = on_reject;
  o.reject_data = &rejects;
  /* For tests: decoding threads, and records per transaction (the kill test
   * wants many commits in a small import). */
  const char *threads = g_getenv ("GLEANER_IMPORT_THREADS");
  if (threads)
    o.n_threads = (guint) g_ascii_strtoull (threads, NULL, 10);
  const char *batch = g_getenv ("GLEANER_IMPORT_BATCH");
  if (batch)
    o.batch_size = (guint) g_ascii_strtoull (batch, NULL, 10);

  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    {
      g_ptr_array_unref (rejects.paths);
      g_ptr_array_unref (rejects.reasons);
      return gl_cli_fail ("import", error);
    }
  GlImportProgress sum;
  gboolean tty = !json && isatty (STDERR_FILENO);
  gboolean ok = gl_project_import (p, (const char *const *) argv + 2, &o, tty ? on_progress : NULL, NULL, NULL,
                                   &sum, &error);
  if (tty)
    fputc ('\n', stderr);
  gboolean reference = o.labels_as == GL_LABELS_AS_REFERENCE;
  if (json)
    print_summary_json (&sum, reference, &rejects);
  else
    print_summary (&sum, reference, &rejects, argv[1]);
  if (ok && sum.added > 0 && !json)
    gl_cli_drift_after_import (p);
  fflush (stdout);
  g_ptr_array_unref (rejects.paths);
  g_ptr_array_unref (rejects.reasons);
  if (sum.extra_columns > 0)
    g_printerr ("gleaner-cli import: %" G_GUINT64_FORMAT " CSV row%s more columns than path,label; the columns "
                "after the label were ignored\n", sum.extra_columns, sum.extra_columns == 1 ? " has" : "s have");
  if (!ok)
    return gl_cli_fail ("import", error);
  return import_status (&sum);
}

const GOptionEntry gl_cli_info_options[] = { { NULL } };

int
gl_cli_info (int argc, char **argv)
{
  gboolean json = gl_cli_json;
  if (argc != 2)
    return gl_cli_usage ("info");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("info", error);
  GlProjectInfo info;
  if (!gl_project_get_info (p, &info, &error))
    return gl_cli_fail ("info", error);
  g_autoptr (GString) out = g_string_new (NULL);
  if (json)
    {
      g_string_append (out, "{\"project\":");
      gl_json_append_string (out, gl_project_get_name (p));
      g_string_append_printf (out,
                              ",\"input\":{\"height\":%u,\"width\":%u,\"channels\":%u}"
                              ",\"images\":%" G_GUINT64_FORMAT ",\"readable\":%" G_GUINT64_FORMAT
                              ",\"unreadable\":%" G_GUINT64_FORMAT ",\"duplicates\":%" G_GUINT64_FORMAT
                              ",\"labeled\":%" G_GUINT64_FORMAT ",\"reference_labeled\":%" G_GUINT64_FORMAT
                              ",\"held_out_test\":%" G_GUINT64_FORMAT ",\"classes\":[",
                              info.h, info.w, info.c, info.images, info.readable, info.unreadable,
                              info.duplicates, info.labeled, info.reference_labeled, info.held_out_test);
      for (guint i = 0; i < info.n_classes; i++)
        {
          g_string_append (out, i ? ",{\"name\":" : "{\"name\":");
          gl_json_append_string (out, info.class_names[i]);
          g_string_append_printf (out, ",\"labeled\":%" G_GUINT64_FORMAT ",\"reference\":%" G_GUINT64_FORMAT "}",
                                  info.labeled_per_class[i], info.reference_per_class[i]);
        }
      g_string_append (out, "]}\n");
    }
  else
    {
      g_autofree char *disp = g_filename_display_name (gl_project_get_name (p));
      g_string_append_printf (out,
                              "project            %s\ninput              %ux%ux%u\n"
                              "images             %" G_GUINT64_FORMAT "\nunreadable         %" G_GUINT64_FORMAT
                              "\nduplicates skipped %" G_GUINT64_FORMAT "\nlabeled            %" G_GUINT64_FORMAT
                              "\nreference-labeled  %" G_GUINT64_FORMAT "\nheld-out test      %" G_GUINT64_FORMAT
                              "\nclasses (labeled / reference):\n",
                              disp, info.h, info.w, info.c, info.images, info.unreadable, info.duplicates,
                              info.labeled, info.reference_labeled, info.held_out_test);
      for (guint i = 0; i < info.n_classes; i++)
        g_string_append_printf (out, "  %-20s %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT "\n", info.class_names[i],
                                info.labeled_per_class[i], info.reference_per_class[i]);
    }
  gl_project_info_clear (&info);
  fwrite (out->str, 1, out->len, stdout);
  return 0;
}

static struct
{
  char *fashion_mnist; /* --fashion-mnist DIR */
} demo_opt;

const GOptionEntry gl_cli_demo_options[] = {
  { "fashion-mnist", 0, 0, G_OPTION_ARG_FILENAME, &demo_opt.fashion_mnist,
    "Folder of the Fashion-MNIST IDX files (default: the ones installed with Gleaner)", "DIR" },
  { NULL },
};

int
gl_cli_demo (int argc, char **argv)
{
  const char *mnist = demo_opt.fashion_mnist;
  if (argc > 2)
    return gl_cli_usage ("demo");
  g_autoptr (GError) error = NULL;
  gboolean tty = !gl_cli_json && isatty (STDERR_FILENO);
  g_autoptr (GlProject) p = gl_demo_ensure (argc == 2 ? argv[1] : NULL, mnist, tty ? on_progress : NULL, NULL,
                                            NULL, &error);
  if (tty)
    fputc ('\n', stderr);
  if (p == NULL)
    return gl_cli_fail ("demo", error);
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new ("{\"project\":");
      gl_json_append_string (out, gl_project_get_name (p));
      g_string_append_c (out, '}');
      gl_cli_print_json (out);
      return GL_CLI_EXIT_OK;
    }
  g_autofree char *disp = g_filename_display_name (gl_project_get_name (p));
  printf ("demo project ready: %s\n", disp);
  return GL_CLI_EXIT_OK;
}
