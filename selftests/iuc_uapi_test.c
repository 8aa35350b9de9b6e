// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: the ioctl interface itself.
 *
 * Layout of the UAPI structs, ioctl numbers, unknown calls, unreadable
 * argument structs, the extensible-struct size rules (smaller than VER0:
 * EINVAL; larger with a nonzero tail: E2BIG; larger with a zero tail:
 * accepted) and reserved fields (EINVAL, IUC_E_INVALID_ARG).
 *
 * Every refused call is followed by a check that it had no effect.
 */
#include <sys/mman.h>
#include <termios.h>

#include "kselftest_harness.h"
#include "iuc_test.h"

/* ---- layout: compile-time checks ------------------------------------------ */

#define SIZE_IS(type, size) \
	_Static_assert(sizeof(struct type) == (size), #type " size")
SIZE_IS(iuc_handle_signal, IUC_HANDLE_SIGNAL_SIZE_VER0);
SIZE_IS(iuc_unhandle_signal, IUC_UNHANDLE_SIGNAL_SIZE_VER0);
SIZE_IS(iuc_is_signal_handled, IUC_IS_SIGNAL_HANDLED_SIZE_VER0);
SIZE_IS(iuc_ready, IUC_READY_SIZE_VER0);
SIZE_IS(iuc_open_pipe, IUC_OPEN_PIPE_SIZE_VER0);
SIZE_IS(iuc_send_pipe, IUC_SEND_PIPE_SIZE_VER0);
SIZE_IS(iuc_pipe_write, IUC_PIPE_WRITE_SIZE_VER0);
SIZE_IS(iuc_pipe_read, IUC_PIPE_READ_SIZE_VER0);
SIZE_IS(iuc_pipe_call, IUC_PIPE_CALL_SIZE_VER0);
SIZE_IS(iuc_pipe_info, IUC_PIPE_INFO_SIZE_VER0);
SIZE_IS(iuc_close_pipe, IUC_CLOSE_PIPE_SIZE_VER0);
SIZE_IS(iuc_connect_service, IUC_CONNECT_SERVICE_SIZE_VER0);
SIZE_IS(iuc_end_service_conn, IUC_END_SERVICE_CONN_SIZE_VER0);
SIZE_IS(iuc_accept_service_conn, IUC_ACCEPT_SERVICE_CONN_SIZE_VER0);
SIZE_IS(iuc_reject_service_conn, IUC_REJECT_SERVICE_CONN_SIZE_VER0);
SIZE_IS(iuc_register_service, IUC_REGISTER_SERVICE_SIZE_VER0);
SIZE_IS(iuc_mem_unmap, IUC_MEM_UNMAP_SIZE_VER0);
SIZE_IS(iuc_share_mem, IUC_SHARE_MEM_SIZE_VER0);
SIZE_IS(iuc_unshare_mem, IUC_UNSHARE_MEM_SIZE_VER0);
SIZE_IS(iuc_mem_sharing_info, IUC_MEM_SHARING_INFO_SIZE_VER0);
SIZE_IS(iuc_signal, IUC_SIGNAL_SIZE);
_Static_assert(IUC_SIGNAL_SIZE == 64, "records are 64 bytes");

/* The 32-byte datafield and its views. */
SIZE_IS(iuc_sig_recv_pipe, 32);
SIZE_IS(iuc_sig_pipe_closed, 32);
SIZE_IS(iuc_sig_service_conn_request, 32);
SIZE_IS(iuc_sig_service_server_quitted, 32);
SIZE_IS(iuc_sig_recv_shared_mem, 32);
SIZE_IS(iuc_sig_unshared_mem, 32);
_Static_assert(offsetof(struct iuc_signal, code) == 0, "code");
_Static_assert(offsetof(struct iuc_signal, data) == 8, "data");
_Static_assert(sizeof(((struct iuc_signal *)0)->data) == 32, "datafield");
_Static_assert(offsetof(struct iuc_signal, object) == 40, "object");

/* Every argument struct starts with error then flags. */
#define HEADER_OK(type) \
	_Static_assert(offsetof(struct type, error) == 0 && \
		       offsetof(struct type, flags) == 4, #type " header")
HEADER_OK(iuc_handle_signal);
HEADER_OK(iuc_unhandle_signal);
HEADER_OK(iuc_is_signal_handled);
HEADER_OK(iuc_ready);
HEADER_OK(iuc_open_pipe);
HEADER_OK(iuc_send_pipe);
HEADER_OK(iuc_pipe_write);
HEADER_OK(iuc_pipe_read);
HEADER_OK(iuc_pipe_info);
HEADER_OK(iuc_close_pipe);
HEADER_OK(iuc_connect_service);
HEADER_OK(iuc_end_service_conn);
HEADER_OK(iuc_accept_service_conn);
HEADER_OK(iuc_reject_service_conn);
HEADER_OK(iuc_register_service);
HEADER_OK(iuc_mem_unmap);
HEADER_OK(iuc_share_mem);
HEADER_OK(iuc_unshare_mem);
HEADER_OK(iuc_mem_sharing_info);

/* ioctl number = call code, type = magic, size = struct size, read+write. */
#define IOC_OK(cmd, call, size) \
	_Static_assert(_IOC_NR(cmd) == (call) && \
		       _IOC_TYPE(cmd) == IUC_IOC_MAGIC && \
		       _IOC_SIZE(cmd) == (size) && \
		       _IOC_DIR(cmd) == (_IOC_READ | _IOC_WRITE), #cmd)
IOC_OK(IUC_IOC_HANDLE_SIGNAL, 0x01, IUC_HANDLE_SIGNAL_SIZE_VER0);
IOC_OK(IUC_IOC_UNHANDLE_SIGNAL, 0x02, IUC_UNHANDLE_SIGNAL_SIZE_VER0);
IOC_OK(IUC_IOC_IS_SIGNAL_HANDLED, 0x03, IUC_IS_SIGNAL_HANDLED_SIZE_VER0);
IOC_OK(IUC_IOC_READY, 0x04, IUC_READY_SIZE_VER0);
IOC_OK(IUC_IOC_OPEN_PIPE, 0x20, IUC_OPEN_PIPE_SIZE_VER0);
IOC_OK(IUC_IOC_SEND_PIPE, 0x21, IUC_SEND_PIPE_SIZE_VER0);
IOC_OK(IUC_IOC_PIPE_WRITE, 0x22, IUC_PIPE_WRITE_SIZE_VER0);
IOC_OK(IUC_IOC_PIPE_READ, 0x23, IUC_PIPE_READ_SIZE_VER0);
IOC_OK(IUC_IOC_PIPE_INFO, 0x24, IUC_PIPE_INFO_SIZE_VER0);
IOC_OK(IUC_IOC_CLOSE_PIPE, 0x25, IUC_CLOSE_PIPE_SIZE_VER0);
IOC_OK(IUC_IOC_CONNECT_SERVICE, 0x2A, IUC_CONNECT_SERVICE_SIZE_VER0);
IOC_OK(IUC_IOC_END_SERVICE_CONN, 0x2B, IUC_END_SERVICE_CONN_SIZE_VER0);
IOC_OK(IUC_IOC_ACCEPT_SERVICE_CONN, 0x2C, IUC_ACCEPT_SERVICE_CONN_SIZE_VER0);
IOC_OK(IUC_IOC_REJECT_SERVICE_CONN, 0x2D, IUC_REJECT_SERVICE_CONN_SIZE_VER0);
IOC_OK(IUC_IOC_REGISTER_SERVICE, 0x80, IUC_REGISTER_SERVICE_SIZE_VER0);
IOC_OK(IUC_IOC_PIPE_CALL, 0x81, IUC_PIPE_CALL_SIZE_VER0);
IOC_OK(IUC_IOC_MAP_ARENA, 0x82, IUC_MAP_ARENA_SIZE_VER0);
IOC_OK(IUC_IOC_MEM_UNMAP, 0x33, IUC_MEM_UNMAP_SIZE_VER0);
IOC_OK(IUC_IOC_SHARE_MEM, 0x34, IUC_SHARE_MEM_SIZE_VER0);
IOC_OK(IUC_IOC_UNSHARE_MEM, 0x35, IUC_UNSHARE_MEM_SIZE_VER0);
IOC_OK(IUC_IOC_MEM_SHARING_INFO, 0x36, IUC_MEM_SHARING_INFO_SIZE_VER0);

/* ---- helpers --------------------------------------------------------------- */

/* The largest size _IOC_SIZE can carry. */
#define MAX_IOC_SIZE	((1 << _IOC_SIZEBITS) - 1)

/* The ioctl command of call @nr with struct size @size. */
static unsigned long cmd_sized(unsigned int nr, size_t size)
{
	return _IOC(_IOC_READ | _IOC_WRITE, IUC_IOC_MAGIC, nr, size);
}

/* A zeroed buffer big enough for any _IOC_SIZE. */
static void *big_buf(void)
{
	void *p = mmap(NULL, MAX_IOC_SIZE + 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Is @code handled? 1, 0, or -1 if the query failed. */
static int handled(int fd, unsigned int code)
{
	int h = -1;

	if (iuc_is_signal_handled(fd, code, &h, NULL, NULL))
		return -1;
	return h;
}

/* The implemented calls and their VER0 sizes. */
struct call {
	const char *name;
	unsigned int nr;
	size_t size;
};

static const struct call calls[] = {
	{ "HANDLE_SIGNAL", IUC_CALL_HANDLE_SIGNAL, IUC_HANDLE_SIGNAL_SIZE_VER0 },
	{ "UNHANDLE_SIGNAL", IUC_CALL_UNHANDLE_SIGNAL, IUC_UNHANDLE_SIGNAL_SIZE_VER0 },
	{ "IS_SIGNAL_HANDLED", IUC_CALL_IS_SIGNAL_HANDLED, IUC_IS_SIGNAL_HANDLED_SIZE_VER0 },
	{ "READY", IUC_CALL_READY, IUC_READY_SIZE_VER0 },
	{ "OPEN_PIPE", IUC_CALL_OPEN_PIPE, IUC_OPEN_PIPE_SIZE_VER0 },
	{ "CLOSE_PIPE", IUC_CALL_CLOSE_PIPE, IUC_CLOSE_PIPE_SIZE_VER0 },
	{ "CONNECT_SERVICE", IUC_CALL_CONNECT_SERVICE, IUC_CONNECT_SERVICE_SIZE_VER0 },
	{ "END_SERVICE_CONN", IUC_CALL_END_SERVICE_CONN, IUC_END_SERVICE_CONN_SIZE_VER0 },
	{ "ACCEPT_SERVICE_CONN", IUC_CALL_ACCEPT_SERVICE_CONN, IUC_ACCEPT_SERVICE_CONN_SIZE_VER0 },
	{ "REJECT_SERVICE_CONN", IUC_CALL_REJECT_SERVICE_CONN, IUC_REJECT_SERVICE_CONN_SIZE_VER0 },
	{ "REGISTER_SERVICE", IUC_CALL_REGISTER_SERVICE, IUC_REGISTER_SERVICE_SIZE_VER0 },
};
#define N_CALLS ARRAY_SIZE(calls)

/*
 * Fill @buf with valid arguments of call @nr, chosen so that a call that
 * should have been refused leaves a visible trace, in a context that
 * handles PIPE_CLOSED and not RECV_PIPE: handle RECV_PIPE, unhandle or
 * query PIPE_CLOSED, open a notified pipe to @target, close @pipe_id,
 * become the caller's user's service instance.  The other service calls
 * name nothing that exists (the caller's application has no service, no
 * request or connection has id 1): a wrongly accepted call of them fails
 * with its own code instead of the size or reserved-field refusal.
 */
static void valid_args(void *buf, unsigned int nr, pid_t target, uint64_t pipe_id)
{
	switch (nr) {
	case IUC_CALL_HANDLE_SIGNAL:
		((struct iuc_handle_signal *)buf)->code = IUC_SIG_RECV_PIPE;
		break;
	case IUC_CALL_UNHANDLE_SIGNAL:
		((struct iuc_unhandle_signal *)buf)->code = IUC_SIG_PIPE_CLOSED;
		break;
	case IUC_CALL_IS_SIGNAL_HANDLED:
		((struct iuc_is_signal_handled *)buf)->code = IUC_SIG_PIPE_CLOSED;
		break;
	case IUC_CALL_OPEN_PIPE:
		*(struct iuc_open_pipe *)buf = iuc_pipe_args(target, 0x77);
		break;
	case IUC_CALL_CLOSE_PIPE:
		((struct iuc_close_pipe *)buf)->id = pipe_id;
		break;
	case IUC_CALL_CONNECT_SERVICE:
		((struct iuc_connect_service *)buf)->anid = (uint32_t)ipc_ns_ino();
		break;
	case IUC_CALL_END_SERVICE_CONN:
		((struct iuc_end_service_conn *)buf)->conn_id = 1;
		break;
	case IUC_CALL_ACCEPT_SERVICE_CONN:
		((struct iuc_accept_service_conn *)buf)->request_id = 1;
		break;
	case IUC_CALL_REJECT_SERVICE_CONN:
		((struct iuc_reject_service_conn *)buf)->request_id = 1;
		break;
	case IUC_CALL_REGISTER_SERVICE:
		((struct iuc_register_service *)buf)->scope = IUC_SCOPE_USER;
		break;
	}
	((uint32_t *)buf)[0] = ERR_SENTINEL;
}

/*
 * Call @nr with the VER0 arguments in @buf passed as a struct @extra bytes
 * larger than @ver0 (0: the largest size), the extra bytes zero.  0 when
 * it succeeded with IUC_E_NONE and left the extra bytes zero, -EPROTO when
 * not, or the -errno of the call; a failure says which.
 */
static int call_larger(int fd, unsigned int nr, uint8_t *buf, size_t ver0,
		       size_t extra)
{
	size_t size = extra ? ver0 + extra : MAX_IOC_SIZE;
	int ret;

	((uint32_t *)buf)[0] = ERR_SENTINEL;
	ret = iuc_ioctl(fd, cmd_sized(nr, size), buf);
	if (!ret && (((uint32_t *)buf)[0] != IUC_E_NONE ||
		     !all_zero(buf + ver0, size - ver0)))
		ret = -EPROTO;
	if (ret)
		fprintf(stderr, "# call 0x%02x with %zu bytes: %s, error 0x%x\n",
			nr, size, strerror(-ret), ((uint32_t *)buf)[0]);
	return ret;
}

/* ---- tests ----------------------------------------------------------------- */

/*
 * The kernel agrees on the sizes: each implemented call succeeds with its
 * VER0 size (the static size of the struct) and writes IUC_E_NONE.
 */
TEST(ver0_sizes_accepted)
{
	struct iuc_handle_signal hs = { .error = ERR_SENTINEL, .code = IUC_SIG_RECV_PIPE };
	struct iuc_is_signal_handled ih = { .error = ERR_SENTINEL, .code = IUC_SIG_RECV_PIPE };
	struct iuc_unhandle_signal us = { .error = ERR_SENTINEL, .code = IUC_SIG_RECV_PIPE };
	struct iuc_ready rd = { .error = ERR_SENTINEL };
	struct iuc_close_pipe cp = { .error = ERR_SENTINEL };
	struct iuc_open_pipe op;
	struct peer tgt;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, peer_start_target(&tgt));

	EXPECT_EQ(0, ioctl(fd, IUC_IOC_HANDLE_SIGNAL, &hs));
	EXPECT_EQ(IUC_E_NONE, hs.error);
	EXPECT_EQ(0, ioctl(fd, IUC_IOC_IS_SIGNAL_HANDLED, &ih));
	EXPECT_EQ(IUC_E_NONE, ih.error);
	EXPECT_EQ(1, ih.handled);
	EXPECT_EQ(0, ioctl(fd, IUC_IOC_UNHANDLE_SIGNAL, &us));
	EXPECT_EQ(IUC_E_NONE, us.error);
	EXPECT_EQ(0, ioctl(fd, IUC_IOC_READY, &rd));
	EXPECT_EQ(IUC_E_NONE, rd.error);
	op = iuc_pipe_args(tgt.pid, 1);
	op.error = ERR_SENTINEL;
	EXPECT_EQ(0, ioctl(fd, IUC_IOC_OPEN_PIPE, &op));
	EXPECT_EQ(IUC_E_NONE, op.error);
	cp.id = op.id;
	EXPECT_EQ(0, ioctl(fd, IUC_IOC_CLOSE_PIPE, &cp));
	EXPECT_EQ(IUC_E_NONE, cp.error);
	EXPECT_EQ(0, peer_stop(&tgt));
}

/*
 * The service calls with their VER0 sizes: the test process registers
 * and handles SERVICE_CONN_REQUEST, a peer connects (CONNECT_SERVICE and
 * END_SERVICE_CONN through the wrappers, whose structs are VER0), the
 * test accepts one request and rejects the next.
 */
TEST(ver0_sizes_accepted_services)
{
	struct iuc_register_service rs = { .error = ERR_SENTINEL, .scope = IUC_SCOPE_USER };
	struct iuc_accept_service_conn ac = { .error = ERR_SENTINEL };
	struct iuc_reject_service_conn rj = { .error = ERR_SENTINEL };
	struct peer_msg m = peer_msg_connect((uint32_t)ipc_ns_ino(), 1, IUC_SERVICE_STRICT);
	struct iuc_connect_service conn;
	struct iuc_signal s;
	struct peer c;
	uint32_t err;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_SERVICE_CONN_REQUEST, 0, NULL));
	ASSERT_EQ(0, iuc_ready(fd, NULL));
	EXPECT_EQ(0, ioctl(fd, IUC_IOC_REGISTER_SERVICE, &rs));
	EXPECT_EQ(IUC_E_NONE, rs.error);
	ASSERT_EQ(0, peer_start_ctx(&c, NULL, 0, true));

	ASSERT_EQ(0, peer_send(&c, &m));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_SERVICE_CONN_REQUEST, s.code);
	ac.request_id = s.object;
	EXPECT_EQ(0, ioctl(fd, IUC_IOC_ACCEPT_SERVICE_CONN, &ac));
	EXPECT_EQ(IUC_E_NONE, ac.error);
	EXPECT_EQ(0, peer_connect_wait(&c, &conn));
	EXPECT_EQ(IUC_E_NONE, conn.error);
	EXPECT_EQ(0, peer_end(&c, conn.conn_id, &err));
	EXPECT_EQ(IUC_E_NONE, err);

	ASSERT_EQ(0, peer_send(&c, &m));
	ASSERT_EQ(0, iuc_read_sig(fd, &s, TIMEOUT_MS));
	ASSERT_EQ(IUC_SIG_SERVICE_CONN_REQUEST, s.code);
	rj.request_id = s.object;
	EXPECT_EQ(0, ioctl(fd, IUC_IOC_REJECT_SERVICE_CONN, &rj));
	EXPECT_EQ(IUC_E_NONE, rj.error);
	EXPECT_EQ(-ECONNREFUSED, peer_connect_wait(&c, &conn));
	EXPECT_EQ(IUC_E_CONNECT_REJECTED, conn.error);
	EXPECT_EQ(0, peer_stop(&c));
}

/*
 * Unknown call numbers of the IUC magic fail with ENOTTY without touching
 * the struct (the spec's 0x01 is told by ENOTTY alone).
 */
TEST(unknown_nr_enotty)
{
	static const unsigned int nrs[] = {
		0x00, 0x05, 0x06, 0x0F, 0x10, 0x1F, 0x26, 0x29, 0x2E, 0x32,
		0x37, 0x40, 0x7F, 0x83, 0xFE, 0xFF,
	};
	static const size_t sizes[] = { 0, 8, 16, 64 };
	uint32_t buf[16];
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	for (size_t i = 0; i < ARRAY_SIZE(nrs); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(sizes); j++) {
			memset(buf, 0, sizeof(buf));
			buf[0] = ERR_SENTINEL;
			EXPECT_EQ(-ENOTTY, iuc_ioctl(fd, cmd_sized(nrs[i], sizes[j]), buf))
				TH_LOG("nr 0x%02x size %zu", nrs[i], sizes[j]);
			EXPECT_EQ(ERR_SENTINEL, buf[0]);
		}
		/* No direction, no size, no argument. */
		EXPECT_EQ(-ENOTTY, iuc_ioctl(fd, _IO(IUC_IOC_MAGIC, nrs[i]), NULL))
			TH_LOG("nr 0x%02x _IO", nrs[i]);
	}
	/* The context is intact and not READY yet. */
	EXPECT_EQ(0, handled(fd, IUC_SIG_RECV_PIPE));
	EXPECT_EQ(0, iuc_ready(fd, NULL));
}

/*
 * Ioctls of another magic with the number and size of a real call fail
 * with ENOTTY and do nothing, as do the tty ioctls.
 */
TEST(other_magic_enotty)
{
	static const unsigned int magics[] = { 0x00, 'T', 'x', 0xC6, 0xC8, 0xFF };
	struct iuc_handle_signal hs;
	struct termios tio;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	for (size_t i = 0; i < ARRAY_SIZE(magics); i++) {
		unsigned long cmd = _IOC(_IOC_READ | _IOC_WRITE, magics[i],
					 IUC_CALL_HANDLE_SIGNAL, sizeof(hs));

		memset(&hs, 0, sizeof(hs));
		hs.error = ERR_SENTINEL;
		hs.code = IUC_SIG_RECV_PIPE;
		EXPECT_EQ(-ENOTTY, iuc_ioctl(fd, cmd, &hs)) TH_LOG("magic 0x%02x", magics[i]);
		EXPECT_EQ(ERR_SENTINEL, hs.error);
	}
	EXPECT_EQ(-ENOTTY, iuc_ioctl(fd, TCGETS, &tio));
	EXPECT_EQ(0, handled(fd, IUC_SIG_RECV_PIPE));
}

/* A NULL argument pointer: EFAULT for every implemented call. */
TEST(null_arg_efault)
{
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	for (size_t i = 0; i < N_CALLS; i++) {
		EXPECT_EQ(-EFAULT, iuc_ioctl(fd, cmd_sized(calls[i].nr, calls[i].size), NULL))
			TH_LOG("%s", calls[i].name);
	}
	/* READY was not done by the failed call. */
	EXPECT_EQ(0, iuc_ready(fd, NULL));
}

/*
 * An argument pointer into an unmapped page, and a struct that runs from a
 * mapped page into an unmapped one: EFAULT, and the mapped part (the error
 * field) is left untouched.
 */
TEST(unmapped_arg_efault)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map;
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));

	for (size_t i = 0; i < N_CALLS; i++) {
		unsigned long cmd = cmd_sized(calls[i].nr, calls[i].size);
		uint32_t *straddle = (uint32_t *)(map + pg - 8);

		EXPECT_EQ(-EFAULT, iuc_ioctl(fd, cmd, map + pg)) TH_LOG("%s", calls[i].name);
		if (calls[i].size <= 8)
			continue;	/* READY's struct fits in the mapped part */
		straddle[0] = ERR_SENTINEL;
		straddle[1] = 0;
		EXPECT_EQ(-EFAULT, iuc_ioctl(fd, cmd, straddle)) TH_LOG("%s straddling", calls[i].name);
		EXPECT_EQ(ERR_SENTINEL, straddle[0]);
	}
	/* A READY struct entirely in the unmapped page did nothing. */
	EXPECT_EQ(0, iuc_ready(fd, NULL));
	munmap(map, pg);
}

/*
 * The refused-call tests: the test's context handling PIPE_CLOSED (so that
 * a wrongly accepted UNHANDLE_SIGNAL would show) but not RECV_PIPE, a pipe
 * to a ready target (so that a wrongly accepted CLOSE_PIPE would show) and
 * a buffer of MAX_IOC_SIZE + 1 bytes.  The teardown proves that the refused
 * calls had no effect: PIPE_CLOSED still handled, RECV_PIPE still not, not
 * READY, the pipe still open and no other one opened (the target's next
 * record is the PIPE_CLOSED of our close).
 */
FIXTURE(refused) {
	struct peer tgt;
	struct iuc_open_pipe op;
	uint8_t *buf;
	int fd;
};

FIXTURE_SETUP(refused)
{
	struct iuc_signal s;

	self->buf = big_buf();
	ASSERT_NE(NULL, self->buf);
	self->fd = iuc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, peer_start_target(&self->tgt));
	self->op = iuc_pipe_args(self->tgt.pid, 0x42);
	ASSERT_EQ(0, iuc_open_pipe(self->fd, &self->op));
	ASSERT_EQ(0, peer_read_sig(&self->tgt, &s, TIMEOUT_MS));
	ASSERT_EQ(0, iuc_handle_signal(self->fd, IUC_SIG_PIPE_CLOSED, 0, NULL));
}

FIXTURE_TEARDOWN(refused)
{
	struct iuc_signal s;
	uint32_t err = 0;

	EXPECT_EQ(1, handled(self->fd, IUC_SIG_PIPE_CLOSED));
	EXPECT_EQ(0, handled(self->fd, IUC_SIG_RECV_PIPE));
	EXPECT_EQ(0, iuc_ready(self->fd, NULL));
	EXPECT_EQ(0, iuc_close_pipe(self->fd, self->op.id, NULL));
	EXPECT_EQ(0, peer_read_sig(&self->tgt, &s, TIMEOUT_MS));
	EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
	EXPECT_EQ(self->op.peer_id, s.data.pipe_closed.id);
	/* No refused REGISTER_SERVICE made the test process a service. */
	EXPECT_EQ(0, iuc_register_service(self->fd, IUC_SCOPE_USER, &err));
	EXPECT_EQ(IUC_E_NONE, err);
	EXPECT_EQ(0, peer_stop(&self->tgt));
	munmap(self->buf, MAX_IOC_SIZE + 1);
}

/*
 * _IOC_SIZE below VER0 is refused with EINVAL and has no effect, whatever
 * the struct holds.
 */
TEST_F(refused, size_below_ver0_einval)
{
	for (size_t i = 0; i < N_CALLS; i++) {
		static const size_t smaller[] = { 0, 1, 4, 7, 8, 15, 16, 24, 40, 47 };

		for (size_t j = 0; j < ARRAY_SIZE(smaller); j++) {
			size_t size = smaller[j];

			if (size >= calls[i].size)
				continue;
			memset(self->buf, 0, calls[i].size);
			valid_args(self->buf, calls[i].nr, self->tgt.pid, self->op.id);
			EXPECT_EQ(-EINVAL, iuc_ioctl(self->fd, cmd_sized(calls[i].nr, size),
						     self->buf))
				TH_LOG("%s size %zu", calls[i].name, size);
		}
	}
}

/*
 * A larger struct whose extra bytes are all zero is accepted and works as
 * VER0; results are copied back within VER0 only (the tail stays zero).
 */
TEST(size_above_ver0_zero_tail_accepted)
{
	static const size_t extra[] = { 1, 8, 64, 4096, 0 /* max */ };
	uint8_t *buf = big_buf();
	struct peer tgt;
	int fd = iuc_open();

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, peer_start_target(&tgt));

	for (size_t j = 0; j < ARRAY_SIZE(extra); j++) {
		struct iuc_handle_signal *hs = (void *)buf;
		struct iuc_is_signal_handled *ih = (void *)buf;
		struct iuc_unhandle_signal *us = (void *)buf;
		struct iuc_open_pipe *op = (void *)buf;
		struct iuc_close_pipe *cp = (void *)buf;
		struct iuc_signal s;
		uint64_t id, peer_id;

		memset(buf, 0, MAX_IOC_SIZE + 1);
		hs->code = IUC_SIG_RECV_PIPE;
		EXPECT_EQ(0, call_larger(fd, IUC_CALL_HANDLE_SIGNAL, buf,
					 IUC_HANDLE_SIGNAL_SIZE_VER0, extra[j]));

		memset(buf, 0, MAX_IOC_SIZE + 1);
		ih->code = IUC_SIG_RECV_PIPE;
		EXPECT_EQ(0, call_larger(fd, IUC_CALL_IS_SIGNAL_HANDLED, buf,
					 IUC_IS_SIGNAL_HANDLED_SIZE_VER0, extra[j]));
		EXPECT_EQ(1, ih->handled);

		/* OPEN_PIPE: the results come back */
		memset(buf, 0, MAX_IOC_SIZE + 1);
		*op = iuc_pipe_args(tgt.pid, (uint16_t)(0x100 + j));
		EXPECT_EQ(0, call_larger(fd, IUC_CALL_OPEN_PIPE, buf,
					 IUC_OPEN_PIPE_SIZE_VER0, extra[j]));
		EXPECT_NE(0, op->id);
		EXPECT_NE(0, op->peer_id);
		id = op->id;
		peer_id = op->peer_id;
		ASSERT_EQ(0, peer_read_sig(&tgt, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_RECV_PIPE, s.code);
		EXPECT_EQ(0x100 + j, s.data.recv_pipe.command);
		EXPECT_EQ(peer_id, s.data.recv_pipe.id);

		memset(buf, 0, MAX_IOC_SIZE + 1);
		cp->id = id;
		EXPECT_EQ(0, call_larger(fd, IUC_CALL_CLOSE_PIPE, buf,
					 IUC_CLOSE_PIPE_SIZE_VER0, extra[j]));
		ASSERT_EQ(0, peer_read_sig(&tgt, &s, TIMEOUT_MS));
		EXPECT_EQ(IUC_SIG_PIPE_CLOSED, s.code);
		EXPECT_EQ(peer_id, s.data.pipe_closed.id);

		memset(buf, 0, MAX_IOC_SIZE + 1);
		us->code = IUC_SIG_RECV_PIPE;
		EXPECT_EQ(0, call_larger(fd, IUC_CALL_UNHANDLE_SIGNAL, buf,
					 IUC_UNHANDLE_SIGNAL_SIZE_VER0, extra[j]));
		EXPECT_EQ(0, handled(fd, IUC_SIG_RECV_PIPE));
	}

	/* READY and REGISTER_SERVICE, once each, with the largest size. */
	memset(buf, 0, MAX_IOC_SIZE + 1);
	EXPECT_EQ(0, call_larger(fd, IUC_CALL_READY, buf, IUC_READY_SIZE_VER0, 0));
	EXPECT_EQ(-EALREADY, iuc_ready(fd, NULL));
	memset(buf, 0, MAX_IOC_SIZE + 1);
	((struct iuc_register_service *)buf)->scope = IUC_SCOPE_USER;
	EXPECT_EQ(0, call_larger(fd, IUC_CALL_REGISTER_SERVICE, buf,
				 IUC_REGISTER_SERVICE_SIZE_VER0, 0));
	EXPECT_EQ(-EALREADY, iuc_register_service(fd, IUC_SCOPE_USER, NULL));
	EXPECT_EQ(0, peer_stop(&tgt));
	munmap(buf, MAX_IOC_SIZE + 1);
}

/*
 * A larger struct with any nonzero byte beyond VER0 is refused with E2BIG
 * and has no effect.
 */
TEST_F(refused, size_above_ver0_nonzero_tail_e2big)
{
	static const size_t extra[] = { 1, 8, 64, 4096, 0 /* max */ };
	uint8_t *buf = self->buf;

	for (size_t i = 0; i < N_CALLS; i++) {
		for (size_t j = 0; j < ARRAY_SIZE(extra); j++) {
			size_t size = extra[j] ? calls[i].size + extra[j] : MAX_IOC_SIZE;
			/* The first and the last byte beyond VER0. */
			size_t pos[] = { calls[i].size, size - 1 };

			for (size_t k = 0; k < 2; k++) {
				memset(buf, 0, MAX_IOC_SIZE + 1);
				valid_args(buf, calls[i].nr, self->tgt.pid, self->op.id);
				buf[pos[k]] = 1;
				EXPECT_EQ(-E2BIG, iuc_ioctl(self->fd, cmd_sized(calls[i].nr, size), buf))
					TH_LOG("%s size %zu byte %zu", calls[i].name, size, pos[k]);
			}
		}
	}
}

/* Nonzero flags: EINVAL with IUC_E_INVALID_ARG, no effect. */
TEST_F(refused, flags_nonzero_einval)
{
	static const uint32_t bad[] = { 1, 2, 0x80, 0x80000000u, 0xFFFFFFFFu };
	uint8_t *buf = self->buf;

	for (size_t i = 0; i < N_CALLS; i++) {
		for (size_t j = 0; j < ARRAY_SIZE(bad); j++) {
			memset(buf, 0, calls[i].size);
			valid_args(buf, calls[i].nr, self->tgt.pid, self->op.id);
			((uint32_t *)buf)[1] = bad[j];
			EXPECT_EQ(-EINVAL, iuc_ioctl(self->fd, cmd_sized(calls[i].nr, calls[i].size), buf))
				TH_LOG("%s flags 0x%x", calls[i].name, bad[j]);
			EXPECT_EQ(IUC_E_INVALID_ARG, ((uint32_t *)buf)[0])
				TH_LOG("%s flags 0x%x", calls[i].name, bad[j]);
		}
	}
}

/* Each byte of each __pad: EINVAL with IUC_E_INVALID_ARG, no effect. */
TEST_F(refused, pad_nonzero_einval)
{
	struct pad {
		unsigned int nr;
		size_t size, off, len;
	} pads[] = {
		{ IUC_CALL_HANDLE_SIGNAL, IUC_HANDLE_SIGNAL_SIZE_VER0,
		  offsetof(struct iuc_handle_signal, __pad),
		  sizeof(((struct iuc_handle_signal *)0)->__pad) },
		{ IUC_CALL_UNHANDLE_SIGNAL, IUC_UNHANDLE_SIGNAL_SIZE_VER0,
		  offsetof(struct iuc_unhandle_signal, __pad),
		  sizeof(((struct iuc_unhandle_signal *)0)->__pad) },
		{ IUC_CALL_IS_SIGNAL_HANDLED, IUC_IS_SIGNAL_HANDLED_SIZE_VER0,
		  offsetof(struct iuc_is_signal_handled, __pad),
		  sizeof(((struct iuc_is_signal_handled *)0)->__pad) },
		{ IUC_CALL_OPEN_PIPE, IUC_OPEN_PIPE_SIZE_VER0,
		  offsetof(struct iuc_open_pipe, __pad),
		  sizeof(((struct iuc_open_pipe *)0)->__pad) },
		{ IUC_CALL_CONNECT_SERVICE, IUC_CONNECT_SERVICE_SIZE_VER0,
		  offsetof(struct iuc_connect_service, __pad),
		  sizeof(((struct iuc_connect_service *)0)->__pad) },
		{ IUC_CALL_ACCEPT_SERVICE_CONN, IUC_ACCEPT_SERVICE_CONN_SIZE_VER0,
		  offsetof(struct iuc_accept_service_conn, __pad),
		  sizeof(((struct iuc_accept_service_conn *)0)->__pad) },
		{ IUC_CALL_REGISTER_SERVICE, IUC_REGISTER_SERVICE_SIZE_VER0,
		  offsetof(struct iuc_register_service, __pad),
		  sizeof(((struct iuc_register_service *)0)->__pad) },
	};
	uint8_t *buf = self->buf;

	for (size_t i = 0; i < ARRAY_SIZE(pads); i++) {
		for (size_t b = 0; b < pads[i].len; b++) {
			memset(buf, 0, pads[i].size);
			valid_args(buf, pads[i].nr, self->tgt.pid, self->op.id);
			buf[pads[i].off + b] = 0x01;
			EXPECT_EQ(-EINVAL, iuc_ioctl(self->fd, cmd_sized(pads[i].nr, pads[i].size), buf))
				TH_LOG("nr 0x%02x pad byte %zu", pads[i].nr, b);
			EXPECT_EQ(IUC_E_INVALID_ARG, ((uint32_t *)buf)[0])
				TH_LOG("nr 0x%02x pad byte %zu", pads[i].nr, b);
		}
	}
}

TEST_HARNESS_MAIN
