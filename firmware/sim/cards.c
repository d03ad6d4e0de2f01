/* cards.c - the registry of simulated cards.
 *
 * Adding a card: write firmware/<card>/<card>.c defining
 * `const struct sim_card_ops <card>_card_ops`, list the file in
 * firmware/Makefile.inc, and add one X(<card>) line below. */
#include "config.h"

#include <string.h>

#include "sim/cards.h"

#define SIM_CARDS(X) \
	X(testcard) \
	X(readertest) \
	X(vitale2) \
	X(vitale1) \
	X(cps3)

#define DECLARE(card) extern const struct sim_card_ops card##_card_ops;
SIM_CARDS(DECLARE)
#undef DECLARE

#define ENTRY(card) &card##_card_ops,
static const struct sim_card_ops *const cards[] = { SIM_CARDS(ENTRY) };
#undef ENTRY

const struct sim_card_ops *sim_card_at(size_t i)
{
	return i < sizeof(cards) / sizeof(cards[0]) ? cards[i] : NULL;
}

const struct sim_card_ops *sim_card_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++)
		if (strcmp(cards[i]->name, name) == 0)
			return cards[i];
	return NULL;
}
