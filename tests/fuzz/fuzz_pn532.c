/*
 * fuzz_pn532.c - libFuzzer target on the PN532 model (firmware/pn532): the
 * HSU frame parser fed arbitrary bytes, every frame it completes run by the
 * command core with the "test" card in the field, so the card side of ISO
 * 14443-4 (InDataExchange, raw InCommunicateThru blocks) is reached too.
 *
 * Input: byte 0 bit 0 picks the card's technology (type A or B); then the
 * byte stream the host would write. A NACK frame from the host takes the card
 * off the field or puts it back (so removals happen mid-exchange).
 *
 * Checked: every answer fits the body buffer, starts D5 and the command + 1,
 * frames back through pn532_frame_build and parses again to the same body; a
 * command never writes past its buffer (ASan). The test card's SLEEP
 * (80 E8 P1 P2) gets P1 P2 zeroed by a wrapper so it answers at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pn532/frame.h"
#include "pn532/pn532.h"
#include "testcard/testcard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sim_card_ops ops;

static size_t no_sleep(void *card, const uint8_t *c, size_t len, uint8_t *r, size_t cap)
{
	uint8_t buf[PICC_CAPDU_MAX];

	if (len >= 4 && len <= sizeof(buf) && c[0] == 0x80 && c[1] == 0xE8) {
		memcpy(buf, c, len);
		buf[2] = buf[3] = 0;
		return testcard_card_ops.process(card, buf, len, r, cap);
	}
	return testcard_card_ops.process(card, c, len, r, cap);
}

static void check_answer(const uint8_t *body, const uint8_t *out, int n)
{
	uint8_t frame[PN532_FRAME_MAX];
	struct pn532_parser p;
	size_t flen;
	enum pn532_frame_event ev = PN532_FRAME_MORE;

	if (n == PN532_SYNTAX_ERROR)
		return;
	if (n < 2 || n > PN532_BODY_MAX || out[0] != PN532_TFI_CHIP ||
	    out[1] != (uint8_t)(body[1] + 1))
		abort();
	flen = pn532_frame_build(out, (size_t)n, frame, sizeof(frame));
	if (flen == 0)
		abort();
	pn532_parser_init(&p);
	for (size_t i = 0; i + 1 < flen; i++)	/* the postamble completes nothing */
		ev = pn532_parse_byte(&p, frame[i]);
	if (ev != PN532_FRAME_DATA || p.len != (size_t)n || memcmp(p.body, out, (size_t)n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pn532 chip;
	static struct pn532_parser parser;
	struct sim_card_config cfg = { 0 };
	void *card;
	bool present = true;

	if (size < 1)
		return 0;
	ops = testcard_card_ops;
	ops.process = no_sleep;
	card = ops.create(&cfg);
	if (!card)
		abort();
	pn532_init(&chip, &ops, card, (data[0] & 1) ? PN532_TYPE_B : PN532_TYPE_A);
	pn532_set_card(&chip, true);
	pn532_parser_init(&parser);
	for (size_t i = 1; i < size; i++) {
		enum pn532_frame_event ev = pn532_parse_byte(&parser, data[i]);

		if (ev == PN532_FRAME_DATA) {
			/* the answer buffer has exactly the room the transport gives */
			uint8_t *out = malloc(PN532_BODY_MAX);
			int n;

			if (!out)
				abort();
			n = pn532_command(&chip, parser.body, parser.len, out, PN532_BODY_MAX);
			if (parser.len >= 2)
				check_answer(parser.body, out, n);
			free(out);
		} else if (ev == PN532_FRAME_NACK) {
			present = !present;
			pn532_set_card(&chip, present);
		}
	}
	ops.destroy(card);
	return 0;
}
