/*
 * compress.c — file byte streams with transparent compression (see
 * compress.h).
 *
 * Input: one 1 MiB read buffer per stream, filled with pread() at the
 * stream's own file position. gzip is inflated with zlib (gzip wrapper,
 * reset at each member end so concatenated members read as one stream);
 * zstd with ZSTD_decompressStream, which walks frame after frame by itself.
 * Uncompressed data is copied out of the buffer, or read straight into the
 * caller's buffer when that is large.
 *
 * Output: gzip goes through libdeflate, which only compresses whole buffers:
 * input collects in a 1 MiB block and each full block becomes one gzip
 * member, so the file is a standard multi-member gzip stream. zstd uses the
 * streaming API with a content checksum. All output leaves in 1 MiB writes.
 */
#include "formats/compress.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <bzlib.h>
#include <zstd.h>

#include "core/mem.h"

#define IO_BLOCK ((size_t)1 << 20)  /* read/write size and gzip member size */
#define SNIFF_BYTES 16              /* enough for every magic number we test */
#define GZIP_DEFAULT_LEVEL 6
#define ZSTD_DEFAULT_LEVEL 3
#define BZIP2_DEFAULT_LEVEL 9

/* ---- Codecs -------------------------------------------------------------- */

const char *sl_codec_name(sl_codec codec) {
    switch (codec) {
    case SL_CODEC_GZIP: return "gzip";
    case SL_CODEC_ZSTD: return "zstd";
    case SL_CODEC_BZIP2: return "bzip2";
    default: return "none";
    }
}

int sl_codec_parse(const char *name, sl_codec *out) {
    if (!name) return SL_EINVAL;
    if (!strcasecmp(name, "none")) {
        *out = SL_CODEC_NONE;
    } else if (!strcasecmp(name, "gzip") || !strcasecmp(name, "gz")) {
        *out = SL_CODEC_GZIP;
    } else if (!strcasecmp(name, "zstd") || !strcasecmp(name, "zst")) {
        *out = SL_CODEC_ZSTD;
    } else if (!strcasecmp(name, "bzip2") || !strcasecmp(name, "bz2")) {
        *out = SL_CODEC_BZIP2;
    } else {
        return SL_EINVAL;
    }
    return 0;
}

const char *sl_codec_extension(sl_codec codec) {
    switch (codec) {
    case SL_CODEC_GZIP: return ".gz";
    case SL_CODEC_ZSTD: return ".zst";
    case SL_CODEC_BZIP2: return ".bz2";
    default: return "";
    }
}

int sl_codec_default_level(sl_codec codec) {
    switch (codec) {
    case SL_CODEC_GZIP: return GZIP_DEFAULT_LEVEL;
    case SL_CODEC_ZSTD: return ZSTD_DEFAULT_LEVEL;
    case SL_CODEC_BZIP2: return BZIP2_DEFAULT_LEVEL;
    default: return 0;
    }
}

/* "BZh" + block size digit; when the block magic is there too, insist on
 * it so a text file that happens to start with "BZh1" still reads. */
static bool is_bzip2(const unsigned char *p, size_t n) {
    static const unsigned char bz_block[6] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
    static const unsigned char bz_empty[6] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};
    if (n < 4 || memcmp(p, "BZh", 3) != 0 || p[3] < '1' || p[3] > '9') return false;
    return n < 10 || !memcmp(p + 4, bz_block, 6) || !memcmp(p + 4, bz_empty, 6);
}

sl_codec sl_codec_detect(const void *head, size_t n) {
    const unsigned char *p = head;
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) return SL_CODEC_GZIP;
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) return SL_CODEC_ZSTD;
    /* A zstd file may also open with a skippable frame: 5? 2a 4d 18. */
    if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18) return SL_CODEC_ZSTD;
    if (is_bzip2(p, n)) return SL_CODEC_BZIP2;
    return SL_CODEC_NONE;
}

const char *sl_codec_sniff_name(const void *head, size_t n) {
    static const unsigned char xz_magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    const unsigned char *p = head;
    if (n >= 6 && !memcmp(p, xz_magic, 6)) return "xz";
    if (n >= 4 && !memcmp(p, "PK\3\4", 4)) return "zip";
    return NULL;
}

/* ---- Small I/O helpers --------------------------------------------------- */

/* pread until n bytes or end of file; returns bytes read or -1 (errno). */
static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t pos) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(pos + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

static int write_full(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int unsupported_format(const char *path, const char *format, sl_error *err) {
    return sl_error_set(err, SL_EINVAL,
                        "'%s' is %s-compressed, which sluice does not read yet; decompress it first "
                        "or recompress it with gzip or zstd",
                        path, format);
}

/* ---- Input --------------------------------------------------------------- */

struct sl_instream {
    int fd;              /* -1 when reading from rd or mem */
    sl_store_reader *rd; /* object-store reader (owned), or NULL */
    const unsigned char *mem; /* bytes in memory (not owned), or NULL */
    size_t mem_len;
    char *path;
    sl_codec codec;
    uint64_t file_pos;   /* next file offset to read */
    uint64_t remaining;  /* uncompressed: bytes of the range still to deliver */
    uint64_t raw_bytes;  /* file bytes consumed (delivered or fed to the decoder) */
    unsigned char *in;   /* IO_BLOCK read buffer */
    size_t in_pos, in_len;
    bool file_eof;       /* pread returned 0 */
    bool done;           /* compressed: end of data reached cleanly */
    bool member_open;    /* gzip/zstd: inside an unfinished member/frame */
    uint64_t members_done;
    z_stream gz;
    bool gz_ready;
    ZSTD_DStream *zs;
    bz_stream bz;
    bool bz_ready;
};

/* Read up to n raw bytes at the stream's position (file or store reader)
 * into buf; *got < n only at the end. Returns 0 or a negative status. */
static int raw_read(sl_instream *s, void *buf, size_t n, size_t *got, sl_error *err) {
    *got = 0;
    if (s->mem) {
        size_t avail = s->file_pos < s->mem_len ? s->mem_len - (size_t)s->file_pos : 0;
        *got = n < avail ? n : avail;
        if (*got) memcpy(buf, s->mem + s->file_pos, *got);
        return 0;
    }
    if (!s->rd) {
        ssize_t r = pread_full(s->fd, buf, n, s->file_pos);
        if (r < 0) return sl_error_set(err, SL_EIO, "cannot read '%s': %s", s->path, strerror(errno));
        *got = (size_t)r;
        return 0;
    }
    while (*got < n) {
        size_t k = 0;
        int rc = sl_store_read(s->rd, (char *)buf + *got, n - *got, &k, err);
        if (rc) return rc;
        if (k == 0) break;
        *got += k;
    }
    return 0;
}

/* Refill the read buffer if it is empty. Returns 0 or SL_EIO. */
static int in_fill(sl_instream *s, sl_error *err) {
    if (s->in_pos < s->in_len || s->file_eof) return 0;
    size_t r;
    int rc = raw_read(s, s->in, IO_BLOCK, &r, err);
    if (rc) return rc;
    s->in_pos = 0;
    s->in_len = (size_t)r;
    s->file_pos += (uint64_t)r;
    if (r == 0) s->file_eof = true;
    return 0;
}

static int corrupt(sl_instream *s, const char *what, sl_error *err) {
    int code = sl_error_set(err, SL_EPARSE, "%s data in '%s' is corrupt at compressed byte %llu: %s",
                            sl_codec_name(s->codec), s->path, (unsigned long long)s->raw_bytes, what);
    if (err) err->offset = (long long)s->raw_bytes;
    return code;
}

static int truncated(sl_instream *s, sl_error *err) {
    int code = sl_error_set(err, SL_EPARSE, "%s data in '%s' is truncated at compressed byte %llu",
                            sl_codec_name(s->codec), s->path, (unsigned long long)s->raw_bytes);
    if (err) err->offset = (long long)s->raw_bytes;
    return code;
}

static int open_fail(const char *path, sl_error *err) {
    return sl_error_set(err, SL_EIO, "cannot open '%s': %s", path, strerror(errno));
}

static int start_decoder(sl_instream *s, sl_error *err);

int sl_instream_open(const char *path, uint64_t offset, uint64_t length, sl_instream **out, sl_error *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return open_fail(path, err);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = sl_error_set(err, SL_EIO, "cannot stat '%s': %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return sl_error_set(err, SL_EINVAL, "'%s' is a directory", path);
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

    sl_instream *s = sl_xcalloc(1, sizeof *s);
    s->fd = fd;
    s->path = sl_xstrdup(path);
    s->in = sl_xmalloc(IO_BLOCK);
    s->file_pos = offset;
    s->remaining = length;

    /* Sniff: at offset 0 the first read doubles as the head; elsewhere peek
     * at the head separately so compressed files are never read mid-stream. */
    unsigned char head[SNIFF_BYTES];
    size_t head_len;
    int rc = 0;
    if (offset == 0) {
        if ((rc = in_fill(s, err)) != 0) goto fail;
        head_len = s->in_len < SNIFF_BYTES ? s->in_len : SNIFF_BYTES;
        memcpy(head, s->in, head_len);
    } else {
        ssize_t r = pread_full(fd, head, SNIFF_BYTES, 0);
        if (r < 0) {
            rc = sl_error_set(err, SL_EIO, "cannot read '%s': %s", path, strerror(errno));
            goto fail;
        }
        head_len = (size_t)r;
    }
    const char *other = sl_codec_sniff_name(head, head_len);
    if (other) {
        rc = unsupported_format(path, other, err);
        goto fail;
    }
    s->codec = sl_codec_detect(head, head_len);
    if (s->codec == SL_CODEC_NONE) {
        *out = s;
        return 0;
    }
    if (offset != 0 || length < (uint64_t)st.st_size) {
        rc = sl_error_set(err, SL_EINVAL, "'%s' is %s-compressed and cannot be read by byte range", path,
                          sl_codec_name(s->codec));
        goto fail;
    }
    if ((rc = start_decoder(s, err)) != 0) goto fail;
    *out = s;
    return 0;
fail:
    sl_instream_close(s);
    return rc;
}

static int start_decoder(sl_instream *s, sl_error *err) {
    if (s->codec == SL_CODEC_GZIP) {
        if (inflateInit2(&s->gz, 16 + MAX_WBITS) != Z_OK) return sl_error_set(err, SL_ENOMEM, "cannot allocate a gzip decoder");
        s->gz_ready = true;
    } else if (s->codec == SL_CODEC_ZSTD) {
        s->zs = ZSTD_createDStream();
        if (!s->zs) return sl_error_set(err, SL_ENOMEM, "cannot allocate a zstd decoder");
    } else if (s->codec == SL_CODEC_BZIP2) {
        if (BZ2_bzDecompressInit(&s->bz, 0, 0) != BZ_OK) return sl_error_set(err, SL_ENOMEM, "cannot allocate a bzip2 decoder");
        s->bz_ready = true;
    }
    return 0;
}

int sl_instream_open_reader(const char *name, sl_store_reader *rd, bool sniff, sl_instream **out, sl_error *err) {
    sl_instream *s = sl_xcalloc(1, sizeof *s);
    s->fd = -1;
    s->rd = rd;
    s->path = sl_xstrdup(name);
    s->in = sl_xmalloc(IO_BLOCK);
    s->remaining = UINT64_MAX;
    int rc = 0;
    if (sniff) {
        if ((rc = in_fill(s, err)) != 0) goto fail;
        size_t head_len = s->in_len < SNIFF_BYTES ? s->in_len : SNIFF_BYTES;
        const char *other = sl_codec_sniff_name(s->in, head_len);
        if (other) {
            rc = unsupported_format(name, other, err);
            goto fail;
        }
        s->codec = sl_codec_detect(s->in, head_len);
        if ((rc = start_decoder(s, err)) != 0) goto fail;
    }
    *out = s;
    return 0;
fail:
    sl_instream_close(s);
    return rc;
}

int sl_instream_open_mem(const char *name, const void *data, size_t len, bool sniff, sl_instream **out,
                         sl_error *err) {
    sl_instream *s = sl_xcalloc(1, sizeof *s);
    s->fd = -1;
    s->mem = data;
    s->mem_len = len;
    s->path = sl_xstrdup(name);
    s->in = sl_xmalloc(IO_BLOCK);
    s->remaining = UINT64_MAX;
    int rc = 0;
    if (sniff) {
        const char *other = sl_codec_sniff_name(data, len < SNIFF_BYTES ? len : SNIFF_BYTES);
        if (other) {
            rc = unsupported_format(name, other, err);
            goto fail;
        }
        s->codec = sl_codec_detect(data, len < SNIFF_BYTES ? len : SNIFF_BYTES);
        if ((rc = start_decoder(s, err)) != 0) goto fail;
    }
    *out = s;
    return 0;
fail:
    sl_instream_close(s);
    return rc;
}

static int read_plain(sl_instream *s, unsigned char *buf, size_t cap, size_t *got, sl_error *err) {
    if (cap > s->remaining) cap = (size_t)s->remaining;
    if (cap == 0) return 0;
    if (s->in_pos == s->in_len && cap >= IO_BLOCK / 4) {
        /* Large read: skip the copy through our buffer. */
        size_t r;
        int rc = raw_read(s, buf, cap, &r, err);
        if (rc) return rc;
        s->file_pos += (uint64_t)r;
        *got = r;
    } else {
        int rc = in_fill(s, err);
        if (rc) return rc;
        size_t n = s->in_len - s->in_pos;
        if (n > cap) n = cap;
        memcpy(buf, s->in + s->in_pos, n);
        s->in_pos += n;
        *got = n;
    }
    s->remaining -= *got;
    s->raw_bytes += *got;
    return 0;
}

/* Skip zero bytes after a finished gzip member: tape-style padding that
 * gzip(1) also tolerates. Returns 0 or SL_EIO. */
static int skip_gzip_padding(sl_instream *s, sl_error *err) {
    for (;;) {
        int rc = in_fill(s, err);
        if (rc || s->in_pos == s->in_len) return rc;
        while (s->in_pos < s->in_len && s->in[s->in_pos] == 0) {
            s->in_pos++;
            s->raw_bytes++;
        }
        if (s->in_pos < s->in_len) return 0;
    }
}

/* Inflate into buf until at least one byte comes out or the data ends. */
static int read_gzip(sl_instream *s, unsigned char *buf, size_t cap, size_t *got, sl_error *err) {
    uInt out_cap = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
    while (*got == 0 && !s->done) {
        int rc = s->members_done > 0 && !s->member_open ? skip_gzip_padding(s, err) : in_fill(s, err);
        if (rc) return rc;
        size_t avail = s->in_len - s->in_pos;
        if (avail == 0 && !s->member_open) {
            s->done = true; /* end of file between members */
            break;
        }
        if (!s->member_open) {
            /* A new member starts here (the first, or one after another). */
            if (inflateReset(&s->gz) != Z_OK) return sl_error_set(err, SL_EINTERNAL, "gzip decoder reset failed");
            s->member_open = true;
        }
        /* With avail == 0 (end of file inside a member) inflate still gets
         * a call: it may hold output it had no room for last time. */
        s->gz.next_in = s->in + s->in_pos;
        s->gz.avail_in = avail > UINT_MAX ? UINT_MAX : (uInt)avail;
        s->gz.next_out = buf;
        s->gz.avail_out = out_cap;
        uInt in_before = s->gz.avail_in;
        int zr = inflate(&s->gz, Z_NO_FLUSH);
        size_t used = in_before - s->gz.avail_in;
        s->in_pos += used;
        s->raw_bytes += used;
        *got = out_cap - s->gz.avail_out;
        if (zr == Z_STREAM_END) {
            s->member_open = false;
            s->members_done++;
        } else if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT) {
            return corrupt(s, s->gz.msg ? s->gz.msg : "invalid deflate data", err);
        } else if (zr == Z_MEM_ERROR) {
            return sl_error_set(err, SL_ENOMEM, "out of memory in gzip decoder");
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return corrupt(s, "gzip decoder failed", err);
        } else if (used == 0 && *got == 0) {
            /* No progress: only possible when the input has run out. */
            if (avail == 0) return truncated(s, err);
            return corrupt(s, "gzip decoder made no progress", err);
        }
    }
    return 0;
}

/* Decompress zstd frames into buf until output appears or the data ends. */
static int read_zstd(sl_instream *s, unsigned char *buf, size_t cap, size_t *got, sl_error *err) {
    ZSTD_outBuffer out = {buf, cap, 0};
    while (out.pos == 0 && !s->done) {
        int rc = in_fill(s, err);
        if (rc) return rc;
        ZSTD_inBuffer in = {s->in + s->in_pos, s->in_len - s->in_pos, 0};
        if (in.size == 0 && !s->member_open) {
            s->done = true;
            break;
        }
        /* Called with empty input too at end of file inside a frame: the
         * decoder may still hold output it had no room for. */
        size_t zr = ZSTD_decompressStream(s->zs, &out, &in);
        s->in_pos += in.pos;
        s->raw_bytes += in.pos;
        if (ZSTD_isError(zr)) return corrupt(s, ZSTD_getErrorName(zr), err);
        /* 0 = a frame is complete and fully flushed. */
        s->member_open = zr != 0;
        if (in.pos == 0 && out.pos == 0 && s->member_open) {
            if (in.size == 0) return truncated(s, err);
            return corrupt(s, "zstd decoder made no progress", err);
        }
    }
    *got = out.pos;
    return 0;
}

/* Decompress bzip2 streams (several back to back, as pbzip2 writes) into
 * buf until output appears or the data ends. */
static int read_bzip2(sl_instream *s, unsigned char *buf, size_t cap, size_t *got, sl_error *err) {
    unsigned out_cap = cap > UINT_MAX ? UINT_MAX : (unsigned)cap;
    while (*got == 0 && !s->done) {
        int rc = in_fill(s, err);
        if (rc) return rc;
        size_t avail = s->in_len - s->in_pos;
        if (avail == 0 && !s->member_open) {
            s->done = true;
            break;
        }
        if (!s->member_open) {
            if (s->members_done > 0) { /* a further stream: restart the decoder */
                BZ2_bzDecompressEnd(&s->bz);
                memset(&s->bz, 0, sizeof s->bz);
                if (BZ2_bzDecompressInit(&s->bz, 0, 0) != BZ_OK) return sl_error_set(err, SL_ENOMEM, "bzip2 decoder");
            }
            s->member_open = true;
        }
        s->bz.next_in = (char *)s->in + s->in_pos;
        s->bz.avail_in = avail > UINT_MAX ? UINT_MAX : (unsigned)avail;
        s->bz.next_out = (char *)buf;
        s->bz.avail_out = out_cap;
        unsigned in_before = s->bz.avail_in;
        int br = BZ2_bzDecompress(&s->bz);
        size_t used = in_before - s->bz.avail_in;
        s->in_pos += used;
        s->raw_bytes += used;
        *got = out_cap - s->bz.avail_out;
        if (br == BZ_STREAM_END) {
            s->member_open = false;
            s->members_done++;
        } else if (br != BZ_OK) {
            return corrupt(s, "invalid bzip2 data", err);
        } else if (used == 0 && *got == 0) {
            if (avail == 0) return truncated(s, err);
            return corrupt(s, "bzip2 decoder made no progress", err);
        }
    }
    return 0;
}

int sl_instream_read(sl_instream *s, void *buf, size_t cap, size_t *got, sl_error *err) {
    *got = 0;
    if (cap == 0) return 0;
    switch (s->codec) {
    case SL_CODEC_GZIP: return read_gzip(s, buf, cap, got, err);
    case SL_CODEC_ZSTD: return read_zstd(s, buf, cap, got, err);
    case SL_CODEC_BZIP2: return read_bzip2(s, buf, cap, got, err);
    default: return read_plain(s, buf, cap, got, err);
    }
}

sl_codec sl_instream_codec(const sl_instream *s) { return s->codec; }

uint64_t sl_instream_raw_bytes(const sl_instream *s) { return s->raw_bytes; }

void sl_instream_close(sl_instream *s) {
    if (!s) return;
    if (s->gz_ready) inflateEnd(&s->gz);
    if (s->bz_ready) BZ2_bzDecompressEnd(&s->bz);
    ZSTD_freeDStream(s->zs);
    if (s->rd) sl_store_reader_close(s->rd);
    else if (s->fd >= 0) close(s->fd);
    free(s->in);
    free(s->path);
    free(s);
}

int sl_file_codec(const char *path, sl_codec *out, sl_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return open_fail(path, err);
    unsigned char head[SNIFF_BYTES];
    ssize_t r = pread_full(fd, head, sizeof head, 0);
    int saved = errno;
    close(fd);
    if (r < 0) return sl_error_set(err, SL_EIO, "cannot read '%s': %s", path, strerror(saved));
    const char *other = sl_codec_sniff_name(head, (size_t)r);
    if (other) return unsupported_format(path, other, err);
    *out = sl_codec_detect(head, (size_t)r);
    return 0;
}

int sl_file_size(const char *path, uint64_t *size, sl_error *err) {
    struct stat st;
    if (stat(path, &st) != 0) return sl_error_set(err, SL_EIO, "cannot stat '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return sl_error_set(err, SL_EINVAL, "'%s' is not a regular file", path);
    *size = (uint64_t)st.st_size;
    return 0;
}

int sl_read_whole_file(const char *path, size_t max, char **data, size_t *len, sl_error *err) {
    *data = NULL;
    *len = 0;
    sl_instream *s;
    int rc = sl_instream_open(path, 0, UINT64_MAX, &s, err);
    if (rc) return rc;
    /* Read up to max + 1 bytes so that "exactly max" and "more" differ. */
    if (max > SIZE_MAX / 4) max = SIZE_MAX / 4;
    size_t limit = max + 1, used = 0, got;
    size_t cap = limit < 64 * 1024 ? limit : 64 * 1024;
    char *buf = sl_xmalloc(cap + 1);
    for (;;) {
        if (used == cap) {
            if (cap == limit) break;
            cap = cap < limit / 2 ? cap * 2 : limit;
            buf = sl_xrealloc(buf, cap + 1);
        }
        rc = sl_instream_read(s, buf + used, cap - used, &got, err);
        if (rc) goto fail;
        if (got == 0) break;
        used += got;
    }
    if (used > max) {
        rc = sl_error_set(err, SL_ELIMIT, "'%s' is larger than the limit of %zu bytes", path, max);
        goto fail;
    }
    sl_instream_close(s);
    buf[used] = 0;
    *data = buf;
    *len = used;
    return 0;
fail:
    sl_instream_close(s);
    free(buf);
    return rc;
}

/* ---- Output -------------------------------------------------------------- */

struct sl_outstream {
    int fd;                /* -1 when writing to wr */
    sl_store_writer *wr;   /* object-store writer (not owned), or NULL */
    char *path;
    sl_codec codec;
    bool failed;           /* a write failed; only discard/close remain */
    uint64_t bytes_in, bytes_out;
    unsigned char *block;  /* none: write buffer; gzip: member input */
    size_t block_len;
    unsigned char *out;    /* gzip/zstd: compressed output */
    size_t out_cap, out_len;
    struct libdeflate_compressor *deflater;
    ZSTD_CStream *zs;
    bz_stream bz;
    bool bz_ready;
};

static int out_write(sl_outstream *s, const void *data, size_t n, sl_error *err) {
    if (n == 0) return 0;
    if (s->wr) {
        int rc = sl_store_write(s->wr, data, n, err);
        if (rc) {
            s->failed = true;
            return rc;
        }
    } else if (write_full(s->fd, data, n) != 0) {
        s->failed = true;
        return sl_error_set(err, SL_EIO, "cannot write '%s': %s", s->path, strerror(errno));
    }
    s->bytes_out += n;
    return 0;
}

static int check_level(sl_codec codec, int *level, sl_error *err) {
    if (*level == -1) {
        *level = sl_codec_default_level(codec);
        return 0;
    }
    if (codec == SL_CODEC_GZIP && (*level < 0 || *level > 12))
        return sl_error_set(err, SL_EINVAL, "gzip compression level must be 0..12, not %d", *level);
    if (codec == SL_CODEC_BZIP2 && (*level < 1 || *level > 9))
        return sl_error_set(err, SL_EINVAL, "bzip2 compression level must be 1..9, not %d", *level);
    if (codec == SL_CODEC_ZSTD && (*level < 1 || *level > ZSTD_maxCLevel()))
        return sl_error_set(err, SL_EINVAL, "zstd compression level must be 1..%d, not %d", ZSTD_maxCLevel(),
                            *level);
    return 0;
}

static int outstream_new(const char *name, int fd, sl_store_writer *wr, sl_codec codec, int level,
                         sl_outstream **out, sl_error *err) {
    sl_outstream *s = sl_xcalloc(1, sizeof *s);
    s->fd = fd;
    s->wr = wr;
    s->path = sl_xstrdup(name);
    s->codec = codec;
    if (codec != SL_CODEC_ZSTD) s->block = sl_xmalloc(IO_BLOCK);
    if (codec == SL_CODEC_GZIP) {
        /* The level was checked, so only allocation can fail here. */
        s->deflater = libdeflate_alloc_compressor(level);
        if (!s->deflater) goto no_memory;
        s->out_cap = libdeflate_gzip_compress_bound(s->deflater, IO_BLOCK);
        s->out = sl_xmalloc(s->out_cap);
    } else if (codec == SL_CODEC_ZSTD) {
        s->zs = ZSTD_createCStream();
        if (!s->zs) goto no_memory;
        ZSTD_CCtx_setParameter(s->zs, ZSTD_c_compressionLevel, level);
        ZSTD_CCtx_setParameter(s->zs, ZSTD_c_checksumFlag, 1);
        s->out_cap = IO_BLOCK;
        s->out = sl_xmalloc(s->out_cap);
    } else if (codec == SL_CODEC_BZIP2) {
        if (BZ2_bzCompressInit(&s->bz, level, 0, 0) != BZ_OK) goto no_memory;
        s->bz_ready = true;
        s->out_cap = IO_BLOCK;
        s->out = sl_xmalloc(s->out_cap);
    }
    *out = s;
    return 0;
no_memory:
    sl_outstream_discard(s);
    return sl_error_set(err, SL_ENOMEM, "cannot allocate a %s compressor", sl_codec_name(codec));
}

static int check_codec(sl_codec codec, int *level, sl_error *err) {
    if (codec != SL_CODEC_NONE && codec != SL_CODEC_GZIP && codec != SL_CODEC_ZSTD && codec != SL_CODEC_BZIP2)
        return sl_error_set(err, SL_EINVAL, "unknown compression codec %d", (int)codec);
    return check_level(codec, level, err);
}

int sl_outstream_open(const char *path, sl_codec codec, int level, sl_outstream **out, sl_error *err) {
    *out = NULL;
    int rc = check_codec(codec, &level, err);
    if (rc) return rc;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return sl_error_set(err, SL_EIO, "cannot create '%s': %s", path, strerror(errno));
    return outstream_new(path, fd, NULL, codec, level, out, err);
}

int sl_outstream_open_writer(const char *name, sl_store_writer *wr, sl_codec codec, int level, sl_outstream **out,
                             sl_error *err) {
    *out = NULL;
    int rc = check_codec(codec, &level, err);
    if (rc) return rc;
    return outstream_new(name, -1, wr, codec, level, out, err);
}

/* Compress the collected block into one gzip member and write it. */
static int gzip_flush_block(sl_outstream *s, sl_error *err) {
    size_t n = libdeflate_gzip_compress(s->deflater, s->block, s->block_len, s->out, s->out_cap);
    if (n == 0) {
        s->failed = true;
        return sl_error_set(err, SL_EINTERNAL, "gzip compression of '%s' failed", s->path);
    }
    s->block_len = 0;
    return out_write(s, s->out, n, err);
}

static int write_buffered(sl_outstream *s, const unsigned char *p, size_t len, sl_error *err) {
    while (len > 0) {
        if (s->codec == SL_CODEC_NONE && s->block_len == 0 && len >= IO_BLOCK) {
            /* Big write with an empty buffer: no point copying it. */
            size_t n = len - len % IO_BLOCK;
            int rc = out_write(s, p, n, err);
            if (rc) return rc;
            p += n;
            len -= n;
            continue;
        }
        size_t n = IO_BLOCK - s->block_len;
        if (n > len) n = len;
        memcpy(s->block + s->block_len, p, n);
        s->block_len += n;
        p += n;
        len -= n;
        if (s->block_len == IO_BLOCK) {
            int rc;
            if (s->codec == SL_CODEC_GZIP) {
                rc = gzip_flush_block(s, err);
            } else {
                rc = out_write(s, s->block, s->block_len, err);
                s->block_len = 0;
            }
            if (rc) return rc;
        }
    }
    return 0;
}

/* Feed input (possibly empty) to zstd with the given directive, writing
 * the output buffer whenever it fills. With ZSTD_e_end, loops until the
 * frame is complete. */
static int zstd_feed(sl_outstream *s, const void *data, size_t len, ZSTD_EndDirective mode, sl_error *err) {
    ZSTD_inBuffer in = {data, len, 0};
    for (;;) {
        ZSTD_outBuffer zout = {s->out, s->out_cap, s->out_len};
        size_t left = ZSTD_compressStream2(s->zs, &zout, &in, mode);
        s->out_len = zout.pos;
        if (ZSTD_isError(left)) {
            s->failed = true;
            return sl_error_set(err, SL_EINTERNAL, "zstd compression of '%s' failed: %s", s->path,
                                ZSTD_getErrorName(left));
        }
        if (s->out_len == s->out_cap) {
            int rc = out_write(s, s->out, s->out_len, err);
            s->out_len = 0;
            if (rc) return rc;
        }
        bool finished = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
        if (finished) return 0;
    }
}

/* Feed input to bzip2 (action BZ_RUN, or BZ_FINISH until the stream ends),
 * writing the output buffer whenever it fills. */
static int bzip2_feed(sl_outstream *s, const void *data, size_t len, int action, sl_error *err) {
    s->bz.next_in = (char *)data;
    s->bz.avail_in = (unsigned)len;
    for (;;) {
        s->bz.next_out = (char *)s->out + s->out_len;
        s->bz.avail_out = (unsigned)(s->out_cap - s->out_len);
        int br = BZ2_bzCompress(&s->bz, action);
        s->out_len = s->out_cap - s->bz.avail_out;
        if (br < 0) {
            s->failed = true;
            return sl_error_set(err, SL_EINTERNAL, "bzip2 compression of '%s' failed (%d)", s->path, br);
        }
        if (s->out_len == s->out_cap || (action == BZ_FINISH && br == BZ_STREAM_END)) {
            int rc = out_write(s, s->out, s->out_len, err);
            s->out_len = 0;
            if (rc) return rc;
        }
        if (action == BZ_FINISH ? br == BZ_STREAM_END : s->bz.avail_in == 0) return 0;
    }
}

int sl_outstream_write(sl_outstream *s, const void *data, size_t len, sl_error *err) {
    if (s->failed) return sl_error_set(err, SL_EIO, "write to '%s' after an earlier failure", s->path);
    s->bytes_in += len;
    if (s->codec == SL_CODEC_ZSTD) return zstd_feed(s, data, len, ZSTD_e_continue, err);
    if (s->codec == SL_CODEC_BZIP2) {
        const char *p = data;
        while (len) { /* bzip2 counts in unsigned int */
            size_t n = len > (1u << 30) ? (1u << 30) : len;
            int rc = bzip2_feed(s, p, n, BZ_RUN, err);
            if (rc) return rc;
            p += n;
            len -= n;
        }
        return 0;
    }
    return write_buffered(s, data, len, err);
}

static int finish(sl_outstream *s, sl_error *err) {
    if (s->failed) return sl_error_set(err, SL_EIO, "'%s' was not completely written", s->path);
    int rc = 0;
    switch (s->codec) {
    case SL_CODEC_GZIP:
        /* An empty stream still gets one (empty) member: some gzip readers
         * reject a zero-byte file. */
        if (s->block_len > 0 || s->bytes_out == 0) rc = gzip_flush_block(s, err);
        break;
    case SL_CODEC_ZSTD:
        rc = zstd_feed(s, NULL, 0, ZSTD_e_end, err);
        if (!rc) rc = out_write(s, s->out, s->out_len, err);
        s->out_len = 0;
        break;
    case SL_CODEC_BZIP2: rc = bzip2_feed(s, NULL, 0, BZ_FINISH, err); break;
    default:
        rc = out_write(s, s->block, s->block_len, err);
        s->block_len = 0;
        break;
    }
    return rc;
}

static void outstream_free(sl_outstream *s) {
    libdeflate_free_compressor(s->deflater);
    if (s->bz_ready) BZ2_bzCompressEnd(&s->bz);
    ZSTD_freeCStream(s->zs);
    free(s->block);
    free(s->out);
    free(s->path);
    free(s);
}

int sl_outstream_close(sl_outstream *s, bool sync, sl_error *err) {
    int rc = finish(s, err);
    if (s->fd >= 0) {
        if (!rc && sync && fsync(s->fd) != 0)
            rc = sl_error_set(err, SL_EIO, "cannot sync '%s': %s", s->path, strerror(errno));
        /* close() can report a delayed write error (NFS, quota). */
        if (close(s->fd) != 0 && !rc)
            rc = sl_error_set(err, SL_EIO, "cannot close '%s': %s", s->path, strerror(errno));
    }
    outstream_free(s);
    return rc;
}

void sl_outstream_discard(sl_outstream *s) {
    if (!s) return;
    if (s->fd >= 0) {
        close(s->fd);
        unlink(s->path);
    }
    outstream_free(s);
}

uint64_t sl_outstream_bytes_in(const sl_outstream *s) { return s->bytes_in; }

uint64_t sl_outstream_bytes_out(const sl_outstream *s) { return s->bytes_out; }

const char *sl_outstream_path(const sl_outstream *s) { return s->path; }
