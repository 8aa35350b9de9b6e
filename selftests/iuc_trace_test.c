// SPDX-License-Identifier: GPL-2.0
/*
 * The module's trace events (module/iuc_trace.h) are visible to the
 * kernel's tracing tools: enable events/iuc/ in tracefs, make calls, and
 * find one event per call with the right fields in the trace buffer.
 */
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "iuc_test.h"

#define TRACEFS		"/sys/kernel/tracing"
#define TRACE_BUF	(1 << 20)

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* The whole trace buffer as text, NUL-terminated, in @buf. */
static ssize_t read_trace(char *buf, size_t size)
{
	int fd = open(TRACEFS "/trace", O_RDONLY | O_CLOEXEC);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (done < size - 1 && (n = read(fd, buf + done, size - 1 - done)) > 0)
		done += n;
	close(fd);
	buf[done] = '\0';
	return done;
}

/* Stop tracing and read what the calls left in the buffer: its length or -errno. */
static ssize_t stop_and_read(char *buf)
{
	int ret = write_str(TRACEFS "/tracing_on", "0");

	return ret ? ret : read_trace(buf, TRACE_BUF);
}

/* The trace buffer @buf holds the text that @fmt formats. */
#define EXPECT_TRACED(buf, fmt, ...) do {					\
	char line_[256];							\
									\
	snprintf(line_, sizeof(line_), fmt, __VA_ARGS__);			\
	EXPECT_NE(NULL, strstr((buf), line_)) TH_LOG("missing: %s\n%s", line_, (buf)); \
} while (0)

FIXTURE(trace) {
	char *buf;
};

FIXTURE_SETUP(trace)
{
	struct stat st;

	if (stat(TRACEFS "/events", &st))
		ASSERT_EQ(0, mount("tracefs", TRACEFS, "tracefs", 0, NULL));
	ASSERT_EQ(0, stat(TRACEFS "/events/iuc", &st)) TH_LOG("no events/iuc in tracefs");
	ASSERT_EQ(0, write_str(TRACEFS "/tracing_on", "0"));
	ASSERT_EQ(0, write_str(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_str(TRACEFS "/events/iuc/enable", "1"));
	ASSERT_EQ(0, write_str(TRACEFS "/tracing_on", "1"));
	self->buf = malloc(TRACE_BUF);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(trace)
{
	write_str(TRACEFS "/events/iuc/enable", "0");
	write_str(TRACEFS "/trace", "");
	free(self->buf);
}

/* One event per call of a notified pipe's life, with its fields. */
TEST_F(trace, pipe_calls_and_signals)
{
	struct iuc_open_pipe op = iuc_pipe_args(getpid(), 0);
	struct iuc_pipe_write w;
	char data[100] = { 0 };
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, NULL));
	ASSERT_EQ(0, iuc_ready(fd, NULL));
	op.multiplier = 2;
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	ASSERT_EQ(0, iuc_pipe_write(fd, op.id, data, sizeof(data), IUC_IO_BLOCK, &w));
	ASSERT_EQ(0, iuc_close_pipe(fd, op.id, NULL));

	ASSERT_LT(0, stop_and_read(self->buf));
	EXPECT_TRACED(self->buf, "iuc_pipe_open: pid=%d target=%d id=%llu peer_id=%llu capacity=131072 mode=0",
		      getpid(), getpid(), (unsigned long long)op.id,
		      (unsigned long long)op.peer_id);
	EXPECT_TRACED(self->buf, "iuc_signal_queue: pid=%d code=0x20 object=%llu ready=1",
		      getpid(), (unsigned long long)op.peer_id);
	EXPECT_TRACED(self->buf, "iuc_pipe_write: id=%llu count=100 mode=0 transferred=100 ret=0",
		      (unsigned long long)op.id);
	EXPECT_TRACED(self->buf, "iuc_pipe_close: pid=%d id=%llu type=0",
		      getpid(), (unsigned long long)op.id);
	close(fd);
}

/* A failing call is traced with its errno and what it moved. */
TEST_F(trace, failed_read)
{
	struct iuc_open_pipe op = iuc_pipe_args(getpid(), 0);
	struct iuc_pipe_read rd;
	char buf[16];
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	op.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	/* The RC: the target is this process. */
	ASSERT_EQ(-EAGAIN, iuc_pipe_read(fd, op.peer_id, buf, sizeof(buf), IUC_IO_TRY, &rd));
	ASSERT_LT(0, stop_and_read(self->buf));
	EXPECT_TRACED(self->buf, "iuc_pipe_read: id=%llu count=16 mode=1 transferred=0 ret=%d",
		      (unsigned long long)op.peer_id, -EAGAIN);
	close(fd);
}

/* PIPE_CALL: one event with both halves, and the half a failure belongs to. */
TEST_F(trace, pipe_call)
{
	struct iuc_open_pipe op = iuc_pipe_args(getpid(), 0);
	struct iuc_pipe_call c;
	char buf[16] = { 0 };
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	op.notify = IUC_NOTIFY_SKIP;
	op.mode = IUC_PIPE_MODE_MESSAGE;
	ASSERT_EQ(0, iuc_open_pipe(fd, &op));
	/* A loopback: the request is the answer. */
	ASSERT_EQ(0, iuc_pipe_call(fd, op.id, buf, 10, op.peer_id, buf, sizeof(buf), &c));
	ASSERT_EQ(-EBADF, iuc_pipe_call(fd, op.id, buf, 10, 999999, buf, sizeof(buf), &c));
	ASSERT_LT(0, stop_and_read(self->buf));
	EXPECT_TRACED(self->buf, "iuc_pipe_call: sc=%llu wcount=10 written=10 rc=%llu rcount=16 transferred=10 stage=0 ret=0",
		      (unsigned long long)op.id, (unsigned long long)op.peer_id);
	EXPECT_TRACED(self->buf, "iuc_pipe_call: sc=%llu wcount=10 written=0 rc=999999 rcount=16 transferred=0 stage=2 ret=%d",
		      (unsigned long long)op.id, -EBADF);
	close(fd);
}

TEST_HARNESS_MAIN
