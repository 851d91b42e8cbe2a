/* tcpsim/error.h - the one error enum of libtcpsim.
 * Errors are returned, never signalled through errno. The X-macro yields both
 * the enumerators and the strings returned by tcpsim_strerror(). */
#ifndef TCPSIM_ERROR_H
#define TCPSIM_ERROR_H

#define TCPSIM_ERRORS(X)                                                                                               \
    X(OK, "success")                                                                                                   \
    X(ERR_TRUNCATED, "input ends before the structure does")                                                           \
    X(ERR_MALFORMED, "malformed input")                                                                                \
    X(ERR_UNSUPPORTED, "unsupported feature")                                                                          \
    X(ERR_NOMEM, "out of memory")                                                                                      \
    X(ERR_NOSPACE, "output buffer too small")                                                                          \
    X(ERR_INVALID, "invalid argument")                                                                                 \
    X(ERR_STATE, "operation not valid in the current state")                                                           \
    X(ERR_EXISTS, "connection already exists")                                                                         \
    X(ERR_CLOSING, "connection closing")                                                                               \
    X(ERR_NOTCONN, "connection does not exist")                                                                        \
    X(ERR_REFUSED, "connection refused")                                                                               \
    X(ERR_RESET, "connection reset")                                                                                   \
    X(ERR_TIMEDOUT, "connection timed out")                                                                            \
    X(ERR_WOULDBLOCK, "operation would block")                                                                         \
    X(ERR_IO, "input/output error")                                                                                    \
    X(ERR_PARSE, "syntax error")                                                                                       \
    X(ERR_NOTFOUND, "not found")

enum tcpsim_err {
#define TCPSIM_ERR_ENUM_(name, msg) TCPSIM_##name,
    TCPSIM_ERRORS(TCPSIM_ERR_ENUM_)
#undef TCPSIM_ERR_ENUM_
};

/* Printable message for an error code; never NULL. */
const char *tcpsim_strerror(enum tcpsim_err err);
/* Enumerator name without prefix ("ERR_TRUNCATED"); never NULL. */
const char *tcpsim_errname(enum tcpsim_err err);

#if defined(__GNUC__)
#define TCPSIM_WUR __attribute__((warn_unused_result))
#else
#define TCPSIM_WUR
#endif

#endif
