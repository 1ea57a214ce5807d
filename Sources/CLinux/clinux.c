#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include "clinux.h"

int hugealign_personality(unsigned long persona) { return personality(persona); }
int hugealign_memfd_create(const char *name) { return memfd_create(name, 0); }
int hugealign_errno(void) { return errno; }
