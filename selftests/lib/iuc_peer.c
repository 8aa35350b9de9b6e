// SPDX-License-Identifier: GPL-2.0
/*
 * iuc_peer: the image a peer execs (PEER_EXEC) to get a new address space
 * and carry on as the same peer.
 *
 *   iuc_peer CMD RSP FD_OWN FD_INHERITED
 *
 * CMD and RSP are the peer's command and reply pipes, the others its fds of
 * /dev/iuc (-1 if none).  It answers PEER_EXEC with its pid, then serves.
 * The blocked signal mask is kept across exec(2); the probe handlers are
 * installed anew.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calls.h"
#include "memory.h"
#include "peer.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct peer_state s = { .extra = -1, .sock = -1, .hold = -1 };
	struct peer_reply r;

	if (argc != 5)
		return 2;
	s.cmd = atoi(argv[1]);
	s.rsp = atoi(argv[2]);
	s.fd[PEER_OWN] = atoi(argv[3]);
	s.fd[PEER_INHERITED] = atoi(argv[4]);
	fcntl(s.cmd, F_SETFD, FD_CLOEXEC);
	fcntl(s.rsp, F_SETFD, FD_CLOEXEC);
	if (shm_probe_install())
		return 94;
	memset(&r, 0, sizeof(r));
	r.error = ERR_SENTINEL;
	r.v[0] = (uint64_t)getpid();
	if (write_full(s.rsp, &r, sizeof(r)))
		return 92;
	peer_serve(&s);
}
