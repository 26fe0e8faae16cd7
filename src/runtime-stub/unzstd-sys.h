/*
 * The few Linux system calls bale-unzstd needs, and the libc functions zstd's
 * decompressor calls (memcpy, memmove, memset, malloc, calloc, free), for
 * x86-64 and aarch64: the decoder is built with -nostdlib -ffreestanding and
 * links nothing else. Included by unzstd.c only (one translation unit).
 *
 * System calls return the kernel's result: >= 0, or -errno.
 */
#ifndef BALE_UNZSTD_SYS_H
#define BALE_UNZSTD_SYS_H
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
enum { NR_write = 1, NR_close = 3, NR_lseek = 8, NR_mmap = 9, NR_msync = 26, NR_fsync = 74, NR_ftruncate = 77, NR_exit_group = 231,
       NR_openat = 257, NR_unlinkat = 263, NR_fallocate = 285 };
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return ret;
}
/* The kernel starts us with argc at (%rsp), then argv; align the stack and call the C entry. */
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call bale_start\n hlt\n");
#elif defined(__aarch64__)
enum { NR_unlinkat = 35, NR_ftruncate = 46, NR_fallocate = 47, NR_openat = 56, NR_close = 57, NR_lseek = 62, NR_write = 64,
       NR_fsync = 82, NR_exit_group = 94, NR_mmap = 222, NR_msync = 227 };
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x30, #0\n mov x0, sp\n and sp, x0, #-16\n bl bale_start\n brk #0\n");
#else
#error "bale-unzstd supports x86-64 and aarch64"
#endif

#define AT_FDCWD_ (-100)
enum { SYS_O_RDONLY = 0, SYS_O_RDWR = 2, SYS_O_CREAT = 0100, SYS_O_EXCL = 0200, SYS_O_CLOEXEC = 02000000 };
enum { SYS_SEEK_END = 2, SYS_PROT_READ = 1, SYS_PROT_WRITE = 2, SYS_MAP_SHARED = 1, SYS_MAP_PRIVATE = 2, SYS_MAP_ANONYMOUS = 0x20, SYS_MS_SYNC = 4 };
enum { SYS_EOPNOTSUPP = 95 };

static long sys_write(long fd, const void *p, size_t n) { return sys6(NR_write, fd, (long)p, (long)n, 0, 0, 0); }
static long sys_open(const char *path, long flags, long mode) { return sys6(NR_openat, AT_FDCWD_, (long)path, flags | SYS_O_CLOEXEC, mode, 0, 0); }
static long sys_close(long fd) { return sys6(NR_close, fd, 0, 0, 0, 0, 0); }
static long sys_lseek(long fd, long off, long whence) { return sys6(NR_lseek, fd, off, whence, 0, 0, 0); }
static long sys_mmap(void *addr, uint64_t len, long prot, long flags, long fd, uint64_t off) {
  return sys6(NR_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
}
static long sys_msync(void *addr, uint64_t len, long flags) { return sys6(NR_msync, (long)addr, (long)len, flags, 0, 0, 0); }
static long sys_fsync(long fd) { return sys6(NR_fsync, fd, 0, 0, 0, 0, 0); }
static long sys_ftruncate(long fd, uint64_t len) { return sys6(NR_ftruncate, fd, (long)len, 0, 0, 0, 0); }
static long sys_fallocate(long fd, long mode, uint64_t off, uint64_t len) { return sys6(NR_fallocate, fd, mode, (long)off, (long)len, 0, 0); }
static long sys_unlink(const char *path) { return sys6(NR_unlinkat, AT_FDCWD_, (long)path, 0, 0, 0, 0); }
static __attribute__((noreturn)) void sys_exit(int code) {
  for (;;) sys6(NR_exit_group, code, 0, 0, 0, 0, 0);
}

/* The errors a user can act on get words; the rest their number. */
static const char *sys_strerror(long e) {
  switch (-e) {
    case 2: return "no such file or directory";
    case 13: return "permission denied";
    case 17: return "file exists";
    case 12: return "out of memory";
    case 28: return "no space left on device";
    case 30: return "read-only file system";
    case 122: return "disk quota exceeded";
    case 5: return "input/output error";
    default: {
      static char buf[24] = "errno ";
      unsigned long v = (unsigned long)-e;
      char tmp[20];
      int n = 0;
      do tmp[n++] = (char)('0' + v % 10); while ((v /= 10) && n < 19);
      for (int i = 0; i < n; i++) buf[6 + i] = tmp[n - 1 - i];
      buf[6 + n] = 0;
      return buf;
    }
  }
}

/* ---- what zstd needs from libc ---- */
void *memcpy(void *restrict d, const void *restrict s, size_t n) {
  unsigned char *dp = d;
  const unsigned char *sp = s;
  while (n--) *dp++ = *sp++;
  return d;
}
void *memmove(void *d, const void *s, size_t n) {
  unsigned char *dp = d;
  const unsigned char *sp = s;
  if (dp < sp)
    while (n--) *dp++ = *sp++;
  else
    while (n--) dp[n] = sp[n];
  return d;
}
void *memset(void *d, int c, size_t n) {
  unsigned char *dp = d;
  while (n--) *dp++ = (unsigned char)c;
  return d;
}
int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n--; x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}
/* zstd allocates a handful of contexts once: fresh anonymous pages (zeroed), never returned. */
void *malloc(size_t n) {
  long p = sys_mmap(NULL, (n + 4095) & ~(size_t)4095, SYS_PROT_READ | SYS_PROT_WRITE, SYS_MAP_PRIVATE | SYS_MAP_ANONYMOUS, -1, 0);
  return p < 0 && p > -4096 ? NULL : (void *)p;
}
void *calloc(size_t n, size_t size) { return size && n > (size_t)-1 / size ? NULL : malloc(n * size); }
void free(void *p) { (void)p; }

int main(int argc, char **argv);
__attribute__((used)) void bale_start(long *sp) { sys_exit(main((int)sp[0], (char **)(sp + 1))); }
#endif
