/* compat: what makes sindri-build a samu/ninja citizen: -t ninja, -t run, -t query, -t commands and NINJA_STATUS. */
#ifndef SB_COMPAT_H
#define SB_COMPAT_H

#include "tool.h"

/* compat_tools (tool.h): ninja, run, query and commands, as rows of the command line's tool table. */
/* compat_status_env: when SINDRI_STATUS is unset and NINJA_STATUS is set, use NINJA_STATUS (samu does the same). */
void compat_status_env(void);

#endif
