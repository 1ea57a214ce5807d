#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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
int hugealign_spawn_close_from(posix_spawn_file_actions_t *actions, int from)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
#else
    (void)actions; (void)from;
    return 0;
#endif
}
