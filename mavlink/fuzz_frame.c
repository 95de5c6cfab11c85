/* libFuzzer target for the MAVLink frame parser (mav_parser_*), the code
 * that reads the autopilot link's untrusted bytes. Built with -Dfuzz=true
 * (clang):
 *   build-fuzz/mavlink/fuzz_frame -max_len=2048 corpus/
 * The input is fed in chunks whose sizes come from its first byte, so
 * frames split across feeds are exercised. Every delivered frame must
 * unpack (its id is known), re-encode, and parse back to the same
 * message; the counters must account for every byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct mav_frame *f)
{
	struct mav_link l = {.sysid = f->sysid, .compid = f->compid};
	uint8_t out[MAV_FRAME_MAX];
	struct mav_msg m, m2;
	struct mav_parser p;
	struct mav_frame f2;
	size_t len;

	if (mav_msg_unpack(f, &m) != 0)
		abort(); /* the parser delivers known ids only */
	len = mav_msg_encode(&l, 2, &m, out, sizeof(out));
	if (len == 0)
		abort();
	mav_parser_init(&p);
	if (mav_parser_feed(&p, out, len) != len ||
	    mav_parser_next(&p, &f2) != 1 || mav_msg_unpack(&f2, &m2) != 0)
		abort();
	/* Compare re-packed payloads: floats may be NaN. */
	{
		uint8_t a[MAV_PAYLOAD_MAX], b[MAV_PAYLOAD_MAX];

		mav_msg_pack(&m, a);
		mav_msg_pack(&m2, b);
		if (memcmp(a, b, sizeof(a)) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mav_parser p;
	struct mav_frame f;
	size_t chunk, off = 0, n;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	mav_parser_init(&p);
	while (off < size) {
		n = size - off < chunk ? size - off : chunk;
		n = mav_parser_feed(&p, data + off, n);
		if (n == 0)
			abort(); /* the parser must always make room */
		off += n;
		while (mav_parser_next(&p, &f) == 1) {
			if (f.version != 1 && f.version != 2)
				abort();
			check_round_trip(&f);
		}
		if (p.have > MAV_FRAME_MAX)
			abort(); /* only an incomplete frame stays buffered */
	}
	return 0;
}
