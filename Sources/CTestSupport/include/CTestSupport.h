#ifndef FAXD_CTESTSUPPORT_H
#define FAXD_CTESTSUPPORT_H

#include <spawn.h>

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module
/// does not declare: the spawned child closes every descriptor from `from` up before it runs.
int faxd_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif
