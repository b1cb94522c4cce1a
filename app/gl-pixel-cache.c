/* gl-pixel-cache.c — see gl-pixel-cache.h. */
#include "app/gl-pixel-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (gl-pixel-cache-error-quark, gl_pixel_cache_error)

static const char magic[8] = { 'G', 'L', 'P', 'I', 'X', 'C', '0', '1' };

struct _GlPixelCache
{
  char *path;
  int fd;
  guint h, w, c;
  gsize row_size;
  guint64 count; /* whole rows in the file */
};

struct _GlPixelMap
{
  guint h, w, c;
  gsize row_size;
  guint64 count;
  void *base; /* (file size) bytes, or NULL */
  gsize map_len;
  int fd;     /* open for gl_pixel_map_read_row */
  char *path; /* for errors */
};

static void
put_u32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

static guint32
get_u32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static gboolean
io_error (GError **error, const char *path, const char *what, int e)
{
  g_autofree char *disp = g_filename_display_name (path);
  /* A full disk (or the file-size limit) says so, not "File too large". */
  if (e == ENOSPC || e == EFBIG || e == EDQUOT)
    g_set_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_IO, "the disk is full: %s %s", what, disp);
  else
    g_set_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_IO, "%s: %s: %s", disp, what, g_strerror (e));
  return FALSE;
}

static gboolean
pwrite_all (int fd, const guint8 *buf, gsize len, off_t off)
{
  while (len > 0)
    {
      ssize_t n = pwrite (fd, buf, len, off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        {
          errno = ENOSPC;
          return FALSE;
        }
      buf += n;
      len -= (gsize) n;
      off += n;
    }
  return TRUE;
}

/* Parses the header; shape out-params. */
static gboolean
parse_header (const guint8 *hdr, gsize len, const char *path, guint *h, guint *w, guint *c, GError **error)
{
  g_autofree char *disp = g_filename_display_name (path);
  if (len < GL_PIXEL_CACHE_HEADER_SIZE || memcmp (hdr, magic, 8) != 0)
    {
      g_set_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_FORMAT, "%s: not a pixel cache", disp);
      return FALSE;
    }
  if (get_u32 (hdr + 8) != 1)
    {
      g_set_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_FORMAT,
                   "%s: pixel cache version %u is not supported", disp, get_u32 (hdr + 8));
      return FALSE;
    }
  *h = get_u32 (hdr + 12);
  *w = get_u32 (hdr + 16);
  *c = get_u32 (hdr + 20);
  if (*h == 0 || *w == 0 || (*c != 1 && *c != 3) || *h > 4096 || *w > 4096)
    {
      g_set_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_FORMAT, "%s: bad shape %u×%u×%u", disp,
                   *h, *w, *c);
      return FALSE;
    }
  return TRUE;
}

/* Takes the file lock that orders appends and opens between processes. */
static gboolean
lock (GlPixelCache *cache, GError **error)
{
  while (flock (cache->fd, LOCK_EX) != 0)
    if (errno != EINTR)
      return io_error (error, cache->path, "cannot lock", errno);
  return TRUE;
}

/* Writes the header of a new file, or checks an existing one and cuts off
 * a torn tail; called with the file locked. */
static gboolean
open_locked (GlPixelCache *cache, GError **error)
{
  const char *path = cache->path;
  int fd = cache->fd;
  guint h = cache->h, w = cache->w, c = cache->c;
  struct stat st;
  if (fstat (fd, &st) != 0)
    return io_error (error, path, "cannot stat", errno);
  if (st.st_size == 0)
    {
      guint8 hdr[GL_PIXEL_CACHE_HEADER_SIZE] = { 0 };
      memcpy (hdr, magic, 8);
      put_u32 (hdr + 8, 1);
      put_u32 (hdr + 12, h);
      put_u32 (hdr + 16, w);
      put_u32 (hdr + 20, c);
      if (!pwrite_all (fd, hdr, sizeof hdr, 0) || fdatasync (fd) != 0)
        {
          int e = errno;
          if (ftruncate (fd, 0) != 0)
            { /* nothing more we can do; the error below says why */ }
          return io_error (error, path, "cannot write the header of", e);
        }
      cache->count = 0;
      return TRUE;
    }

  guint8 hdr[GL_PIXEL_CACHE_HEADER_SIZE];
  ssize_t n = pread (fd, hdr, sizeof hdr, 0);
  guint fh, fw, fc;
  if (!parse_header (hdr, n < 0 ? 0 : (gsize) n, path, &fh, &fw, &fc, error))
    return FALSE;
  if (fh != h || fw != w || fc != c)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_SHAPE,
                   "%s: holds %u×%u×%u inputs, not %u×%u×%u", disp, fh, fw, fc, h, w, c);
      return FALSE;
    }
  cache->count = ((guint64) st.st_size - GL_PIXEL_CACHE_HEADER_SIZE) / cache->row_size;
  off_t whole = (off_t) (GL_PIXEL_CACHE_HEADER_SIZE + cache->count * cache->row_size);
  if (whole != st.st_size && ftruncate (fd, whole) != 0)
    return io_error (error, path, "cannot cut off a torn tail", errno);
  return TRUE;
}

GlPixelCache *
gl_pixel_cache_open (const char *path, guint h, guint w, guint c, GError **error)
{
  g_return_val_if_fail (h > 0 && w > 0 && (c == 1 || c == 3), NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      io_error (error, path, "cannot open", errno);
      return NULL;
    }
  g_autoptr (GlPixelCache) cache = g_new0 (GlPixelCache, 1);
  cache->path = g_strdup (path);
  cache->fd = fd;
  cache->h = h;
  cache->w = w;
  cache->c = c;
  cache->row_size = (gsize) h * w * c;
  /* Another process may be appending (an import, a watched folder): its
   * unfinished write looks like a torn tail. Under the lock every tail is
   * a real one, left by a process that died mid-write. */
  if (!lock (cache, error))
    return NULL;
  gboolean ok = open_locked (cache, error);
  flock (fd, LOCK_UN);
  return ok ? g_steal_pointer (&cache) : NULL;
}

void
gl_pixel_cache_close (GlPixelCache *cache)
{
  if (cache == NULL)
    return;
  if (cache->fd >= 0)
    close (cache->fd);
  g_free (cache->path);
  g_free (cache);
}

guint64
gl_pixel_cache_count (GlPixelCache *cache)
{
  return cache->count;
}

gsize
gl_pixel_cache_row_size (GlPixelCache *cache)
{
  return cache->row_size;
}

gboolean
gl_pixel_cache_append (GlPixelCache *cache, const guint8 *rows, guint n, guint64 *first_row, GError **error)
{
  /* Another process may append to the same project: take the file lock and
   * start from the current end (whole rows; a torn tail is overwritten). */
  if (!lock (cache, error))
    return FALSE;
  struct stat st;
  if (fstat (cache->fd, &st) != 0)
    {
      int e = errno;
      flock (cache->fd, LOCK_UN);
      return io_error (error, cache->path, "cannot stat", e);
    }
  cache->count = ((guint64) st.st_size - GL_PIXEL_CACHE_HEADER_SIZE) / cache->row_size;
  off_t off = (off_t) (GL_PIXEL_CACHE_HEADER_SIZE + cache->count * cache->row_size);
  if (!pwrite_all (cache->fd, rows, (gsize) n * cache->row_size, off))
    {
      int e = errno;
      if (ftruncate (cache->fd, off) != 0)
        { /* the torn tail is ignored on the next open anyway */ }
      flock (cache->fd, LOCK_UN);
      return io_error (error, cache->path, "cannot write", e);
    }
  if (first_row)
    *first_row = cache->count;
  cache->count += n;
  flock (cache->fd, LOCK_UN);
  return TRUE;
}

gboolean
gl_pixel_cache_sync (GlPixelCache *cache, GError **error)
{
  if (fdatasync (cache->fd) != 0)
    return io_error (error, cache->path, "cannot sync", errno);
  guint8 cnt[8];
  guint64 le = GUINT64_TO_LE (cache->count);
  memcpy (cnt, &le, 8);
  /* The count in the header is informative (the file size rules); it is
   * made durable with the next sync. */
  if (!pwrite_all (cache->fd, cnt, 8, 24))
    return io_error (error, cache->path, "cannot write the header of", errno);
  return TRUE;
}

GlPixelMap *
gl_pixel_map_open (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      io_error (error, path, "cannot open", errno);
      return NULL;
    }
  struct stat st;
  if (fstat (fd, &st) != 0)
    {
      io_error (error, path, "cannot stat", errno);
      close (fd);
      return NULL;
    }
  guint8 hdr[GL_PIXEL_CACHE_HEADER_SIZE];
  ssize_t n = pread (fd, hdr, sizeof hdr, 0);
  g_autoptr (GlPixelMap) map = g_new0 (GlPixelMap, 1);
  map->fd = -1;
  if (!parse_header (hdr, n < 0 ? 0 : (gsize) n, path, &map->h, &map->w, &map->c, error))
    {
      close (fd);
      return NULL;
    }
  map->row_size = (gsize) map->h * map->w * map->c;
  map->count = ((guint64) st.st_size - GL_PIXEL_CACHE_HEADER_SIZE) / map->row_size;
  if (map->count > 0)
    {
      map->map_len = (gsize) st.st_size;
      map->base = mmap (NULL, map->map_len, PROT_READ, MAP_SHARED, fd, 0);
      if (map->base == MAP_FAILED)
        {
          map->base = NULL;
          io_error (error, path, "cannot map", errno);
          close (fd);
          return NULL;
        }
    }
  map->fd = fd;
  map->path = g_strdup (path);
  return g_steal_pointer (&map);
}

void
gl_pixel_map_free (GlPixelMap *map)
{
  if (map == NULL)
    return;
  if (map->base != NULL)
    munmap (map->base, map->map_len);
  if (map->fd >= 0)
    close (map->fd);
  g_free (map->path);
  g_free (map);
}

guint64
gl_pixel_map_count (GlPixelMap *map)
{
  return map->count;
}

void
gl_pixel_map_shape (GlPixelMap *map, guint *h, guint *w, guint *c)
{
  *h = map->h;
  *w = map->w;
  *c = map->c;
}

const guint8 *
gl_pixel_map_data (GlPixelMap *map)
{
  return map->base ? (const guint8 *) map->base + GL_PIXEL_CACHE_HEADER_SIZE : NULL;
}

const guint8 *
gl_pixel_map_row (GlPixelMap *map, guint64 row)
{
  if (row >= map->count)
    return NULL;
  return gl_pixel_map_data (map) + row * map->row_size;
}

gboolean
gl_pixel_map_read_row (GlPixelMap *map, guint64 row, guint8 *dst, GError **error)
{
  if (row >= map->count)
    {
      g_autofree char *disp = g_filename_display_name (map->path);
      g_set_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_FORMAT,
                   "%s: row %" G_GUINT64_FORMAT " is past its %" G_GUINT64_FORMAT " rows", disp, row, map->count);
      return FALSE;
    }
  off_t off = (off_t) (GL_PIXEL_CACHE_HEADER_SIZE + row * map->row_size);
  gsize done = 0;
  while (done < map->row_size)
    {
      ssize_t n = pread (map->fd, dst + done, map->row_size - done, off + (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return io_error (error, map->path, "cannot read a row of", n < 0 ? errno : EIO);
      done += (gsize) n;
    }
  return TRUE;
}
