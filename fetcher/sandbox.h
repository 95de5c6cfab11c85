#ifndef AUTONOMY_FETCHER_SANDBOX_H
#define AUTONOMY_FETCHER_SANDBOX_H

/* Confines the fetcher (fetcher/sandbox.c). net: some domain is allowed,
 * so IPv4/IPv6 sockets are needed; without, only AF_UNIX (nng). */
int fetcher_sandbox(int net);

#endif
