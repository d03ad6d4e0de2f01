/* cards.h - the table of cards santecard-sim can run (--card NAME). */
#ifndef SANTECARD_SIM_CARDS_H
#define SANTECARD_SIM_CARDS_H

#include "card.h"

/* The card called name, or NULL. */
const struct sim_card_ops *sim_card_find(const char *name);

/* The i-th card of the table, or NULL past the end (for --list-cards). */
const struct sim_card_ops *sim_card_at(size_t i);

#endif
