/* gl-net-spec.c — network specs: the built-in ones and the compact text
 * form (see gl-net.h). */
#include "engine/gl-net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

GlNetSpec *
gl_net_spec_new (void)
{
  return g_new0 (GlNetSpec, 1);
}

GlNetSpec *
gl_net_spec_copy (const GlNetSpec *spec)
{
  GlNetSpec *copy = gl_net_spec_new ();
  copy->n_layers = spec->n_layers;
  copy->layers = g_memdup2 (spec->layers, sizeof (GlLayerSpec) * spec->n_layers);
  return copy;
}

void
gl_net_spec_free (GlNetSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->layers);
  g_free (spec);
}

void
gl_net_spec_append (GlNetSpec *spec, const GlLayerSpec *layer)
{
  spec->layers = g_renew (GlLayerSpec, spec->layers, spec->n_layers + 1);
  spec->layers[spec->n_layers++] = *layer;
}

static gboolean
layer_equal (const GlLayerSpec *a, const GlLayerSpec *b)
{
  if (a->kind != b->kind)
    return FALSE;
  switch (a->kind)
    {
    case GL_LAYER_CONV:
      return a->conv.filters == b->conv.filters && a->conv.kernel == b->conv.kernel &&
             a->conv.stride == b->conv.stride && a->conv.pad == b->conv.pad;
    case GL_LAYER_MAXPOOL:
      return a->pool.size == b->pool.size && a->pool.stride == b->pool.stride;
    case GL_LAYER_DROPOUT:
      return a->dropout.rate == b->dropout.rate;
    case GL_LAYER_DENSE:
      return a->dense.units == b->dense.units;
    case GL_LAYER_GLOBAL_AVGPOOL:
    case GL_LAYER_RELU:
    case GL_LAYER_BATCHNORM:
    case GL_LAYER_FLATTEN:
    default:
      return TRUE;
    }
}

gboolean
gl_net_spec_equal (const GlNetSpec *a, const GlNetSpec *b)
{
  if (a->n_layers != b->n_layers)
    return FALSE;
  for (guint i = 0; i < a->n_layers; i++)
    if (!layer_equal (&a->layers[i], &b->layers[i]))
      return FALSE;
  return TRUE;
}

GlNetSpec *
gl_net_spec_reference (void)
{
  return gl_net_spec_from_string ("conv32k3s1p1,relu,maxpool2s2,conv64k3s1p1,relu,maxpool2s2,dense128,relu", NULL);
}

GlNetSpec *
gl_net_spec_default_grey (void)
{
  return gl_net_spec_from_string ("conv32k3s1p1,bn,relu,maxpool2s2,conv64k3s1p1,bn,relu,maxpool2s2,"
                                  "dropout0.25,dense128,bn,relu,dropout0.5",
                                  NULL);
}

GlNetSpec *
gl_net_spec_default_colour (void)
{
  return gl_net_spec_from_string ("conv32k3s2p1,bn,relu,conv32k3s1p1,bn,relu,maxpool2s2,"
                                  "conv64k3s1p1,bn,relu,maxpool2s2,conv128k3s1p1,bn,relu,gap,"
                                  "dropout0.3,dense128,bn,relu,dropout0.3",
                                  NULL);
}

GlNetSpec *
gl_net_spec_default_for_input (guint h, guint w, guint c)
{
  if (c == 1 && h <= 48 && w <= 48)
    return gl_net_spec_default_grey ();
  return gl_net_spec_default_colour ();
}

static void
append_float (GString *s, float v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  /* The shortest form that reads back as the same float. */
  for (int digits = 1; digits <= 9; digits++)
    {
      char format[8];
      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if ((float) g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (s, buf);
}

char *
gl_net_spec_to_string (const GlNetSpec *spec)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < spec->n_layers; i++)
    {
      const GlLayerSpec *l = &spec->layers[i];
      if (i > 0)
        g_string_append_c (s, ',');
      switch (l->kind)
        {
        case GL_LAYER_CONV:
          g_string_append_printf (s, "conv%uk%us%up%u", l->conv.filters, l->conv.kernel, l->conv.stride,
                                  l->conv.pad);
          break;
        case GL_LAYER_MAXPOOL:
          g_string_append_printf (s, "maxpool%us%u", l->pool.size, l->pool.stride);
          break;
        case GL_LAYER_GLOBAL_AVGPOOL:
          g_string_append (s, "gap");
          break;
        case GL_LAYER_RELU:
          g_string_append (s, "relu");
          break;
        case GL_LAYER_BATCHNORM:
          g_string_append (s, "bn");
          break;
        case GL_LAYER_DROPOUT:
          g_string_append (s, "dropout");
          append_float (s, l->dropout.rate);
          break;
        case GL_LAYER_DENSE:
          g_string_append_printf (s, "dense%u", l->dense.units);
          break;
        case GL_LAYER_FLATTEN:
        default:
          g_string_append (s, "flatten");
          break;
        }
    }
  return g_string_free (s, FALSE);
}

/* Reads a positive decimal number at *p (at most 65535); advances *p. */
static gboolean
read_uint (const char **p, guint *value)
{
  const char *s = *p;
  guint64 v = 0;
  if (!g_ascii_isdigit (*s))
    return FALSE;
  while (g_ascii_isdigit (*s))
    {
      v = v * 10 + (guint64) (*s - '0');
      if (v > 65535)
        return FALSE;
      s++;
    }
  *p = s;
  *value = (guint) v;
  return TRUE;
}

static gboolean
parse_token (const char *tok, GlLayerSpec *l)
{
  const char *p;
  memset (l, 0, sizeof *l);

  if (strcmp (tok, "relu") == 0)
    l->kind = GL_LAYER_RELU;
  else if (strcmp (tok, "bn") == 0 || strcmp (tok, "batchnorm") == 0)
    l->kind = GL_LAYER_BATCHNORM;
  else if (strcmp (tok, "gap") == 0)
    l->kind = GL_LAYER_GLOBAL_AVGPOOL;
  else if (strcmp (tok, "flatten") == 0)
    l->kind = GL_LAYER_FLATTEN;
  else if (g_str_has_prefix (tok, "conv"))
    {
      gboolean have_k = FALSE, have_s = FALSE, have_p = FALSE;
      l->kind = GL_LAYER_CONV;
      l->conv.stride = 1;
      p = tok + 4;
      if (!read_uint (&p, &l->conv.filters) || l->conv.filters == 0)
        return FALSE;
      while (*p != '\0')
        {
          char key = *p++;
          guint v;
          if (!read_uint (&p, &v))
            return FALSE;
          if (key == 'k' && !have_k && v > 0)
            l->conv.kernel = v, have_k = TRUE;
          else if (key == 's' && !have_s && v > 0)
            l->conv.stride = v, have_s = TRUE;
          else if (key == 'p' && !have_p)
            l->conv.pad = v, have_p = TRUE;
          else
            return FALSE;
        }
      if (!have_k)
        return FALSE;
    }
  else if (g_str_has_prefix (tok, "maxpool"))
    {
      l->kind = GL_LAYER_MAXPOOL;
      p = tok + 7;
      if (!read_uint (&p, &l->pool.size) || l->pool.size == 0)
        return FALSE;
      l->pool.stride = l->pool.size;
      if (*p == 's')
        {
          p++;
          if (!read_uint (&p, &l->pool.stride) || l->pool.stride == 0)
            return FALSE;
        }
      if (*p != '\0')
        return FALSE;
    }
  else if (g_str_has_prefix (tok, "dropout"))
    {
      char *end = NULL;
      l->kind = GL_LAYER_DROPOUT;
      p = tok + 7;
      if (!g_ascii_isdigit (*p) && *p != '.')
        return FALSE;
      double rate = g_ascii_strtod (p, &end);
      if (end == p || *end != '\0' || !(rate >= 0.0 && rate < 1.0))
        return FALSE;
      l->dropout.rate = (float) rate;
    }
  else if (g_str_has_prefix (tok, "dense"))
    {
      l->kind = GL_LAYER_DENSE;
      p = tok + 5;
      if (!read_uint (&p, &l->dense.units) || l->dense.units == 0 || *p != '\0')
        return FALSE;
    }
  else
    return FALSE;
  return TRUE;
}

GlNetSpec *
gl_net_spec_from_string (const char *text, GError **error)
{
  g_autoptr (GlNetSpec) spec = gl_net_spec_new ();
  g_auto (GStrv) tokens = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  if (*stripped == '\0')
    return g_steal_pointer (&spec);

  tokens = g_strsplit (stripped, ",", -1);
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      GlLayerSpec l;
      char *tok = g_strstrip (tokens[i]);
      if (!parse_token (tok, &l))
        {
          g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_PARSE,
                       "Network spec “%s”: cannot read layer %u “%s” (expected convFkK[sS][pP], maxpoolK[sS], "
                       "gap, relu, bn, dropoutR with 0 ≤ R < 1, denseU or flatten)",
                       text, i + 1, tok);
          return NULL;
        }
      gl_net_spec_append (spec, &l);
    }
  return g_steal_pointer (&spec);
}
