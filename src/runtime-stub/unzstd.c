/*
 * bale-unzstd: the runtime decoder embedded in archives that carry their own Node.js.
 *
 *   bale-unzstd ARCHIVE OFFSET LENGTH SHA256 OUTPUT
 *
 * Reads LENGTH bytes of ARCHIVE at OFFSET (the runtime segment: one zstd frame),
 * checks their SHA-256 against SHA256 (lower-case hex, pinned by the archive's
 * prelude), decodes them and writes the result to OUTPUT (created, mode 0755,
 * fsynced). Exit 0 when all of that held; otherwise 1, a one-line message on
 * stderr and no OUTPUT. Nothing is written before the hash has been checked, so
 * a tampered segment never becomes a file that could run.
 *
 * It is a static, freestanding program (zstd's decompressor, compiled from the
 * zstd sources of the zstd-napi package, plus the dozen system calls it needs in
 * unzstd-sys.h: no libc) so it runs on any Linux of its architecture, glibc or
 * musl, with nothing installed, and is ~100 KB. The sh prelude checks this program's
 * own SHA-256 with sha256sum before it runs it.
 *
 * Memory: input and output are both mapped (no window buffer, no copy): about
 * the size of the segment plus the size of the runtime, as page cache.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stddef.h>
#include <stdint.h>
#include "zstd.h"
#include "unzstd-sys.h"

static const char *out_path = NULL;

static size_t str_len(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static void say(const char *a, const char *b) {
  const char *parts[4] = {"bale-unzstd: ", a, b ? b : "", "\n"};
  for (int i = 0; i < 4; i++) {
    size_t n = str_len(parts[i]);
    while (n > 0) {
      long w = sys_write(2, parts[i], n);
      if (w <= 0) return;
      parts[i] += w;
      n -= (size_t)w;
    }
  }
}

static void die(const char *a, const char *b) {
  if (out_path) sys_unlink(out_path);
  say(a, b);
  sys_exit(1);
}

/* ---- SHA-256 (FIPS 180-4) ---- */

typedef struct {
  uint32_t h[8];
  uint64_t bytes;
  unsigned char block[64];
  size_t used;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256_init(sha256_ctx *c) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, iv, sizeof iv);
  c->bytes = 0;
  c->used = 0;
}

static void sha256_update(sha256_ctx *c, const unsigned char *p, size_t n) {
  c->bytes += n;
  if (c->used > 0) {
    size_t take = 64 - c->used < n ? 64 - c->used : n;
    memcpy(c->block + c->used, p, take);
    c->used += take, p += take, n -= take;
    if (c->used < 64) return;
    sha256_block(c->h, c->block);
    c->used = 0;
  }
  for (; n >= 64; p += 64, n -= 64) sha256_block(c->h, p);
  memcpy(c->block, p, n);
  c->used = n;
}

static void sha256_hex(sha256_ctx *c, char out[65]) {
  uint64_t bits = c->bytes * 8;
  unsigned char pad = 0x80, zero = 0, len[8];
  sha256_update(c, &pad, 1);
  while (c->used != 56) sha256_update(c, &zero, 1);
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha256_update(c, len, 8);
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++) {
      unsigned char byte = (unsigned char)(c->h[i] >> (24 - 8 * j));
      out[8 * i + 2 * j] = hex[byte >> 4];
      out[8 * i + 2 * j + 1] = hex[byte & 15];
    }
  out[64] = 0;
}

/* ---- main ---- */

static int parse_u64(const char *s, uint64_t *out) {
  uint64_t v = 0;
  if (!*s) return 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return 1;
}

int main(int argc, char **argv) {
  uint64_t offset, length;
  if (argc != 6 || !parse_u64(argv[2], &offset) || !parse_u64(argv[3], &length) || str_len(argv[4]) != 64 || length == 0)
    die("usage: bale-unzstd ARCHIVE OFFSET LENGTH SHA256 OUTPUT (this program is run by a bale archive's prelude)", NULL);
  const char *archive = argv[1], *want = argv[4];

  long in = sys_open(archive, SYS_O_RDONLY, 0);
  if (in < 0) die("cannot open the archive: ", sys_strerror(in));
  long end = sys_lseek(in, 0, SYS_SEEK_END);
  if (end < 0 || (uint64_t)end < offset + length) die("the archive is shorter than its runtime segment (truncated): ", archive);
  uint64_t skew = offset % 4096;
  long m = sys_mmap(NULL, length + skew, SYS_PROT_READ, SYS_MAP_PRIVATE, in, offset - skew);
  if (m < 0 && m > -4096) die("cannot map the archive: ", sys_strerror(m));
  const unsigned char *src = (const unsigned char *)m + skew;

  sha256_ctx sha;
  char got[65];
  sha256_init(&sha);
  sha256_update(&sha, src, length);
  sha256_hex(&sha, got);
  for (int i = 0; i < 64; i++)
    if (got[i] != want[i]) die("the runtime segment does not match the hash its prelude pins (tampered or damaged): ", archive);

  unsigned long long size = ZSTD_getFrameContentSize(src, length);
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size == 0 || ZSTD_findFrameCompressedSize(src, length) != length)
    die("the runtime segment is not one zstd frame with its size (damaged): ", archive);

  long out = sys_open(argv[5], SYS_O_RDWR | SYS_O_CREAT | SYS_O_EXCL, 0755);
  if (out < 0) die("cannot create the runtime file: ", sys_strerror(out));
  out_path = argv[5];
  /* Reserve the blocks first: a full disk is then a clean error here, not SIGBUS on a mapped write. */
  long r = sys_fallocate(out, 0, 0, size);
  if (r < 0 && r != -SYS_EOPNOTSUPP) die("cannot write the runtime (no room in the cache?): ", sys_strerror(r));
  r = sys_ftruncate(out, size);
  if (r < 0) die("cannot write the runtime (no room in the cache?): ", sys_strerror(r));
  long d = sys_mmap(NULL, size, SYS_PROT_READ | SYS_PROT_WRITE, SYS_MAP_SHARED, out, 0);
  if (d < 0 && d > -4096) die("cannot map the runtime file: ", sys_strerror(d));

  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  if (!dctx) die("out of memory", NULL);
  ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 31);
  size_t n = ZSTD_decompressDCtx(dctx, (void *)d, size, src, length);
  if (ZSTD_isError(n)) die("the runtime segment does not decode: ", ZSTD_getErrorName(n));
  if (n != size) die("the runtime segment decodes to the wrong size (damaged)", NULL);
  r = sys_msync((void *)d, size, SYS_MS_SYNC);
  if (r == 0) r = sys_fsync(out);
  if (r == 0) r = sys_close(out);
  if (r < 0) die("cannot write the runtime (no room in the cache?): ", sys_strerror(r));
  return 0;
}
