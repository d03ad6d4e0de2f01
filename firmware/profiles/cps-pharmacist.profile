# cps-pharmacist - CPS3 of a pharmacist, PIN 1234
# Fictitious person (test RPPS 8997...): any resemblance is coincidental.
# Keys: docs/SIMULATOR.md. Keys and certificates: tests/pki/make-pki -> PKI_DIR/cps-pharmacist/.
card = cps3
holder.idnat = 899700023456
holder.surname = PHARMACIEN-TEST
holder.given = PAUL
holder.profession = Pharmacien
# last 5 bytes of EF.SN.ICC (5A 0A 80 25 00 00 01 <these 5 bytes>)
card.serial = 9921000202
token.label = CPS3v3-9921000202
pin = 1234
puk = 12345678
pin.tries_left = 3
puk.tries_left = 10
puk.uses_left = 100
