/*
 * agent_opts.h - this project's choices for the core's compile-time options.
 * Every option, its meaning and its default are in agent/agent_opt.h; set
 * one here (or with -D) to change it. A board may pass its own file with
 * -DAGENT_OPTS_FILE='"file.h"'.
 */
#ifndef AGENT_OPTS_H
#define AGENT_OPTS_H

/* The defaults suit every board so far. */

#endif
