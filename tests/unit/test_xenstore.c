/*
 * Unit tests for bh-xenstored's store (tools/bh-xenstored/xs_core.h),
 * through its byte interface only: every request is a wire message fed to
 * a connection, every answer is read back from its output.
 *
 * The fixture has dom0 (privileged) and two guests, 5 and 6, each owning
 * its /local/domain/<id> as the toolstack would set it up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "../../tools/bh-xenstored/xs_core.h"

struct rep {
	struct xsd_sockmsg h;
	char body[XENSTORE_PAYLOAD_MAX + 1];
};

/* Per-connection state of the test peer: kicks seen, and events read while
 * waiting for a reply (kept for the expect_event checks). */
#define STASH 64
struct peer {
	unsigned kicks;
	struct rep ev[STASH];
	unsigned nev;
};

static struct xs_store *s;
static struct xs_conn *dom0, *g5, *g6;
static struct peer p0, p5, p6;
static struct rep r; /* the last reply */
static uint32_t next_req = 100;

/* What the store ops saw. */
static unsigned introduced_domid, released_domid, nr_introduce, nr_release;
static uint64_t introduced_mfn;
static unsigned introduced_port;
static int introduce_rc;
static bool introduce_attaches_ring;
static struct xs_conn *ring_conn;

static void kick(struct xs_conn *c, void *opaque)
{
	(void)c;
	((struct peer *)opaque)->kicks++;
}

static const struct xs_conn_ops peer_ops = { .kick = kick };
static struct peer pring;

static int op_introduce(void *opaque, unsigned domid, uint64_t mfn, unsigned port)
{
	(void)opaque;
	nr_introduce++;
	introduced_domid = domid;
	introduced_mfn = mfn;
	introduced_port = port;
	if (introduce_rc)
		return introduce_rc;
	if (introduce_attaches_ring) {
		memset(&pring, 0, sizeof(pring));
		ring_conn = xs_conn_new(s, domid, false, &peer_ops, &pring);
		assert_non_null(ring_conn);
		assert_int_equal(xs_domain_introduced(s, domid, ring_conn), 0);
	}
	return 0;
}

static void op_release(void *opaque, unsigned domid)
{
	(void)opaque;
	nr_release++;
	released_domid = domid;
}

static const struct xs_store_ops store_ops = { .introduce = op_introduce,
					       .release = op_release };

static struct peer *peer_of(struct xs_conn *c)
{
	return c == dom0 ? &p0 : c == g5 ? &p5 : c == g6 ? &p6 : &pring;
}

/* Read the next whole message from c's output; false if none is queued. */
static bool next_msg(struct xs_conn *c, struct rep *out)
{
	uint8_t buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	size_t have = 0, need = sizeof(struct xsd_sockmsg);

	while (have < need) {
		size_t len;
		const uint8_t *p = xs_conn_output(c, &len);

		if (!len) {
			assert_int_equal(have, 0); /* never half a message */
			return false;
		}
		if (len > need - have)
			len = need - have;
		memcpy(buf + have, p, len);
		xs_conn_consume(c, len);
		have += len;
		if (have == sizeof(struct xsd_sockmsg)) {
			memcpy(&out->h, buf, sizeof(out->h));
			assert_true(out->h.len <= XENSTORE_PAYLOAD_MAX);
			need += out->h.len;
		}
	}
	memcpy(out->body, buf + sizeof(out->h), out->h.len);
	out->body[out->h.len] = '\0';
	return true;
}

static void feed_all(struct xs_conn *c, const void *buf, size_t len)
{
	assert_int_equal(xs_conn_feed(c, buf, len), (ssize_t)len);
}

/* Send type with a raw payload; return the reply, stashing watch events. */
static struct rep *raw(struct xs_conn *c, uint32_t type, uint32_t tx, const void *p, size_t len)
{
	uint8_t buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	struct xsd_sockmsg h = { .type = type, .req_id = next_req++, .tx_id = tx, .len = len };
	struct peer *pe = peer_of(c);

	assert_true(len <= XENSTORE_PAYLOAD_MAX);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), p, len);
	feed_all(c, buf, sizeof(h) + len);
	for (;;) {
		assert_true(next_msg(c, &r));
		if (r.h.type != XS_WATCH_EVENT)
			break;
		assert_true(pe->nev < STASH);
		pe->ev[pe->nev++] = r;
	}
	assert_int_equal(r.h.req_id, h.req_id);
	assert_int_equal(r.h.tx_id, tx);
	return &r;
}

/* Send type with the strings (each NUL-terminated). */
static struct rep *req(struct xs_conn *c, uint32_t type, uint32_t tx, const char *const *strs)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t len = 0;

	for (; *strs; strs++) {
		size_t l = strlen(*strs) + 1;

		assert_true(len + l <= sizeof(buf));
		memcpy(buf + len, *strs, l);
		len += l;
	}
	return raw(c, type, tx, buf, len);
}

#define REQ(c, type, tx, ...) req(c, type, tx, (const char *const[]){ __VA_ARGS__, NULL })

static void expect_ok(const struct rep *x, uint32_t type)
{
	if (x->h.type == XS_ERROR)
		fail_msg("expected type %u, got error %s", type, x->body);
	assert_int_equal(x->h.type, type);
}

static void expect_err(const struct rep *x, const char *name)
{
	if (x->h.type != XS_ERROR)
		fail_msg("expected %s, got type %u", name, x->h.type);
	assert_int_equal(x->h.len, strlen(name) + 1);
	assert_string_equal(x->body, name);
}

static struct rep *xwrite(struct xs_conn *c, uint32_t tx, const char *path, const char *value)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1, vl = strlen(value);

	assert_true(pl + vl <= sizeof(buf));
	memcpy(buf, path, pl);
	memcpy(buf + pl, value, vl);
	return raw(c, XS_WRITE, tx, buf, pl + vl);
}

static void write_ok(struct xs_conn *c, const char *path, const char *value)
{
	expect_ok(xwrite(c, 0, path, value), XS_WRITE);
}

static void expect_read(struct xs_conn *c, uint32_t tx, const char *path, const char *value)
{
	struct rep *x = REQ(c, XS_READ, tx, path);

	expect_ok(x, XS_READ);
	assert_int_equal(x->h.len, strlen(value));
	assert_memory_equal(x->body, value, x->h.len);
}

static void setperms(struct xs_conn *c, const char *path, const char *p1, const char *p2)
{
	if (p2)
		expect_ok(REQ(c, XS_SET_PERMS, 0, path, p1, p2), XS_SET_PERMS);
	else
		expect_ok(REQ(c, XS_SET_PERMS, 0, path, p1), XS_SET_PERMS);
}

/* The next watch event on c (stashed or queued). */
static void expect_event(struct xs_conn *c, const char *path, const char *token)
{
	struct peer *pe = peer_of(c);
	struct rep ev;

	if (pe->nev) {
		ev = pe->ev[0];
		memmove(pe->ev, pe->ev + 1, --pe->nev * sizeof(pe->ev[0]));
	} else if (!next_msg(c, &ev)) {
		fail_msg("no event, expected %s", path);
	}
	assert_int_equal(ev.h.type, XS_WATCH_EVENT);
	assert_int_equal(ev.h.req_id, 0);
	assert_int_equal(ev.h.len, strlen(path) + strlen(token) + 2);
	assert_string_equal(ev.body, path);
	assert_string_equal(ev.body + strlen(path) + 1, token);
}

static void expect_no_event(struct xs_conn *c)
{
	struct rep ev;

	if (peer_of(c)->nev)
		fail_msg("stashed event %s", peer_of(c)->ev[0].body);
	if (next_msg(c, &ev))
		fail_msg("unexpected message type %u: %s", ev.h.type, ev.body);
}

static void watch(struct xs_conn *c, const char *path, const char *token)
{
	expect_ok(REQ(c, XS_WATCH, 0, path, token), XS_WATCH);
	expect_event(c, path, token); /* fires once at once */
}

static uint32_t tx_start(struct xs_conn *c)
{
	struct rep *x = raw(c, XS_TRANSACTION_START, 0, "", 1);

	expect_ok(x, XS_TRANSACTION_START);
	assert_int_equal(x->h.len, strlen(x->body) + 1);
	return strtoul(x->body, NULL, 10);
}

static struct xs_limits lim;

static void fixture_up(const struct xs_limits *l)
{
	lim = l ? *l : xs_limits_default();
	memset(&p0, 0, sizeof(p0));
	memset(&p5, 0, sizeof(p5));
	memset(&p6, 0, sizeof(p6));
	nr_introduce = nr_release = 0;
	introduce_rc = 0;
	introduce_attaches_ring = false;
	ring_conn = NULL;
	s = xs_store_new(&lim, &store_ops, NULL);
	assert_non_null(s);
	dom0 = xs_conn_new(s, 0, true, &peer_ops, &p0);
	g5 = xs_conn_new(s, 5, false, &peer_ops, &p5);
	g6 = xs_conn_new(s, 6, false, &peer_ops, &p6);
	assert_non_null(dom0);
	assert_non_null(g5);
	assert_non_null(g6);
	expect_ok(REQ(dom0, XS_MKDIR, 0, "/local/domain/5"), XS_MKDIR);
	setperms(dom0, "/local/domain/5", "n5", NULL);
	expect_ok(REQ(dom0, XS_MKDIR, 0, "/local/domain/6"), XS_MKDIR);
	setperms(dom0, "/local/domain/6", "n6", NULL);
}

static int setup(void **state)
{
	(void)state;
	fixture_up(NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	xs_conn_free(g6);
	xs_conn_free(g5);
	xs_conn_free(dom0);
	xs_store_free(s);
	s = NULL;
	return 0;
}

/* Restart the fixture with other limits. */
static void with_limits(const struct xs_limits *l)
{
	teardown(NULL);
	fixture_up(l);
}

/* ---- conformance: each message type ---------------------------------------------- */

static void test_standard_tree(void **state)
{
	struct rep *x;

	(void)state;
	x = REQ(dom0, XS_DIRECTORY, 0, "/");
	expect_ok(x, XS_DIRECTORY);
	assert_int_equal(x->h.len, 14);
	assert_memory_equal(x->body, "local\0vm\0tool", 14);
	x = REQ(dom0, XS_GET_PERMS, 0, "/tool");
	expect_ok(x, XS_GET_PERMS);
	assert_int_equal(x->h.len, 3);
	assert_string_equal(x->body, "n0");
	expect_read(dom0, 0, "/vm", "");
	expect_err(REQ(g5, XS_READ, 0, "/vm"), "EACCES");
	expect_err(REQ(g5, XS_DIRECTORY, 0, "/local/domain"), "EACCES");
	x = REQ(dom0, XS_GET_PERMS, 0, "/local/domain/5");
	expect_ok(x, XS_GET_PERMS);
	assert_string_equal(x->body, "n5");
}

static void test_read_write(void **state)
{
	static const char bin[] = "a\0b\0";
	char buf[64];
	struct rep *x;

	(void)state;
	write_ok(dom0, "/a/b/c", "hello");
	expect_read(dom0, 0, "/a/b/c", "hello");
	expect_read(dom0, 0, "/a/b", "");
	write_ok(dom0, "/a/b/c", "");
	expect_read(dom0, 0, "/a/b/c", "");
	/* Values are binary. */
	memcpy(buf, "/bin", 5);
	memcpy(buf + 5, bin, 4);
	expect_ok(raw(dom0, XS_WRITE, 0, buf, 9), XS_WRITE);
	x = REQ(dom0, XS_READ, 0, "/bin");
	assert_int_equal(x->h.len, 4);
	assert_memory_equal(x->body, bin, 4);
	expect_err(REQ(dom0, XS_READ, 0, "/a/nope"), "ENOENT");
	expect_err(REQ(dom0, XS_READ, 0, "/nope/deeper"), "ENOENT");
	/* A guest writes relative to its home, and reads back both ways. */
	write_ok(g5, "device/vif", "1");
	expect_read(g5, 0, "/local/domain/5/device/vif", "1");
	expect_read(dom0, 0, "/local/domain/5/device/vif", "1");
	x = REQ(g5, XS_GET_PERMS, 0, "device");
	expect_ok(x, XS_GET_PERMS);
	assert_string_equal(x->body, "n5");
}

static void test_mkdir_directory(void **state)
{
	struct rep *x;

	(void)state;
	expect_ok(REQ(dom0, XS_MKDIR, 0, "/d/e"), XS_MKDIR);
	write_ok(dom0, "/d/e", "keep");
	expect_ok(REQ(dom0, XS_MKDIR, 0, "/d/e"), XS_MKDIR); /* exists: unchanged */
	expect_read(dom0, 0, "/d/e", "keep");
	write_ok(dom0, "/d/f", "");
	write_ok(dom0, "/d/g/h", "");
	x = REQ(dom0, XS_DIRECTORY, 0, "/d");
	expect_ok(x, XS_DIRECTORY);
	assert_int_equal(x->h.len, 6);
	assert_memory_equal(x->body, "e\0f\0g\0", 6);
	x = REQ(dom0, XS_DIRECTORY, 0, "/d/e");
	expect_ok(x, XS_DIRECTORY);
	assert_int_equal(x->h.len, 0);
	expect_err(REQ(dom0, XS_DIRECTORY, 0, "/nope"), "ENOENT");
	expect_err(REQ(g5, XS_MKDIR, 0, "/d/x"), "EACCES");
}

static void test_rm(void **state)
{
	struct rep *x;

	(void)state;
	write_ok(dom0, "/r/a/b/c", "1");
	write_ok(dom0, "/r/a/d", "2");
	write_ok(dom0, "/r/z", "3");
	expect_ok(REQ(dom0, XS_RM, 0, "/r/a"), XS_RM);
	expect_err(REQ(dom0, XS_READ, 0, "/r/a/b/c"), "ENOENT");
	expect_err(REQ(dom0, XS_READ, 0, "/r/a"), "ENOENT");
	x = REQ(dom0, XS_DIRECTORY, 0, "/r");
	assert_int_equal(x->h.len, 2);
	assert_memory_equal(x->body, "z", 2);
	/* Missing node, parent there: fine. Parent missing too: ENOENT. */
	expect_ok(REQ(dom0, XS_RM, 0, "/r/a"), XS_RM);
	expect_err(REQ(dom0, XS_RM, 0, "/r/a/b"), "ENOENT");
	expect_err(REQ(dom0, XS_RM, 0, "/"), "EINVAL");
	/* A guest may not remove what it cannot write. */
	expect_err(REQ(g5, XS_RM, 0, "/r/z"), "EACCES");
	expect_err(REQ(g5, XS_RM, 0, "/local/domain/6"), "EACCES");
	write_ok(g5, "x/y", "1");
	expect_ok(REQ(g5, XS_RM, 0, "x"), XS_RM);
	expect_err(REQ(g5, XS_READ, 0, "x"), "ENOENT");
}

static void test_paths(void **state)
{
	static char p[XENSTORE_ABS_PATH_MAX + 2];
	static const char *const bad[] = { "/a/", "//a", "/a//b", "/a b", "/a.b", "/ä",
					   "@introduceDomain", "@foo", "", "a/", "/a\n" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_err(REQ(dom0, XS_READ, 0, bad[i]), "EINVAL");
		expect_err(xwrite(dom0, 0, bad[i], "v"), "EINVAL");
		expect_err(REQ(g5, XS_MKDIR, 0, bad[i]), "EINVAL");
	}
	write_ok(dom0, "/A-z_0@9", "ok");
	/* Absolute: XENSTORE_ABS_PATH_MAX bytes, not one more. */
	memset(p, 'a', sizeof(p) - 1);
	for (size_t i = 0; i < XENSTORE_ABS_PATH_MAX; i += 100)
		p[i] = '/';
	p[XENSTORE_ABS_PATH_MAX] = '\0';
	write_ok(dom0, p, "deep");
	expect_read(dom0, 0, p, "deep");
	p[XENSTORE_ABS_PATH_MAX] = 'a';
	p[XENSTORE_ABS_PATH_MAX + 1] = '\0';
	expect_err(xwrite(dom0, 0, p, "v"), "EINVAL");
	/* Relative: XENSTORE_REL_PATH_MAX bytes. */
	memset(p, 'b', XENSTORE_REL_PATH_MAX + 1);
	for (size_t i = 100; i < XENSTORE_REL_PATH_MAX; i += 100)
		p[i] = '/';
	p[XENSTORE_REL_PATH_MAX] = '\0';
	write_ok(g5, p, "rel");
	p[XENSTORE_REL_PATH_MAX] = 'b';
	p[XENSTORE_REL_PATH_MAX + 1] = '\0';
	expect_err(xwrite(g5, 0, p, "v"), "EINVAL");
}

static void test_bad_arguments(void **state)
{
	(void)state;
	/* Unterminated strings. */
	expect_err(raw(dom0, XS_READ, 0, "/vm", 3), "EINVAL");
	expect_err(raw(dom0, XS_WRITE, 0, "/vm", 3), "EINVAL");
	expect_err(raw(dom0, XS_WATCH, 0, "/vm\0tok", 7), "EINVAL");
	expect_err(raw(dom0, XS_SET_PERMS, 0, "/vm\0n0", 6), "EINVAL");
	expect_err(raw(dom0, XS_GET_DOMAIN_PATH, 0, "5", 1), "EINVAL");
	/* Empty payloads and embedded NULs where one string is expected. */
	expect_err(raw(dom0, XS_READ, 0, "", 0), "EINVAL");
	expect_err(raw(dom0, XS_READ, 0, "/vm\0/x", 7), "EINVAL");
	expect_err(raw(dom0, XS_RM, 0, "\0", 1), "EINVAL");
	/* Wrong counts. */
	expect_err(REQ(dom0, XS_WATCH, 0, "/vm"), "EINVAL");
	expect_err(REQ(dom0, XS_WATCH, 0, "/vm", "t", "x"), "EINVAL");
	expect_err(REQ(dom0, XS_SET_PERMS, 0, "/vm"), "EINVAL");
	expect_err(REQ(dom0, XS_INTRODUCE, 0, "5", "1"), "EINVAL");
	/* Bad numbers and permission strings. */
	expect_err(REQ(dom0, XS_GET_DOMAIN_PATH, 0, "x"), "EINVAL");
	expect_err(REQ(dom0, XS_GET_DOMAIN_PATH, 0, "65536"), "EINVAL");
	expect_err(REQ(dom0, XS_GET_DOMAIN_PATH, 0, "-1"), "EINVAL");
	expect_err(REQ(dom0, XS_GET_DOMAIN_PATH, 0, ""), "EINVAL");
	expect_err(REQ(dom0, XS_IS_DOMAIN_INTRODUCED, 0, "5x"), "EINVAL");
	expect_err(REQ(dom0, XS_SET_PERMS, 0, "/vm", "x0"), "EINVAL");
	expect_err(REQ(dom0, XS_SET_PERMS, 0, "/vm", "r"), "EINVAL");
	expect_err(REQ(dom0, XS_SET_PERMS, 0, "/vm", "r70000"), "EINVAL");
	expect_err(REQ(dom0, XS_SET_PERMS, 0, "/vm", "n0", ""), "EINVAL");
	expect_err(REQ(dom0, XS_SET_PERMS, 0, "/vm", "r 5"), "EINVAL");
	expect_err(REQ(dom0, XS_INTRODUCE, 0, "0", "1", "2"), "EINVAL");
	expect_err(REQ(dom0, XS_INTRODUCE, 0, "32752", "1", "2"), "EINVAL");
	expect_err(REQ(dom0, XS_INTRODUCE, 0, "7", "1x", "2"), "EINVAL");
	expect_err(REQ(dom0, XS_INTRODUCE, 0, "7", "1", "99999999999"), "EINVAL");
	expect_err(REQ(dom0, XS_DIRECTORY_PART, 0, "/", "x"), "EINVAL");
	assert_int_equal(nr_introduce, 0);
}

static void test_get_perms_set_perms(void **state)
{
	struct rep *x;

	(void)state;
	write_ok(dom0, "/p", "");
	expect_ok(REQ(dom0, XS_SET_PERMS, 0, "/p", "r7", "b5", "w6", "n9"), XS_SET_PERMS);
	x = REQ(dom0, XS_GET_PERMS, 0, "/p");
	expect_ok(x, XS_GET_PERMS);
	assert_int_equal(x->h.len, 12);
	assert_memory_equal(x->body, "r7\0b5\0w6\0n9\0", 12);
	/* Leading zeros are accepted, and normalized. */
	setperms(dom0, "/p", "b00007", NULL);
	x = REQ(dom0, XS_GET_PERMS, 0, "/p");
	assert_string_equal(x->body, "b7");
	expect_err(REQ(dom0, XS_SET_PERMS, 0, "/nope", "n0"), "ENOENT");
	expect_err(REQ(dom0, XS_GET_PERMS, 0, "/nope"), "ENOENT");
}

static void test_domain_messages(void **state)
{
	struct rep *x;

	(void)state;
	x = REQ(g5, XS_GET_DOMAIN_PATH, 0, "42");
	expect_ok(x, XS_GET_DOMAIN_PATH);
	assert_int_equal(x->h.len, strlen("/local/domain/42") + 1);
	assert_string_equal(x->body, "/local/domain/42");
	x = REQ(dom0, XS_IS_DOMAIN_INTRODUCED, 0, "7");
	expect_ok(x, XS_IS_DOMAIN_INTRODUCED);
	assert_int_equal(x->h.len, 2);
	assert_string_equal(x->body, "F");

	expect_err(REQ(g5, XS_INTRODUCE, 0, "7", "1", "2"), "EACCES");
	expect_err(REQ(g5, XS_RELEASE, 0, "7"), "EACCES");
	expect_err(REQ(g5, XS_RESUME, 0, "7"), "EACCES");
	assert_int_equal(nr_introduce, 0);

	watch(dom0, "@introduceDomain", "in");
	watch(dom0, "@releaseDomain", "out");
	expect_ok(REQ(dom0, XS_INTRODUCE, 0, "7", "18446744073709551615", "33"), XS_INTRODUCE);
	assert_int_equal(nr_introduce, 1);
	assert_int_equal(introduced_domid, 7);
	assert_true(introduced_mfn == UINT64_MAX);
	assert_int_equal(introduced_port, 33);
	expect_event(dom0, "@introduceDomain", "in");
	expect_no_event(dom0);
	assert_true(xs_domain_is_introduced(s, 7));
	x = REQ(g6, XS_IS_DOMAIN_INTRODUCED, 0, "7");
	assert_string_equal(x->body, "T");
	expect_err(REQ(dom0, XS_INTRODUCE, 0, "7", "1", "2"), "EEXIST");
	expect_ok(REQ(dom0, XS_RESUME, 0, "7"), XS_RESUME);
	expect_err(REQ(dom0, XS_RESUME, 0, "8"), "ENOENT");

	expect_ok(REQ(dom0, XS_RELEASE, 0, "7"), XS_RELEASE);
	assert_int_equal(nr_release, 1);
	assert_int_equal(released_domid, 7);
	expect_event(dom0, "@releaseDomain", "out");
	expect_no_event(dom0);
	assert_false(xs_domain_is_introduced(s, 7));
	expect_err(REQ(dom0, XS_RELEASE, 0, "7"), "ENOENT");
	assert_int_equal(nr_release, 1);

	/* The transport's error goes back to the caller; nothing fires. */
	introduce_rc = ENOMEM;
	expect_err(REQ(dom0, XS_INTRODUCE, 0, "8", "1", "2"), "ENOMEM");
	expect_no_event(dom0);
	assert_false(xs_domain_is_introduced(s, 8));

	expect_err(raw(dom0, XS_CONTROL, 0, "print\0x", 8), "ENOSYS");
	expect_err(REQ(dom0, XS_SET_TARGET, 0, "7", "8"), "ENOSYS");
}

/* The transport hands its ring connection over inside introduce; release frees it. */
static void test_ring_conn_ownership(void **state)
{
	struct rep *x;

	(void)state;
	watch(dom0, "@introduceDomain", "in");
	introduce_attaches_ring = true;
	expect_ok(REQ(dom0, XS_MKDIR, 0, "/local/domain/9"), XS_MKDIR);
	setperms(dom0, "/local/domain/9", "n9", NULL);
	expect_ok(REQ(dom0, XS_INTRODUCE, 0, "9", "100", "3"), XS_INTRODUCE);
	expect_event(dom0, "@introduceDomain", "in");
	expect_no_event(dom0); /* once */
	assert_non_null(ring_conn);
	x = REQ(ring_conn, XS_GET_DOMAIN_PATH, 0, "9");
	expect_ok(x, XS_GET_DOMAIN_PATH);
	write_ok(ring_conn, "data", "x");
	watch(ring_conn, "data", "t");
	assert_int_equal(xs_domain_introduced(s, 9, g5), EEXIST);
	/* Release frees the ring connection and its watches (ASan checks). */
	expect_ok(REQ(dom0, XS_RELEASE, 0, "9"), XS_RELEASE);
	ring_conn = NULL;
	write_ok(dom0, "/local/domain/9/data", "y");
	/* xs_domain_gone on an introduced domain with a ring. */
	introduce_attaches_ring = true;
	expect_ok(REQ(dom0, XS_INTRODUCE, 0, "9", "100", "3"), XS_INTRODUCE);
	expect_event(dom0, "@introduceDomain", "in");
	watch(ring_conn, "data", "t");
	xs_domain_gone(s, 9);
	assert_int_equal(nr_release, 2);
	assert_false(xs_domain_is_introduced(s, 9));
	/* A transport-side introduction without a ring connection. */
	assert_int_equal(xs_domain_introduced(s, 10, NULL), 0);
	expect_event(dom0, "@introduceDomain", "in");
	assert_true(xs_domain_is_introduced(s, 10));
	assert_int_equal(xs_domain_introduced(s, 0, NULL), EINVAL);
	assert_int_equal(xs_conn_domid(g5), 5);
}

static void test_domain_gone(void **state)
{
	struct rep *x;

	(void)state;
	watch(dom0, "@releaseDomain", "gone");
	watch(dom0, "/local/domain/5", "home");
	write_ok(g5, "a/b", "1");
	/* 5 owns a node outside its home, and is listed on another. */
	write_ok(dom0, "/tool/x", "");
	setperms(dom0, "/tool/x", "n5", NULL);
	write_ok(dom0, "/tool/y", "");
	setperms(dom0, "/tool/y", "n6", "r5");
	expect_event(dom0, "/local/domain/5/a/b", "home");
	xs_domain_gone(s, 5);
	expect_err(REQ(dom0, XS_READ, 0, "/local/domain/5"), "ENOENT");
	x = REQ(dom0, XS_GET_PERMS, 0, "/tool/x");
	assert_string_equal(x->body, "n0");
	x = REQ(dom0, XS_GET_PERMS, 0, "/tool/y");
	assert_int_equal(x->h.len, 3);
	assert_string_equal(x->body, "n6");
	expect_event(dom0, "/local/domain/5", "home");
	expect_event(dom0, "@releaseDomain", "gone");
	expect_no_event(dom0);
	/* Not introduced: no release callback. */
	assert_int_equal(nr_release, 0);
	/* A new domain 5 inherits nothing. */
	expect_err(REQ(g5, XS_READ, 0, "/tool/x"), "EACCES");
}

static void test_directory_part(void **state)
{
	char name[64];
	struct rep *x;
	size_t total = 0, off = 0;
	unsigned seen = 0, rounds = 0;

	(void)state;
	for (unsigned i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "/big/child-with-a-long-name-%03u", i);
		expect_ok(REQ(dom0, XS_MKDIR, 0, name), XS_MKDIR);
		total += strlen(name) - 5 + 1;
	}
	expect_err(REQ(dom0, XS_DIRECTORY, 0, "/big"), "E2BIG");
	for (;;) {
		char offs[24];
		size_t gl, p;

		snprintf(offs, sizeof(offs), "%zu", off);
		x = REQ(dom0, XS_DIRECTORY_PART, 0, "/big", offs);
		expect_ok(x, XS_DIRECTORY_PART);
		gl = strlen(x->body) + 1;
		p = gl;
		rounds++;
		while (p < x->h.len && x->body[p]) {
			snprintf(name, sizeof(name), "child-with-a-long-name-%03u", seen++);
			assert_string_equal(x->body + p, name);
			off += strlen(x->body + p) + 1;
			p += strlen(x->body + p) + 1;
		}
		if (p < x->h.len) { /* the empty string: the end */
			assert_int_equal(p + 1, x->h.len);
			break;
		}
		assert_true(rounds < 20);
	}
	assert_int_equal(seen, 300);
	assert_int_equal(off, total);
	assert_true(rounds > 1);
	expect_err(REQ(dom0, XS_DIRECTORY_PART, 0, "/big", "3"), "EINVAL");
	expect_err(REQ(g5, XS_DIRECTORY_PART, 0, "/big", "0"), "EACCES");
}

/* ---- permissions between guests ----------------------------------------------------- */

static void test_perms_guests(void **state)
{
	struct rep *x;

	(void)state;
	write_ok(g6, "secret", "s6");
	expect_err(REQ(g5, XS_READ, 0, "/local/domain/6/secret"), "EACCES");
	expect_err(xwrite(g5, 0, "/local/domain/6/secret", "x"), "EACCES");
	expect_err(xwrite(g5, 0, "/local/domain/6/new", "x"), "EACCES");
	expect_err(REQ(g5, XS_DIRECTORY, 0, "/local/domain/6"), "EACCES");
	expect_err(REQ(g5, XS_GET_PERMS, 0, "/local/domain/6/secret"), "EACCES");
	/* Below an unreadable node, a missing node is EACCES, not ENOENT. */
	expect_err(REQ(g5, XS_READ, 0, "/local/domain/6/nothing"), "EACCES");
	/* Only the owner (or dom0) may set permissions. */
	expect_err(REQ(g5, XS_SET_PERMS, 0, "/local/domain/6/secret", "r5"), "EACCES");
	/* The owner grants read to 5: 5 reads, still cannot write. */
	setperms(g6, "secret", "n6", "r5");
	expect_read(g5, 0, "/local/domain/6/secret", "s6");
	expect_err(xwrite(g5, 0, "/local/domain/6/secret", "x"), "EACCES");
	expect_err(REQ(g5, XS_SET_PERMS, 0, "/local/domain/6/secret", "n6", "b5"), "EACCES");
	/* Write-only. */
	write_ok(g6, "inbox", "");
	setperms(g6, "inbox", "n6", "w5");
	write_ok(g5, "/local/domain/6/inbox", "hi");
	expect_err(REQ(g5, XS_READ, 0, "/local/domain/6/inbox"), "EACCES");
	/* A node 5 creates under 6's writable node is 5's, with 6's list. */
	write_ok(g5, "/local/domain/6/inbox/msg", "m");
	x = REQ(dom0, XS_GET_PERMS, 0, "/local/domain/6/inbox/msg");
	assert_int_equal(x->h.len, 6);
	assert_memory_equal(x->body, "n5\0w5\0", 6);
	expect_read(g5, 0, "/local/domain/6/inbox/msg", "m");
	/* Guests may not give nodes away. */
	expect_err(REQ(g6, XS_SET_PERMS, 0, "secret", "n5"), "EPERM");
	setperms(dom0, "/local/domain/6/secret", "n5", NULL);
	expect_read(g5, 0, "/local/domain/6/secret", "s6");
	/* The default (first entry) applies to unlisted domains. */
	write_ok(g6, "pub", "p");
	setperms(g6, "pub", "r6", NULL);
	expect_read(g5, 0, "/local/domain/6/pub", "p");
	expect_err(xwrite(g5, 0, "/local/domain/6/pub", "x"), "EACCES");
	/* dom0 may do anything. */
	write_ok(dom0, "/local/domain/6/pub", "q");
	expect_ok(REQ(dom0, XS_RM, 0, "/local/domain/6/secret"), XS_RM);
}

/* ---- quotas ----------------------------------------------------------------------------- */

static void test_quota_nodes(void **state)
{
	struct xs_limits l = xs_limits_default();
	char path[32];

	(void)state;
	l.nodes = 10;
	with_limits(&l);
	/* 5 owns its home already: 9 more. */
	for (int i = 0; i < 9; i++) {
		snprintf(path, sizeof(path), "n%d", i);
		write_ok(g5, path, "");
	}
	expect_err(xwrite(g5, 0, "one-more", ""), "ENOSPC");
	expect_err(REQ(g5, XS_MKDIR, 0, "one-more"), "ENOSPC");
	/* Rewriting is not creating. */
	write_ok(g5, "n0", "v");
	/* Several missing parents at once count whole. */
	expect_ok(REQ(g5, XS_RM, 0, "n8"), XS_RM);
	expect_err(xwrite(g5, 0, "a/b", ""), "ENOSPC");
	write_ok(g5, "a", "");
	/* The same in a transaction. */
	expect_ok(REQ(g5, XS_RM, 0, "a"), XS_RM);
	{
		uint32_t t = tx_start(g5);

		expect_ok(xwrite(g5, t, "t1", ""), XS_WRITE);
		expect_err(xwrite(g5, t, "t2", ""), "ENOSPC");
		expect_ok(raw(g5, XS_TRANSACTION_END, t, "T", 2), XS_TRANSACTION_END);
	}
	expect_err(xwrite(g5, 0, "t2", ""), "ENOSPC");
	/* dom0 is not bound. */
	for (int i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/q/n%d", i);
		write_ok(dom0, path, "");
	}
}

static void test_quota_watches(void **state)
{
	struct xs_limits l = xs_limits_default();
	char tok[16];

	(void)state;
	l.watches = 3;
	with_limits(&l);
	for (int i = 0; i < 3; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		watch(g5, "x", tok);
	}
	expect_err(REQ(g5, XS_WATCH, 0, "x", "t3"), "E2BIG");
	expect_ok(REQ(g5, XS_UNWATCH, 0, "x", "t0"), XS_UNWATCH);
	watch(g5, "x", "t3");
	for (int i = 0; i < 10; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		watch(dom0, "/x", tok);
	}
}

static void test_quota_transactions(void **state)
{
	struct xs_limits l = xs_limits_default();
	uint32_t ids[3];

	(void)state;
	l.transactions = 3;
	with_limits(&l);
	for (int i = 0; i < 3; i++)
		ids[i] = tx_start(g5);
	expect_err(raw(g5, XS_TRANSACTION_START, 0, "", 1), "ENOSPC");
	expect_ok(raw(g5, XS_TRANSACTION_END, ids[1], "F", 2), XS_TRANSACTION_END);
	ids[1] = tx_start(g5);
	for (int i = 0; i < 5; i++)
		tx_start(dom0);
	(void)ids;
}

/* One transaction may look at tx_nodes paths, missing ones included. */
static void test_quota_transaction_nodes(void **state)
{
	struct xs_limits l = xs_limits_default();
	char path[32];
	uint32_t t;

	(void)state;
	l.tx_nodes = 5;
	with_limits(&l);
	t = tx_start(g5);
	/* m0 and its parent (looked at to tell ENOENT from EACCES), m1..m3. */
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "m%d", i);
		expect_err(REQ(g5, XS_READ, t, path), "ENOENT");
	}
	expect_err(REQ(g5, XS_READ, t, "m0"), "ENOENT"); /* seen already */
	expect_err(REQ(g5, XS_READ, t, "m4"), "ENOSPC");
	expect_err(xwrite(g5, t, "m5", "x"), "ENOSPC");
	expect_ok(raw(g5, XS_TRANSACTION_END, t, "T", 2), XS_TRANSACTION_END);
	t = tx_start(dom0);
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof(path), "/m%d", i);
		expect_err(REQ(dom0, XS_READ, t, path), "ENOENT");
	}
	expect_ok(raw(dom0, XS_TRANSACTION_END, t, "T", 2), XS_TRANSACTION_END);
}

static void test_quota_node_size_and_perms(void **state)
{
	struct xs_limits l = xs_limits_default();
	static char big[4000];

	(void)state;
	l.node_size = 100;
	l.perms = 3;
	with_limits(&l);
	memset(big, 'v', 100);
	big[100] = '\0';
	write_ok(g5, "v", big);
	big[100] = 'v';
	big[101] = '\0';
	expect_err(xwrite(g5, 0, "v", big), "ENOSPC");
	expect_err(xwrite(g5, 0, "w", big), "ENOSPC");
	memset(big, 'v', 3000);
	big[3000] = '\0';
	write_ok(dom0, "/local/domain/5/v", big);
	expect_ok(REQ(g5, XS_SET_PERMS, 0, "v", "n5", "r6", "r7"), XS_SET_PERMS);
	expect_err(REQ(g5, XS_SET_PERMS, 0, "v", "n5", "r6", "r7", "r8"), "ENOSPC");
	expect_ok(REQ(dom0, XS_SET_PERMS, 0, "/vm", "n0", "r6", "r7", "r8", "r9"), XS_SET_PERMS);
}

static void test_quota_outstanding(void **state)
{
	struct xs_limits l = xs_limits_default();
	uint8_t buf[10 * 64];
	struct xsd_sockmsg h = { .type = XS_GET_DOMAIN_PATH, .len = 2 };
	size_t one = sizeof(h) + 2;
	ssize_t n;
	struct rep x;

	(void)state;
	l.outstanding = 4;
	with_limits(&l);
	for (int i = 0; i < 10; i++) {
		h.req_id = i;
		memcpy(buf + i * one, &h, sizeof(h));
		memcpy(buf + i * one + sizeof(h), "5", 2);
	}
	assert_true(xs_conn_can_accept(g5));
	n = xs_conn_feed(g5, buf, 10 * one);
	assert_int_equal(n, 4 * one); /* stops after the 4th reply */
	assert_false(xs_conn_can_accept(g5));
	assert_int_equal(xs_conn_feed(g5, buf + n, 10 * one - n), 0);
	assert_true(next_msg(g5, &x));
	assert_int_equal(x.h.req_id, 0);
	assert_true(xs_conn_can_accept(g5));
	assert_int_equal(xs_conn_feed(g5, buf + n, 10 * one - n), one);
	for (int i = 1; i < 5; i++) {
		assert_true(next_msg(g5, &x));
		assert_int_equal(x.h.req_id, i);
	}
	assert_int_equal(p5.kicks, 5);
	/* dom0 is bound by bytes, not by count. */
	for (int i = 0; i < 10; i++)
		feed_all(dom0, buf, 10 * one);
	assert_true(xs_conn_can_accept(dom0));
	while (next_msg(dom0, &x))
		;
}

static void test_quota_watch_events(void **state)
{
	struct xs_limits l = xs_limits_default();
	struct rep x;
	unsigned events = 0;

	(void)state;
	l.watch_events = 5;
	with_limits(&l);
	watch(g5, "w", "t");
	for (int i = 0; i < 20; i++)
		write_ok(dom0, "/local/domain/5/w", "x");
	/* The guest does not read: past 5 queued events the rest are dropped. */
	while (next_msg(g5, &x)) {
		assert_int_equal(x.h.type, XS_WATCH_EVENT);
		assert_string_equal(x.body, "w");
		events++;
	}
	assert_int_equal(events, 5);
	write_ok(dom0, "/local/domain/5/w", "x");
	expect_event(g5, "w", "t");
}

static void test_quota_memory(void **state)
{
	struct xs_limits l = xs_limits_default();
	static char big[3000];
	char path[32];
	int i;

	(void)state;
	l.mem = 256 * 1024;
	with_limits(&l);
	memset(big, 'm', sizeof(big) - 1);
	for (i = 0; i < 1000; i++) {
		struct rep *x;

		snprintf(path, sizeof(path), "/m/%d", i);
		x = xwrite(dom0, 0, path, big);
		if (x->h.type == XS_ERROR) {
			expect_err(x, "ENOMEM");
			break;
		}
	}
	assert_true(i > 10 && i < 1000);
	assert_true(xs_store_mem_used(s) <= l.mem + 8192);
	/* Reads still work, and removing frees room. */
	expect_read(dom0, 0, "/local/domain/5", "");
	expect_ok(REQ(dom0, XS_RM, 0, "/m"), XS_RM);
	write_ok(dom0, "/m/again", big);
}

/* ---- transactions ------------------------------------------------------------------------ */

static void test_transaction_basics(void **state)
{
	uint32_t t;
	size_t before;

	(void)state;
	write_ok(dom0, "/t/a", "old");
	t = tx_start(dom0);
	assert_int_not_equal(t, 0);
	expect_ok(xwrite(dom0, t, "/t/a", "new"), XS_WRITE);
	expect_ok(xwrite(dom0, t, "/t/b/c", "created"), XS_WRITE);
	expect_read(dom0, t, "/t/a", "new");
	expect_read(dom0, t, "/t/b/c", "created");
	expect_read(dom0, 0, "/t/a", "old");
	expect_err(REQ(dom0, XS_READ, 0, "/t/b"), "ENOENT");
	{
		struct rep *x = REQ(dom0, XS_DIRECTORY, t, "/t");

		assert_int_equal(x->h.len, 4);
		assert_memory_equal(x->body, "a\0b\0", 4);
	}
	expect_ok(raw(dom0, XS_TRANSACTION_END, t, "T", 2), XS_TRANSACTION_END);
	expect_read(dom0, 0, "/t/a", "new");
	expect_read(dom0, 0, "/t/b/c", "created");
	expect_err(raw(dom0, XS_TRANSACTION_END, t, "T", 2), "ENOENT");
	expect_err(REQ(dom0, XS_READ, t, "/t/a"), "ENOENT");

	/* Abort leaves no trace, not even in memory. */
	before = xs_store_mem_used(s);
	t = tx_start(dom0);
	expect_ok(xwrite(dom0, t, "/t/a", "aborted"), XS_WRITE);
	expect_ok(REQ(dom0, XS_RM, t, "/t/b"), XS_RM);
	expect_ok(REQ(dom0, XS_SET_PERMS, t, "/t", "r5"), XS_SET_PERMS);
	expect_err(REQ(dom0, XS_READ, t, "/t/b/c"), "ENOENT");
	expect_ok(raw(dom0, XS_TRANSACTION_END, t, "F", 2), XS_TRANSACTION_END);
	assert_int_equal(xs_store_mem_used(s), before);
	expect_read(dom0, 0, "/t/a", "new");
	expect_read(dom0, 0, "/t/b/c", "created");

	/* Rm inside a transaction, committed. */
	t = tx_start(g5);
	expect_ok(xwrite(g5, t, "x/y/z", "1"), XS_WRITE);
	expect_ok(xwrite(g5, t, "x/w", "2"), XS_WRITE);
	expect_ok(REQ(g5, XS_RM, t, "x/y"), XS_RM);
	expect_ok(raw(g5, XS_TRANSACTION_END, t, "T", 2), XS_TRANSACTION_END);
	expect_read(g5, 0, "x/w", "2");
	expect_err(REQ(g5, XS_READ, 0, "x/y"), "ENOENT");

	/* Errors. */
	expect_err(raw(dom0, XS_TRANSACTION_START, 5, "", 1), "EBUSY");
	expect_err(xwrite(dom0, 12345, "/t/a", "x"), "ENOENT");
	t = tx_start(dom0);
	expect_err(raw(dom0, XS_TRANSACTION_END, t, "X", 2), "EINVAL");
	expect_err(raw(dom0, XS_TRANSACTION_END, t, "T", 1), "EINVAL");
	expect_err(raw(dom0, XS_TRANSACTION_END, 0, "T", 2), "ENOENT");
	/* Another connection's transaction is not yours. */
	expect_err(REQ(g5, XS_READ, t, "/t/a"), "ENOENT");
	expect_ok(raw(dom0, XS_TRANSACTION_END, t, "F", 2), XS_TRANSACTION_END);
}

static void test_transaction_race(void **state)
{
	uint32_t t5, t6;

	(void)state;
	write_ok(dom0, "/shared", "0");
	setperms(dom0, "/shared", "b0", NULL);
	/* Overlapping writes: exactly one commits. */
	t5 = tx_start(g5);
	t6 = tx_start(g6);
	expect_ok(xwrite(g5, t5, "/shared", "five"), XS_WRITE);
	expect_ok(xwrite(g6, t6, "/shared", "six"), XS_WRITE);
	expect_ok(raw(g6, XS_TRANSACTION_END, t6, "T", 2), XS_TRANSACTION_END);
	expect_err(raw(g5, XS_TRANSACTION_END, t5, "T", 2), "EAGAIN");
	expect_read(dom0, 0, "/shared", "six");

	/* Read in the transaction, written outside: conflict. */
	t5 = tx_start(g5);
	expect_read(g5, t5, "/shared", "six");
	expect_ok(xwrite(g5, t5, "mine", "derived"), XS_WRITE);
	write_ok(g6, "/shared", "changed");
	expect_err(raw(g5, XS_TRANSACTION_END, t5, "T", 2), "EAGAIN");
	expect_err(REQ(g5, XS_READ, 0, "mine"), "ENOENT");

	/* Created by someone else meanwhile: conflict. */
	t5 = tx_start(g5);
	expect_err(REQ(g5, XS_READ, t5, "/shared/new"), "ENOENT");
	write_ok(dom0, "/shared/new", "");
	expect_err(raw(g5, XS_TRANSACTION_END, t5, "T", 2), "EAGAIN");

	/* Non-overlapping: both commit. */
	write_ok(g5, "a", "");
	write_ok(g6, "b", "");
	t5 = tx_start(g5);
	t6 = tx_start(g6);
	expect_ok(xwrite(g5, t5, "a", "A"), XS_WRITE);
	expect_ok(xwrite(g6, t6, "b", "B"), XS_WRITE);
	expect_ok(raw(g5, XS_TRANSACTION_END, t5, "T", 2), XS_TRANSACTION_END);
	expect_ok(raw(g6, XS_TRANSACTION_END, t6, "T", 2), XS_TRANSACTION_END);
	expect_read(dom0, 0, "/local/domain/5/a", "A");
	expect_read(dom0, 0, "/local/domain/6/b", "B");

	/* Freeing a connection drops its transactions (ASan checks for leaks). */
	tx_start(g5);
	xs_conn_free(g5);
	g5 = xs_conn_new(s, 5, false, &peer_ops, &p5);
	assert_non_null(g5);
	/* RESET_WATCHES drops transactions too. */
	t5 = tx_start(g5);
	expect_ok(raw(g5, XS_RESET_WATCHES, 0, "", 0), XS_RESET_WATCHES);
	expect_err(raw(g5, XS_TRANSACTION_END, t5, "T", 2), "ENOENT");
}

/* ---- watches ---------------------------------------------------------------------------- */

static void test_watch_basics(void **state)
{
	(void)state;
	watch(dom0, "/w", "tok");
	expect_no_event(dom0);
	write_ok(dom0, "/w", "1");
	expect_event(dom0, "/w", "tok");
	write_ok(dom0, "/w/child/grand", "1");
	expect_event(dom0, "/w/child/grand", "tok");
	write_ok(dom0, "/wx", "1"); /* not a child */
	write_ok(dom0, "/other", "1");
	expect_no_event(dom0);
	setperms(dom0, "/w/child", "n0", NULL);
	expect_event(dom0, "/w/child", "tok");
	expect_ok(REQ(dom0, XS_MKDIR, 0, "/w/child"), XS_MKDIR); /* exists: no event */
	expect_no_event(dom0);
	/* Duplicates, unwatch. */
	expect_err(REQ(dom0, XS_WATCH, 0, "/w", "tok"), "EEXIST");
	watch(dom0, "/w", "tok2");
	expect_ok(REQ(dom0, XS_UNWATCH, 0, "/w", "tok"), XS_UNWATCH);
	expect_err(REQ(dom0, XS_UNWATCH, 0, "/w", "tok"), "ENOENT");
	write_ok(dom0, "/w", "2");
	expect_event(dom0, "/w", "tok2");
	expect_no_event(dom0);
	/* A watch on "/" sees everything. */
	watch(dom0, "/", "root");
	write_ok(dom0, "/zz", "");
	expect_event(dom0, "/zz", "root");
	/* Watching a missing path is fine; it fires when created. */
	watch(g5, "later/x", "L");
	write_ok(g5, "later/x/y", "");
	expect_event(g5, "later/x/y", "L");
	/* Events are kicked to the watcher, whoever makes the change. */
	assert_true(p5.kicks > 0);
	expect_event(dom0, "/local/domain/5/later/x/y", "root");
}

static void test_watch_rm(void **state)
{
	(void)state;
	write_ok(dom0, "/r/a/b/c", "");
	watch(dom0, "/r", "top");
	watch(dom0, "/r/a/b/c", "deep");
	watch(dom0, "/r/a/b/c/nothing", "missing");
	watch(dom0, "/r/a", "self");
	expect_ok(REQ(dom0, XS_RM, 0, "/r/a"), XS_RM);
	/* Newest watch first; each fires once. Below the removed node, the
	 * event names the watch's own path (docs/misc/xenstore.txt). */
	expect_event(dom0, "/r/a", "self");
	expect_event(dom0, "/r/a/b/c/nothing", "missing");
	expect_event(dom0, "/r/a/b/c", "deep");
	expect_event(dom0, "/r/a", "top");
	expect_no_event(dom0);
}

static void test_watch_relative(void **state)
{
	(void)state;
	watch(g5, "dev", "rel");
	watch(g5, "/local/domain/5/dev", "abs");
	write_ok(dom0, "/local/domain/5/dev/vif/0", "x");
	expect_event(g5, "/local/domain/5/dev/vif/0", "abs");
	expect_event(g5, "dev/vif/0", "rel");
	expect_ok(REQ(g5, XS_UNWATCH, 0, "/local/domain/5/dev", "rel"), XS_UNWATCH);
	write_ok(dom0, "/local/domain/5/dev", "y");
	expect_event(g5, "/local/domain/5/dev", "abs");
	expect_no_event(g5);
}

static void test_watch_permission(void **state)
{
	(void)state;
	/* 5 watches 6's home but may not read it: no events, except the first. */
	watch(g5, "/local/domain/6", "spy");
	write_ok(g6, "secret", "s");
	expect_no_event(g5);
	/* Once 6 lets 5 read a node, its changes are delivered. */
	write_ok(g6, "shared", "");
	setperms(g6, "shared", "n6", "r5");
	expect_event(g5, "/local/domain/6/shared", "spy");
	write_ok(g6, "shared", "v");
	expect_event(g5, "/local/domain/6/shared", "spy");
	expect_ok(REQ(g6, XS_RM, 0, "secret"), XS_RM);
	expect_no_event(g5);
	/* Removing an unreadable parent still tells 5 about the node it could read. */
	watch(g5, "/local/domain/6/shared", "node");
	expect_ok(REQ(dom0, XS_RM, 0, "/local/domain/6"), XS_RM);
	expect_event(g5, "/local/domain/6/shared", "node");
	expect_no_event(g5);
	/* Special watches: dom0 only. */
	watch(g5, "@releaseDomain", "rel");
	watch(g5, "@introduceDomain", "intro");
	expect_ok(REQ(dom0, XS_INTRODUCE, 0, "7", "1", "2"), XS_INTRODUCE);
	expect_ok(REQ(dom0, XS_RELEASE, 0, "7"), XS_RELEASE);
	expect_no_event(g5);
}

static void test_watch_transaction_and_reset(void **state)
{
	uint32_t t;

	(void)state;
	watch(dom0, "/tw", "t");
	t = tx_start(g5);
	expect_ok(xwrite(g5, t, "/local/domain/5/a", "1"), XS_WRITE);
	expect_ok(raw(g5, XS_TRANSACTION_END, t, "F", 2), XS_TRANSACTION_END);
	watch(dom0, "/local/domain/5", "h");
	t = tx_start(g5);
	expect_ok(xwrite(g5, t, "a", "1"), XS_WRITE);
	expect_ok(xwrite(g5, t, "b", "2"), XS_WRITE);
	expect_no_event(dom0); /* not before the commit */
	expect_ok(raw(g5, XS_TRANSACTION_END, t, "T", 2), XS_TRANSACTION_END);
	expect_event(dom0, "/local/domain/5/a", "h");
	expect_event(dom0, "/local/domain/5/b", "h");
	expect_no_event(dom0);
	/* An EAGAIN commit fires nothing. */
	t = tx_start(g5);
	expect_ok(xwrite(g5, t, "a", "3"), XS_WRITE);
	write_ok(dom0, "/local/domain/5/a", "4");
	expect_event(dom0, "/local/domain/5/a", "h");
	expect_err(raw(g5, XS_TRANSACTION_END, t, "T", 2), "EAGAIN");
	expect_no_event(dom0);
	/* RESET_WATCHES stops them all. */
	expect_ok(raw(dom0, XS_RESET_WATCHES, 0, "", 0), XS_RESET_WATCHES);
	write_ok(dom0, "/local/domain/5/a", "5");
	write_ok(dom0, "/tw", "");
	expect_no_event(dom0);
	watch(dom0, "/tw", "t"); /* and the same watch can be set again */
}

/* ---- hostile input ------------------------------------------------------------------------ */

static void test_hostile_header(void **state)
{
	struct xsd_sockmsg h = { .type = XS_READ, .len = XENSTORE_PAYLOAD_MAX + 1 };
	static const uint32_t bad_types[] = { XS_WATCH_EVENT, XS_ERROR, XS_SET_TARGET + 1,
					      XS_TYPE_COUNT, 999, XS_INVALID, 0xffffffffu };

	(void)state;
	assert_int_equal(xs_conn_feed(g5, &h, sizeof(h)), -1);
	assert_int_equal(xs_conn_feed(g5, "x", 1), -1); /* stays broken */
	assert_false(xs_conn_can_accept(g5));
	xs_conn_free(g5);
	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		g5 = xs_conn_new(s, 5, false, &peer_ops, &p5);
		h.type = bad_types[i];
		h.len = 0;
		assert_int_equal(xs_conn_feed(g5, &h, sizeof(h)), -1);
		xs_conn_free(g5);
	}
	h.type = XS_READ;
	h.len = 0xffffffffu;
	g5 = xs_conn_new(s, 5, false, &peer_ops, &p5);
	assert_int_equal(xs_conn_feed(dom0, &h, sizeof(h)), -1);
	/* Exactly the maximum is fine. */
	{
		static uint8_t buf[sizeof(h) + XENSTORE_PAYLOAD_MAX];
		struct rep x;

		h.len = XENSTORE_PAYLOAD_MAX;
		h.req_id = 3;
		memcpy(buf, &h, sizeof(h));
		memset(buf + sizeof(h), 'a', XENSTORE_PAYLOAD_MAX);
		feed_all(g6, buf, sizeof(buf));
		assert_true(next_msg(g6, &x));
		assert_int_equal(x.h.type, XS_ERROR);
		assert_string_equal(x.body, "EINVAL");
	}
}

static void test_hostile_byte_by_byte(void **state)
{
	uint8_t buf[256];
	struct xsd_sockmsg h = { .type = XS_WRITE, .req_id = 77, .len = 9 };
	size_t n = 0;
	struct rep x;

	(void)state;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "slow\0data", 9);
	n = sizeof(h) + 9;
	h.type = XS_READ;
	h.req_id = 78;
	h.len = 5;
	memcpy(buf + n, &h, sizeof(h));
	memcpy(buf + n + sizeof(h), "slow", 5);
	n += sizeof(h) + 5;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(xs_conn_feed(g5, buf + i, 1), 1);
		if (i + 1 < sizeof(h) + 9)
			assert_false(next_msg(g5, &x));
	}
	assert_true(next_msg(g5, &x));
	assert_int_equal(x.h.type, XS_WRITE);
	assert_int_equal(x.h.req_id, 77);
	assert_true(next_msg(g5, &x));
	assert_int_equal(x.h.req_id, 78);
	assert_string_equal(x.body, "data");
	assert_int_equal(xs_conn_feed(g5, buf, 0), 0);
	/* A connection that goes away mid-message leaks nothing. */
	assert_int_equal(xs_conn_feed(g5, buf, 20), 20);
	xs_conn_free(g5);
	g5 = xs_conn_new(s, 5, false, &peer_ops, &p5);
}

/* xorshift64*, fixed seed: the same messages every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

static void test_hostile_random(void **state)
{
	static const char *const words[] = { "/", "a", "b", "local", "domain", "5", "6", "@",
					     "@releaseDomain", "T", "F", "n5", "r6", "b0", "..",
					     "12", "-", "_", "\xff", " " };
	struct xs_conn **conns[] = { &g5, &g6, &dom0 };
	uint8_t buf[sizeof(struct xsd_sockmsg) + 600];
	struct rep x;

	(void)state;
	for (int i = 0; i < 6000; i++) {
		struct xs_conn **c = conns[rnd(3)];
		struct xsd_sockmsg h = { .req_id = i };
		size_t len = 0;

		h.type = rnd(10) ? rnd(XS_TYPE_COUNT) : rnd(0x10000);
		h.tx_id = rnd(4) ? 0 : rnd(8);
		if (rnd(8)) {
			unsigned nw = rnd(12);

			for (unsigned w = 0; w < nw; w++) {
				const char *word = words[rnd(sizeof(words) / sizeof(words[0]))];
				size_t wl = strlen(word);

				if (len + wl + 1 > 600)
					break;
				memcpy(buf + sizeof(h) + len, word, wl);
				len += wl;
				if (rnd(3) == 0)
					buf[sizeof(h) + len++] = '\0';
				else if (rnd(2))
					buf[sizeof(h) + len++] = '/';
			}
		} else {
			len = rnd(600);
			for (size_t k = 0; k < len; k++)
				buf[sizeof(h) + k] = rnd(256);
		}
		h.len = len;
		if (rnd(50) == 0)
			h.len = rnd(0xffffffffu);
		memcpy(buf, &h, sizeof(h));
		if (xs_conn_feed(*c, buf, sizeof(h) + len) < 0) {
			struct peer *pe = peer_of(*c);
			bool priv = *c == dom0;
			unsigned id = *c == g5 ? 5 : *c == g6 ? 6 : 0;

			xs_conn_free(*c);
			*c = xs_conn_new(s, id, priv, &peer_ops, pe);
			assert_non_null(*c);
		}
		if (rnd(4) == 0)
			for (size_t k = 0; k < 3; k++)
				while (next_msg(*conns[k], &x))
					;
	}
	for (size_t k = 0; k < 3; k++)
		while (next_msg(*conns[k], &x))
			;
	memset(&p0, 0, sizeof(p0));
	memset(&p5, 0, sizeof(p5));
	memset(&p6, 0, sizeof(p6));
	/* The store still works. */
	write_ok(dom0, "/after", "fine");
	expect_read(dom0, 0, "/after", "fine");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_standard_tree),
		T(test_read_write),
		T(test_mkdir_directory),
		T(test_rm),
		T(test_paths),
		T(test_bad_arguments),
		T(test_get_perms_set_perms),
		T(test_domain_messages),
		T(test_ring_conn_ownership),
		T(test_domain_gone),
		T(test_directory_part),
		T(test_perms_guests),
		T(test_quota_nodes),
		T(test_quota_watches),
		T(test_quota_transactions),
		T(test_quota_transaction_nodes),
		T(test_quota_node_size_and_perms),
		T(test_quota_outstanding),
		T(test_quota_watch_events),
		T(test_quota_memory),
		T(test_transaction_basics),
		T(test_transaction_race),
		T(test_watch_basics),
		T(test_watch_rm),
		T(test_watch_relative),
		T(test_watch_permission),
		T(test_watch_transaction_and_reset),
		T(test_hostile_header),
		T(test_hostile_byte_by_byte),
		T(test_hostile_random),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
