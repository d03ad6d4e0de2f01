# vitale-badkey - Vitale 2 card with two beneficiaries; the second one's NIR has a
# wrong key (80 would be right, the card says 81): bad-input tests of
# santecard-vitale. nir_bad_key_ok lets the simulator write it (docs/SIMULATOR-VITALE.md).
card = vitale2
card.validity = 20210301

beneficiary.1.surname = BONNECLE-TEST
beneficiary.1.given = ALICE
beneficiary.1.birth = 19900520
# woman, born 05/1990 in Lyon (69 123), order 210
beneficiary.1.nir = 290056912321089
beneficiary.2.surname = MAUVAISECLE-TEST
beneficiary.2.given = BRUNO
beneficiary.2.birth = 19850612
beneficiary.2.nir = 185067511512381
beneficiary.2.nir_bad_key_ok = yes
