/* error.c - strings for the X-macro error enum (include/tcpsim/error.h). */
#include "tcpsim/error.h"

#include <stddef.h>

static const char *const messages[] = {
#define TCPSIM_ERR_MSG_(name, msg) msg,
    TCPSIM_ERRORS(TCPSIM_ERR_MSG_)
#undef TCPSIM_ERR_MSG_
};

static const char *const names[] = {
#define TCPSIM_ERR_NAME_(name, msg) #name,
    TCPSIM_ERRORS(TCPSIM_ERR_NAME_)
#undef TCPSIM_ERR_NAME_
};

const char *tcpsim_strerror(enum tcpsim_err err)
{
    size_t i = (size_t)err;
    return i < sizeof messages / sizeof messages[0] ? messages[i] : "unknown error";
}

const char *tcpsim_errname(enum tcpsim_err err)
{
    size_t i = (size_t)err;
    return i < sizeof names / sizeof names[0] ? names[i] : "ERR_UNKNOWN";
}
