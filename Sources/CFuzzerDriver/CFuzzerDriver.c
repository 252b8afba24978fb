// A C target needs one source file; the declaration in include/ is all there is (libFuzzer defines it).
#include "CFuzzerDriver.h"
