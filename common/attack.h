/* Test builds only (-Dtest_hooks=true): "attacker code" run from inside a
 * confined helper, at the point where it handles untrusted input, so the
 * integration tests (tests/integration/test_confine.py) can show what a
 * compromised helper can and cannot do. docs/confinement.md has the table.
 *
 * AUTONOMY_TEST_ATTACK=HELPER:ACT[,ACT...] makes HELPER (its log name) run
 * the acts once, on its first untrusted input, and report each one on
 * stderr: "autonomy[HELPER]: attack ACT: trying", then
 * "autonomy[HELPER]: attack ACT = RESULT" where RESULT is OK or the errno
 * name (EACCES, EPERM, ...). An act the kernel answers with a kill leaves
 * "trying" as its last line, and the supervisor reports the helper's death
 * (SIGSYS: seccomp). Acts:
 *   openw=PATH     open(PATH, O_WRONLY|O_CREAT)
 *   openr=PATH     open(PATH, O_RDONLY)   (a directory too)
 *   exec=PATH      execve(PATH)
 *   fork           fork()
 *   thread         pthread_create()
 *   connect=A:P    TCP connect to IPv4 A port P (non-blocking: EINPROGRESS
 *                  means the connect was allowed)
 *   bind=P         TCP bind to 127.0.0.1:P
 *   udp=A:P        one UDP datagram to A:P
 *   unix=PATH      connect to the unix stream socket PATH
 *   ptrace         PTRACE_ATTACH to its parent (the supervisor)
 *
 * Release builds do not contain this code, nor the variable's name: the
 * calls compile to nothing, attack.c is not built, and the supervisor does
 * not pass the variable on (test_confine.py checks the release binaries).
 */
#ifndef AUTONOMY_ATTACK_H
#define AUTONOMY_ATTACK_H

#ifdef AUTONOMY_TEST_HOOKS
/* The helper's --rundir: an act's PATH "@/x" means "<rundir>/x" (the
 * test cannot know the run's random directory in advance). */
void attack_init(const char *rundir);
void attack_point(void);
#else
#define attack_init(rundir) ((void)(rundir))
#define attack_point() ((void)0)
#endif

#endif
