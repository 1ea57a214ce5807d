// Linux calls Swift's Glibc module does not expose.
#pragma once
#include <stddef.h>
#include <spawn.h>

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
/// Adds "close every descriptor from `from` up" to a spawn's actions (glibc 2.34+; else nothing),
/// so that a child holds none of this process's pipes (a worker's would not see its end of file).
int hugealign_spawn_close_from(posix_spawn_file_actions_t *actions, int from);
