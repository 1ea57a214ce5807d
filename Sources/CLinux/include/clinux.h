// Linux calls Swift's Glibc module does not expose.
#pragma once
#include <stddef.h>
#include <sys/types.h>

/// personality(2); ADDR_NO_RANDOMIZE is 0x0040000.
int hugealign_personality(unsigned long persona);
/// memfd_create(2); -1 and errno on failure.
int hugealign_memfd_create(const char *name);
/// The current errno.
int hugealign_errno(void);
/// Makes stdout line-buffered, so results reach a pipe or file line by line.
void hugealign_line_buffered_stdout(void);
/// prctl(PR_SET_PDEATHSIG, sig): the calling process gets `sig` when its parent dies.
int hugealign_die_with_parent(int sig);
/// unshare(CLONE_NEWNS): a private mount namespace for the calling process; -1 and errno on failure.
int hugealign_unshare_mounts(void);
/// pipe2(fds, O_CLOEXEC): a pipe no other child inherits; -1 and errno on failure.
int hugealign_pipe_cloexec(int fds[2]);
/// posix_spawn of `path` with `argv`, for the children started often or stopped as a group (the
/// compiler of the concrete engines, the solver workers). Standard input, output and error are `in`, `out`, `err`: a
/// descriptor to put there, -1 to leave this process's, -2 for /dev/null. Every other descriptor is
/// closed in the child (glibc 2.34+), so that it holds none of this process's pipes (a worker
/// would not see its end of file). `own_group`: the child leads a process group of its own (so
/// that killing the group reaches what it starts) with SIGTERM and SIGINT at their defaults and no
/// signal blocked. 0 and the pid, or an errno.
int hugealign_spawn(pid_t *pid, const char *path, char *const argv[], int in, int out, int err, int own_group);
