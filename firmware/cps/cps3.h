/* cps3.h - the simulated CPS3 card (firmware/cps/cps3.c). */
#ifndef SANTECARD_FIRMWARE_CPS3_H
#define SANTECARD_FIRMWARE_CPS3_H

#include "card.h"

extern const struct sim_card_ops cps3_card_ops;

#endif
