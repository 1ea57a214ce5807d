// Linux calls Swift's Glibc module does not expose.
#pragma once
#include <stddef.h>

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
