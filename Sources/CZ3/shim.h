// The system Z3 (Debian: libz3-dev) through its C API.
#include <z3.h>
