/* `autonomy policy check|eval|authorize|show-default` (docs/bundles.md). */
#ifndef AUTONOMY_POLICY_CMD_H
#define AUTONOMY_POLICY_CMD_H

/* argv[0] is "policy". Returns the exit status:
 *   check         0 valid, 1 invalid
 *   eval          0 allow, 1 deny, 2 error (bad bundle, bad JSON, a
 *   authorize     request that cannot be made)
 *   show-default  0
 * and 64 for a usage error. */
int policy_cmd_main(int argc, char **argv);

#endif
