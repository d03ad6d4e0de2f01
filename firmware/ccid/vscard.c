/* vscard.c - VSCard message framing (see vscard.h). */
#include "config.h"

#include <string.h>

#include "ccid/vscard.h"

static const uint8_t vsc_magic[4] = { 'V', 'S', 'C', 'D' };

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

long vsc_parse(const uint8_t *buf, size_t len, size_t max_payload, struct vsc_msg *m)
{
	if (!buf || len < VSC_HEADER_LEN)
		return 0;
	uint32_t plen = get_be32(buf + 8);
	if (plen > max_payload || plen > VSC_MAX_PAYLOAD)
		return -1;
	if (len - VSC_HEADER_LEN < plen)
		return 0;
	m->type = get_be32(buf);
	m->reader_id = get_be32(buf + 4);
	m->length = plen;
	m->payload = plen ? buf + VSC_HEADER_LEN : NULL;
	return (long)(VSC_HEADER_LEN + plen);
}

size_t vsc_encode(uint8_t *out, size_t cap, uint32_t type, uint32_t reader_id,
		  const uint8_t *payload, size_t len)
{
	if (len > VSC_MAX_PAYLOAD || cap < VSC_HEADER_LEN || cap - VSC_HEADER_LEN < len ||
	    (len && !payload))
		return 0;
	put_be32(out, type);
	put_be32(out + 4, reader_id);
	put_be32(out + 8, (uint32_t)len);
	if (len)
		memmove(out + VSC_HEADER_LEN, payload, len);
	return VSC_HEADER_LEN + len;
}

size_t vsc_encode_init(uint8_t *out, size_t cap, uint32_t reader_id)
{
	uint8_t p[VSC_INIT_LEN];

	memcpy(p, vsc_magic, 4);
	put_be32(p + 4, VSC_VERSION);
	put_be32(p + 8, 0);	/* no capabilities are defined */
	return vsc_encode(out, cap, VSC_INIT, reader_id, p, sizeof(p));
}

size_t vsc_encode_error(uint8_t *out, size_t cap, uint32_t reader_id, uint32_t code)
{
	uint8_t p[4];

	put_be32(p, code);
	return vsc_encode(out, cap, VSC_ERROR, reader_id, p, sizeof(p));
}

bool vsc_decode_init(const struct vsc_msg *m, uint32_t *version)
{
	if (m->type != VSC_INIT || m->length < VSC_INIT_LEN || !m->payload)
		return false;
	if (memcmp(m->payload, vsc_magic, 4) != 0)
		return false;
	*version = get_be32(m->payload + 4);
	return true;
}

bool vsc_decode_error(const struct vsc_msg *m, uint32_t *code)
{
	if (m->type != VSC_ERROR || m->length != 4 || !m->payload)
		return false;
	*code = get_be32(m->payload);
	return true;
}

const char *vsc_type_name(uint32_t type)
{
	static const char *const names[] = {
		[VSC_INIT] = "Init",
		[VSC_ERROR] = "Error",
		[VSC_READER_ADD] = "ReaderAdd",
		[VSC_READER_REMOVE] = "ReaderRemove",
		[VSC_ATR] = "ATR",
		[VSC_CARD_REMOVE] = "CardRemove",
		[VSC_APDU] = "APDU",
		[VSC_FLUSH] = "Flush",
		[VSC_FLUSH_COMPLETE] = "FlushComplete",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}
