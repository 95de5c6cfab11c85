/* Helpers for the Cedar engine's unit tests: run text through the public
 * API (cedar.h) and summarise the answer as strings, so each test reads
 * as "this policy text, these entities -> this answer". */
#ifndef TEST_CEDAR_UTIL_H
#define TEST_CEDAR_UTIL_H

#include <stddef.h>

#include "cedar.h"

/* What one authorization came to. ids are comma-joined in policy order. */
struct tc_answer {
	int status; /* 0 answered; -1 policies, -2 entities, -3 request */
	char diag[CEDAR_DIAG_MAX];
	int allow; /* 1 allow, 0 deny */
	char reasons[512];
	char errors[512];
	char messages[1024]; /* "id: message" joined by "; " */
};

/* Authorizes User::"alice" doing Action::"view" on Photo::"p" (unless
 * principal/action/resource JSON is given) against the policy text.
 * entities and context are JSON text; NULL means [] and {}. */
void tc_authorize(const char *policies, const char *entities,
                  const char *context, struct tc_answer *out);
void tc_authorize_req(const char *policies, const char *entities,
                      const char *principal, const char *action,
                      const char *resource, const char *context,
                      struct tc_answer *out);

/* Evaluates one expression as the condition of a permit policy:
 * TC_TRUE / TC_FALSE, TC_ERROR (an evaluation error), TC_PARSE (the
 * policy text does not parse), TC_LOAD (entities or context refused). */
enum { TC_TRUE = 1, TC_FALSE = 0, TC_ERROR = -1, TC_PARSE = -2, TC_LOAD = -3 };
int tc_eval(const char *expr, const char *entities, const char *context);

/* Parses policy text; returns cedar_policy_set_parse's result and leaves
 * the diagnostic in diag. */
int tc_parse(const char *text, char *diag, size_t len);

#endif
