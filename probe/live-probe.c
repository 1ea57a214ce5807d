// The guest side of `hugealign live --qemu`: the /init of a small initramfs, booted under qemu with
// a Debian kernel. It makes the mmap calls the host asks for and answers with what the kernel did;
// the host generates the requests, predicts them with the models and compares (Sources/hugealign/
// LiveQemu.swift). Kept dumb on purpose: one request generator (the host's), one semantics.
//
// Built static by the host (cc / aarch64-linux-gnu-gcc -static -O2). The data channel is the
// virtio console /dev/hvc0 in raw mode; the kernel's own console is a serial port the host keeps
// in a file. Protocol (one line each way, numbers in hex):
//   host: S                      guest: @S page uid stack_rlimit personality raised_hint
//   host: F path                 guest: @F <contents in hex>   or  @F -
//   host: M kind hint len flags pgoff mount
//                                guest: @M result  then /proc/self/maps as it was before the call, then @E
//   host: U addr len             guest: @U rc
//   host: H n                    guest: @H <huge pages now reserved>
//   host: Q                      guest powers the machine off
// kind: a private anonymous, s shared anonymous, m memfd, h MAP_HUGETLB, t tmpfs file (mount 0-3),
// g a file on hugetlbfs (2 MiB pages).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

static int data = -1;
static char maps[1 << 20];
static char line[4096];
static char out[1 << 16];

static const char *huge_options[4] = {"huge=never", "huge=always", "huge=within_size", "huge=advise"};
static int tmpfs_fd[4] = {-1, -1, -1, -1};
static int memfd = -1;
static int hugetlbfs_fd = -1;

static void put(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(data, s, n);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

static void say(const char *s) { put(s, strlen(s)); }

// One line from the host, without its newline; 0 at end of input.
static int get_line(void)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = read(data, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        if (c == '\r')
            continue;
        if (c == '\n') {
            line[n] = 0;
            return 1;
        }
        if (n < sizeof(line) - 1)
            line[n++] = c;
    }
}

// /proc/self/maps into `maps`, read with no allocation in between (the layout the call sees).
static size_t read_maps(void)
{
    int fd = open("/proc/self/maps", O_RDONLY);
    size_t total = 0;
    if (fd < 0)
        return 0;
    for (;;) {
        ssize_t r = read(fd, maps + total, sizeof(maps) - 1 - total);
        if (r <= 0)
            break;
        total += (size_t)r;
    }
    close(fd);
    maps[total] = 0;
    return total;
}

static void setup(void)
{
    mkdir("/proc", 0755);
    mkdir("/sys", 0755);
    mkdir("/dev", 0755);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mkdir("/t", 0755);
    for (int i = 0; i < 4; i++) {
        char dir[32], file[48];
        snprintf(dir, sizeof dir, "/t/%d", i);
        mkdir(dir, 0755);
        if (mount("tmpfs", dir, "tmpfs", 0, huge_options[i]) != 0)
            continue;
        snprintf(file, sizeof file, "%s/data", dir);
        tmpfs_fd[i] = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (tmpfs_fd[i] >= 0)
            ftruncate(tmpfs_fd[i], 1L << 30);
    }
    mkdir("/h", 0755);
    if (mount("hugetlbfs", "/h", "hugetlbfs", 0, "pagesize=2M") == 0) {
        hugetlbfs_fd = open("/h/data", O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (hugetlbfs_fd >= 0)
            ftruncate(hugetlbfs_fd, 1L << 30);
    }
    memfd = (int)syscall(SYS_memfd_create, "hugealign-live", 0);
    if (memfd >= 0)
        ftruncate(memfd, 1L << 30);
}

static void hex_file(const char *path)
{
    char buf[8192];
    int fd = open(path, O_RDONLY);
    size_t n = 0;
    if (fd < 0) {
        say("@F -\n");
        return;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof(buf) - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    say("@F ");
    for (size_t i = 0; i < n; i++) {
        char h[3];
        snprintf(h, sizeof h, "%02x", (unsigned char)buf[i]);
        put(h, 2);
    }
    say("\n");
}

// Where a one-page hint of PAGE_SIZE lands: mmap_min_addr as this kernel enforces it.
static unsigned long raised_hint(void)
{
    long page = sysconf(_SC_PAGESIZE);
    void *p = mmap((void *)page, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long r;
    if (p == MAP_FAILED)
        return 0;
    r = (unsigned long)p;
    munmap(p, page);
    return r <= (16UL << 20) ? r : 0;
}

static void do_mmap(void)
{
    char kind;
    unsigned long hint, len, flags, pgoff, mount_index, result;
    int fd = -1;
    void *p;
    if (sscanf(line + 1, " %c %lx %lx %lx %lx %lx", &kind, &hint, &len, &flags, &pgoff, &mount_index) != 6) {
        say("@M bad\n@E\n");
        return;
    }
    if (kind == 'm')
        fd = memfd;
    else if (kind == 't' && mount_index < 4)
        fd = tmpfs_fd[mount_index];
    else if (kind == 'g')
        fd = hugetlbfs_fd;
    size_t n = read_maps();
    p = mmap((void *)hint, len, PROT_READ, (int)flags, fd, (off_t)(pgoff << 12));
    result = p == MAP_FAILED ? (unsigned long)-errno : (unsigned long)p;
    int k = snprintf(out, sizeof out, "@M %lx\n", result);
    put(out, (size_t)k);
    put(maps, n);
    say("@E\n");
}

int main(int argc, char **argv)
{
    struct termios t;
    int persona = personality(0xffffffff);
    (void)argc;
    // Without address randomisation the mmap bases follow from the stack rlimit (as `live` runs
    // its child on the host); they are fixed at exec, so set the persona and exec again.
    // The host may ask for the legacy layout (`live --qemu --guest-layout`) on the kernel command
    // line: the personality flag, or an unlimited stack rlimit (legacy on arm64, not on x86).
    if (persona != -1 && !(persona & ADDR_NO_RANDOMIZE)) {
        char cmdline[4096] = "";
        int fd;
        mkdir("/proc", 0755);
        mount("proc", "/proc", "proc", 0, NULL);
        fd = open("/proc/cmdline", O_RDONLY);
        if (fd >= 0) {
            ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
            cmdline[n > 0 ? n : 0] = 0;
            close(fd);
        }
        if (strstr(cmdline, "hugealign.layout=legacy"))
            persona |= ADDR_COMPAT_LAYOUT;
        if (strstr(cmdline, "hugealign.layout=unlimited-stack")) {
            struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
            setrlimit(RLIMIT_STACK, &rl);
        }
        personality((unsigned long)persona | ADDR_NO_RANDOMIZE);
        execv("/init", argv);
    }
    setup();
    // The kernel console may be the only terminal; the data channel is the virtio console.
    for (int tries = 0; tries < 100 && data < 0; tries++) {
        data = open("/dev/hvc0", O_RDWR | O_NOCTTY);
        if (data < 0)
            usleep(50000);
    }
    if (data < 0) {
        printf("hugealign probe: no /dev/hvc0 (virtio console)\n");
        reboot(RB_POWER_OFF);
        return 1;
    }
    if (tcgetattr(data, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(data, TCSANOW, &t);
    }
    say("@READY\n");
    while (get_line()) {
        switch (line[0]) {
        case 'S': {
            struct rlimit rl;
            getrlimit(RLIMIT_STACK, &rl);
            int k = snprintf(out, sizeof out, "@S %lx %x %lx %lx %lx\n", (unsigned long)sysconf(_SC_PAGESIZE), (unsigned)getuid(),
                             (unsigned long)rl.rlim_cur, (unsigned long)(unsigned int)personality(0xffffffff), raised_hint());
            put(out, (size_t)k);
            break;
        }
        case 'F':
            hex_file(line + 2);
            break;
        case 'M':
            do_mmap();
            break;
        case 'U': {
            unsigned long addr, len;
            int rc = sscanf(line + 1, " %lx %lx", &addr, &len) == 2 ? munmap((void *)addr, len) : -1;
            int k = snprintf(out, sizeof out, "@U %d\n", rc);
            put(out, (size_t)k);
            break;
        }
        case 'H': {
            unsigned long n = strtoul(line + 2, NULL, 16);
            char buf[32];
            int fd = open("/proc/sys/vm/nr_hugepages", O_RDWR);
            if (fd >= 0) {
                int k = snprintf(buf, sizeof buf, "%lu\n", n);
                write(fd, buf, (size_t)k);
                lseek(fd, 0, SEEK_SET);
                k = (int)read(fd, buf, sizeof buf - 1);
                buf[k > 0 ? k : 0] = 0;
                close(fd);
            } else {
                strcpy(buf, "0");
            }
            int k = snprintf(out, sizeof out, "@H %lx\n", strtoul(buf, NULL, 10));
            put(out, (size_t)k);
            break;
        }
        case 'Q':
            sync();
            reboot(RB_POWER_OFF);
            return 0;
        default:
            say("@? unknown command\n");
        }
    }
    reboot(RB_POWER_OFF);
    return 0;
}
