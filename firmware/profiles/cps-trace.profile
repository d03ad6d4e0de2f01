# cps-trace - CPS3 whose EF.SN.ICC reads 5A 0A 80 25 00 00 01 99 21 38 45 0F, as in the Cryptolib trace (cards.md §1.4, §1.7)
# Fictitious person (test RPPS 8997...): any resemblance is coincidental.
# Keys: docs/SIMULATOR.md. Keys and certificates: tests/pki/make-pki -> PKI_DIR/cps-trace/.
card = cps3
holder.idnat = 899700045678
holder.surname = TRACE-TEST
holder.given = HÉLÈNE
holder.profession = Médecin
# last 5 bytes of EF.SN.ICC (5A 0A 80 25 00 00 01 <these 5 bytes>)
card.serial = 992138450F
token.label = CPS3v3-9921384515
pin = 1234
puk = 12345678
pin.tries_left = 3
puk.tries_left = 10
puk.uses_left = 100
