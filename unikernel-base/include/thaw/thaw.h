/* Thaw's guest API for functions. A function needs none of it: stdin, stdout, stderr and
 * the exit status are the interface. This header adds what plain C has no word for. */
#ifndef THAW_THAW_H
#define THAW_THAW_H

/* Appends one line to the invocation's log (kept with the invocation record, apart from
 * stderr). No newline needed. */
void thaw_log(const char *line);

/* Marks the snapshot point: everything before it ran once, at deploy; every invocation
 * starts by returning from this call, with the request ready on stdin, the current clock
 * and fresh random bytes. It takes effect for functions whose manifest says
 * "snapshot": "ready" (and for the Python and Lua runtimes, which call it after importing
 * the handler); there, clock and getrandom reads before it return deploy-time values and
 * output written before it is discarded once it is reached. Elsewhere the snapshot point
 * is the first contact with the world, and this call is one such contact.
 *
 * Whatever init seeded from the clock or getrandom is shared by every invocation: reseed
 * it after this call returns. Calling it again during an invocation does nothing. */
void thaw_ready(void);

#endif
