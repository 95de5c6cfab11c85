#ifndef AUTONOMY_FETCHER_SANDBOX_H
#define AUTONOMY_FETCHER_SANDBOX_H

/* Confines the fetcher (fetcher/sandbox.c). net: some domain or egress
 * host is allowed, so IPv4/IPv6 sockets are needed; without, only AF_UNIX
 * (nng). audit_log: it writes the egress audit log (FSIZE not 0). */
int fetcher_sandbox(int net, int audit_log);

#endif
