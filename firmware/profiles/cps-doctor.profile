# cps-doctor - CPS3 of a doctor (médecin), PIN 1234
# Fictitious person (test RPPS 8997...): any resemblance is coincidental.
# Keys: docs/SIMULATOR.md. Keys and certificates: tests/pki/make-pki -> PKI_DIR/cps-doctor/.
card = cps3
holder.idnat = 899700012345
holder.surname = MEDECIN-TEST
holder.given = JEANNE
holder.profession = Médecin
# last 5 bytes of EF.SN.ICC (5A 0A 80 25 00 00 01 <these 5 bytes>)
card.serial = 9921000101
token.label = CPS3v3-9921000101
pin = 1234
puk = 12345678
pin.tries_left = 3
puk.tries_left = 10
puk.uses_left = 100
