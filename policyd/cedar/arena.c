/* Bump allocator: one per policy set, per entity store, and per
 * authorizer (reset for every request, so evaluation does not call
 * malloc once the first chunk is big enough). */
#include <stdalign.h>
#include <stdlib.h>

#include "cedar_int.h"

#define CHUNK_MIN 16384
#define ALIGN (alignof(max_align_t))

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* bytes in data */
	size_t off;
	alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a, size_t limit)
{
	a->head = NULL;
	a->spare = NULL;
	a->used = 0;
	a->limit = limit;
}

static struct arena_chunk *chunk_new(size_t size)
{
	struct arena_chunk *c = malloc(sizeof(*c) + size);

	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->off = 0;
	return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t size;
	void *p;

	if (n == 0)
		n = 1;
	if (n > a->limit || a->used > a->limit - n)
		return NULL;
	n = (n + ALIGN - 1) & ~(ALIGN - 1);
	if (c == NULL || c->size - c->off < n) {
		if (a->spare != NULL && a->spare->size >= n) {
			c = a->spare;
			a->spare = NULL;
			c->off = 0;
		} else {
			size = c == NULL ? CHUNK_MIN : c->size * 2;
			if (size < n)
				size = n;
			if (size > a->limit + ALIGN)
				size = a->limit + ALIGN;
			c = chunk_new(size);
			if (c == NULL)
				return NULL;
		}
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->off;
	c->off += n;
	a->used += n;
	return p;
}

void arena_mark(const struct arena *a, struct arena_mark *m)
{
	m->head = a->head;
	m->off = a->head != NULL ? a->head->off : 0;
	m->used = a->used;
}

/* Keeps the largest chunk given back for the next allocation, so a
 * request that outgrows its chunk once does not malloc every time. */
static void give_back(struct arena *a, struct arena_chunk *c)
{
	if (a->spare == NULL || a->spare->size < c->size) {
		free(a->spare);
		a->spare = c;
	} else {
		free(c);
	}
}

/* Frees what was allocated since the mark. */
void arena_release(struct arena *a, const struct arena_mark *m)
{
	while (a->head != m->head) {
		struct arena_chunk *c = a->head;

		a->head = c->next;
		give_back(a, c);
	}
	if (a->head != NULL)
		a->head->off = m->off;
	a->used = m->used;
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *keep = a->head;

	if (keep == NULL)
		return;
	/* keep the newest (largest) chunk, and the spare */
	for (struct arena_chunk *c = keep->next, *next; c != NULL; c = next) {
		next = c->next;
		give_back(a, c);
	}
	keep->next = NULL;
	keep->off = 0;
	a->used = 0;
}

void arena_free(struct arena *a)
{
	for (struct arena_chunk *c = a->head, *next; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a->spare);
	a->head = NULL;
	a->spare = NULL;
	a->used = 0;
}
