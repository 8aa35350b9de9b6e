/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data that checks itself, for the pipe tests and the benchmark.
 *
 * - pattern: the byte at stream offset @off of stream @seed is a fixed
 *   function of both, so any byte that arrives can be checked wherever it
 *   was written, by whichever process.
 * - stream_write()/stream_read(): move a whole stream through a pipe in
 *   one mode, with chunk sizes from a PRNG, retrying IUC_IO_TRY and
 *   IUC_IO_PARTIAL calls that moved nothing; they check the documented
 *   results of every call on the way and keep a checksum.
 * - tagged messages: messages of several writers whose tag says who wrote
 *   which one, so one reader can check order and content of each writer's.
 */
#ifndef IUC_LIB_STREAM_H
#define IUC_LIB_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <linux/iuc.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAT_NO_BAD		UINT64_MAX	/* pat_check(): all bytes right */

uint64_t pat_mix(uint64_t x);
uint8_t pat_byte(uint64_t seed, uint64_t off);
/* Bytes [@off, @off + @len) of stream @seed into @buf. */
void pat_fill(void *buf, size_t len, uint64_t seed, uint64_t off);
/* Index of the first byte of @buf that is not the pattern, or PAT_NO_BAD. */
uint64_t pat_check(const void *buf, size_t len, uint64_t seed, uint64_t off);

/* Order-sensitive checksum (Fletcher style, 64-bit sums). */
struct pat_sum {
	uint64_t a, b;
};

void pat_sum_add(struct pat_sum *s, const void *buf, size_t len);
/* xorshift64*: chunk sizes. */
uint64_t pat_rand(uint64_t *state);

/*
 * One direction of a stream of @total bytes of pattern @seed.  In: the
 * fields up to @prng.  Out: the rest.  @why names the first problem.
 */
struct stream {
	uint64_t total;
	uint64_t seed;
	uint64_t cap;		/* pipe capacity: buffer of count-0 reads */
	uint32_t cmin, cmax;	/* chunk sizes, inclusive */
	uint32_t zero_every;	/* reads: every n-th call with count 0 (0: never) */
	uint8_t mode;		/* IUC_IO_* */
	uint8_t nocheck;	/* reads: do not check the bytes against the pattern */
	uint8_t __pad[2];
	uint64_t prng;
	/* out */
	uint64_t done;		/* bytes moved */
	uint64_t calls;		/* successful calls */
	uint64_t retries;	/* TRY/PARTIAL calls that moved nothing */
	uint64_t locked;	/* TRY calls that found the pipe locked */
	uint64_t bad;		/* stream offset of the first wrong byte, or PAT_NO_BAD */
	struct pat_sum sum;
	int32_t ret;		/* 0, -errno of a failed call, or -EPROTO */
	uint32_t error;		/* @error of the failed call */
	char why[64];
};

void stream_init(struct stream *s, uint64_t total, uint64_t seed, uint64_t cap,
		 uint8_t mode, uint32_t cmin, uint32_t cmax);
/* Write the stream to SC @id until done or *@stop.  0 or the failure (also in @s). */
int stream_write(int fd, uint64_t id, struct stream *s, const int *stop);
/* Read the stream from RC @id, checking every byte.  0 or the failure. */
int stream_read(int fd, uint64_t id, struct stream *s);

struct msg_tag {
	uint32_t magic;
	uint16_t writer;
	uint16_t nwriters;
	uint32_t seq;
	uint32_t len;
};

#define MSG_TAG_MAGIC	0x1bc0ffeeu

/* Length of message @seq of @writer: lengths of two writers never match. */
uint32_t msg_len(unsigned int writer, unsigned int nwriters, uint32_t seq);
uint64_t msg_seed(unsigned int writer, uint32_t seq);
void msg_fill(void *buf, unsigned int writer, unsigned int nwriters, uint32_t seq);

/*
 * Read @nwriters * @per messages from RC @id and check each writer's are
 * in order and intact.  0, or -errno / -EPROTO with *@bad the index of the
 * message that failed and @why (64 bytes) saying how; *@ok counts the good
 * ones, *@error the failed read's @error.
 */
int msg_verify(int fd, uint64_t id, unsigned int nwriters, uint32_t per,
	       uint64_t *ok, uint64_t *bad, uint32_t *error, char *why);

#ifdef __cplusplus
}
#endif

#endif /* IUC_LIB_STREAM_H */
