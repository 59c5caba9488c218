/* Thaw's guest API for functions. A function needs none of it: stdin, stdout, stderr and
 * the exit status are the interface. This header adds what plain C has no word for. */
#ifndef THAW_THAW_H
#define THAW_THAW_H

/* Appends one line to the invocation's log (kept with the invocation record, apart from
 * stderr). No newline needed. */
void thaw_log(const char *line);

#endif
