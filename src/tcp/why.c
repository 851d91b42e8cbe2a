/* why.c - accessors for the reasons of include/tcpsim/tcp_why.h (one X-macro
 * gives identifier, RFC rule and English text). */
#include <stddef.h>

#include "tcpsim/tcp_why.h"

static const char *const rules[] = {
#define TCPSIM_WHY_RULE_(id, rule, text) rule,
    TCPSIM_TCP_WHYS(TCPSIM_WHY_RULE_)
#undef TCPSIM_WHY_RULE_
};
static const char *const texts[] = {
#define TCPSIM_WHY_TEXT_(id, rule, text) text,
    TCPSIM_TCP_WHYS(TCPSIM_WHY_TEXT_)
#undef TCPSIM_WHY_TEXT_
};
static const char *const ids[] = {
#define TCPSIM_WHY_ID_(id, rule, text) #id,
    TCPSIM_TCP_WHYS(TCPSIM_WHY_ID_)
#undef TCPSIM_WHY_ID_
};

#define NWHY (sizeof ids / sizeof ids[0])

const char *tcpsim_tcp_why_rule(enum tcpsim_tcp_why why)
{
    return (size_t)why < NWHY ? rules[why] : "";
}

const char *tcpsim_tcp_why_text(enum tcpsim_tcp_why why)
{
    return (size_t)why < NWHY ? texts[why] : "";
}

const char *tcpsim_tcp_why_id(enum tcpsim_tcp_why why)
{
    return (size_t)why < NWHY ? ids[why] : "UNKNOWN";
}
