#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <stdio.h>
#include "clinux.h"

int hugealign_personality(unsigned long persona) { return personality(persona); }
int hugealign_memfd_create(const char *name) { return memfd_create(name, 0); }
int hugealign_errno(void) { return errno; }
void hugealign_line_buffered_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
int hugealign_die_with_parent(int sig) { return prctl(PR_SET_PDEATHSIG, sig); }
int hugealign_unshare_mounts(void) { return unshare(CLONE_NEWNS); }
int hugealign_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
int hugealign_spawn(pid_t *pid, const char *path, char *const argv[], int in, int out, int err, int own_group)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    const int slots[3] = { in, out, err };
    int rc;

    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    for (int slot = 0; slot < 3; slot++) {
        if (slots[slot] == -2)
            posix_spawn_file_actions_addopen(&actions, slot, "/dev/null", slot ? O_WRONLY : O_RDONLY, 0);
        else if (slots[slot] >= 0)
            posix_spawn_file_actions_adddup2(&actions, slots[slot], slot);
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    if (own_group) {
        sigset_t defaults, none;
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGTERM);
        sigaddset(&defaults, SIGINT);
        sigemptyset(&none);
        posix_spawnattr_setsigdefault(&attributes, &defaults);
        posix_spawnattr_setsigmask(&attributes, &none);
        posix_spawnattr_setpgroup(&attributes, 0);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    }
    rc = posix_spawn(pid, path, &actions, &attributes, argv, environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}
