// SPDX-License-Identifier: GPL-2.0
/*
 * The module's trace events (module/iuc_trace.h) are visible to the
 * kernel's tracing tools: enable events/iuc/ in tracefs, make calls, and
 * find one event per call with the right fields in the trace buffer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "iuc_test_util.h"

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

TEST_F(trace, pipe_calls_and_signals)
{
	struct iuc_handle_signal h = { .code = IUC_SIG_RECV_PIPE };
	struct iuc_open_pipe op = { 0 };
	struct iuc_pipe_write w = { 0 };
	struct iuc_close_pipe c = { 0 };
	struct iuc_ready r = { 0 };
	char line[256], data[100] = { 0 };
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iuc_ioctl(fd, IUC_IOC_HANDLE_SIGNAL, &h));
	ASSERT_EQ(0, iuc_ioctl(fd, IUC_IOC_READY, &r));

	op.target_pid = getpid();
	op.multiplier = 2;
	op.notify = IUC_NOTIFY;
	ASSERT_EQ(0, iuc_ioctl(fd, IUC_IOC_OPEN_PIPE, &op));
	w.id = op.id;
	w.count = sizeof(data);
	w.buf = (uintptr_t)data;
	ASSERT_EQ(0, iuc_ioctl(fd, IUC_IOC_PIPE_WRITE, &w));
	c.id = op.id;
	ASSERT_EQ(0, iuc_ioctl(fd, IUC_IOC_CLOSE_PIPE, &c));
	ASSERT_EQ(0, write_str(TRACEFS "/tracing_on", "0"));

	ASSERT_LT(0, read_trace(self->buf, TRACE_BUF));
	snprintf(line, sizeof(line), "iuc_pipe_open: pid=%d target=%d id=%llu peer_id=%llu capacity=131072 mode=0",
		 getpid(), getpid(), (unsigned long long)op.id,
		 (unsigned long long)op.peer_id);
	EXPECT_NE(NULL, strstr(self->buf, line)) TH_LOG("missing: %s\n%s", line, self->buf);
	snprintf(line, sizeof(line), "iuc_signal_queue: pid=%d code=0x20 object=%llu ready=1",
		 getpid(), (unsigned long long)op.peer_id);
	EXPECT_NE(NULL, strstr(self->buf, line)) TH_LOG("missing: %s", line);
	snprintf(line, sizeof(line), "iuc_pipe_write: id=%llu count=100 mode=0 transferred=100 ret=0",
		 (unsigned long long)op.id);
	EXPECT_NE(NULL, strstr(self->buf, line)) TH_LOG("missing: %s", line);
	snprintf(line, sizeof(line), "iuc_pipe_close: pid=%d id=%llu type=0",
		 getpid(), (unsigned long long)op.id);
	EXPECT_NE(NULL, strstr(self->buf, line)) TH_LOG("missing: %s", line);
	close(fd);
}

/* A failing call is traced with its errno and what it moved. */
TEST_F(trace, failed_read)
{
	struct iuc_open_pipe op = { 0 };
	struct iuc_pipe_read rd = { 0 };
	char line[128], buf[16];
	int fd = iuc_open();

	ASSERT_LE(0, fd);
	op.target_pid = getpid();
	op.notify = IUC_NOTIFY_SKIP;
	ASSERT_EQ(0, iuc_ioctl(fd, IUC_IOC_OPEN_PIPE, &op));
	rd.id = op.peer_id;		/* the RC: the target is this process */
	rd.buf = (uintptr_t)buf;
	rd.count = sizeof(buf);
	rd.mode = IUC_IO_TRY;
	ASSERT_EQ(-EAGAIN, iuc_ioctl(fd, IUC_IOC_PIPE_READ, &rd));
	ASSERT_EQ(0, write_str(TRACEFS "/tracing_on", "0"));
	ASSERT_LT(0, read_trace(self->buf, TRACE_BUF));
	snprintf(line, sizeof(line), "iuc_pipe_read: id=%llu count=16 mode=1 transferred=0 ret=%d",
		 (unsigned long long)op.peer_id, -EAGAIN);
	EXPECT_NE(NULL, strstr(self->buf, line)) TH_LOG("missing: %s\n%s", line, self->buf);
	close(fd);
}

TEST_HARNESS_MAIN
