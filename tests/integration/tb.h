/* tb.h - C helpers for integration tests running inside tests/integration/testbed. */
#ifndef STC_TB_H
#define STC_TB_H

#include "santecard.h"

/* Send one line to the simulator of reader slot (0/1); reply copied to reply. */
int tb_card(int slot, const char *cmd, char *reply, size_t cap);
/* Stop or start the testbed's pcscd and wait until done (bounded). 0 on success. */
int tb_pcscd(int start);
/* Wait (bounded, 5 s) until reader name shows a card (present=1) or none (0). */
int tb_wait_card(stc_ctx *ctx, const char *reader, int present);
/* Run fn(arg) in a thread after delay_ms; tb_join waits for it. */
void tb_later(long delay_ms, void (*fn)(void *), void *arg);
void tb_join(void);

#define READER0 "Virtual PCD 00 00"
#define READER1 "Virtual PCD 00 01"

#endif
