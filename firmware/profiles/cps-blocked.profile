# cps-blocked - CPS3 whose PIN is blocked (pin.tries_left = 0); unblock with PUK 12345678
# Fictitious person (test RPPS 8997...): any resemblance is coincidental.
# Keys: docs/SIMULATOR.md. Keys and certificates: tests/pki/make-pki -> PKI_DIR/cps-blocked/.
card = cps3
holder.idnat = 899700034567
holder.surname = BLOQUE-TEST
holder.given = LUCIE
holder.profession = Médecin
# last 5 bytes of EF.SN.ICC (5A 0A 80 25 00 00 01 <these 5 bytes>)
card.serial = 9921000303
token.label = CPS3v3-9921000303
pin = 1234
puk = 12345678
pin.tries_left = 0
puk.tries_left = 10
puk.uses_left = 100
