# vitale-single - Vitale 2 card with one beneficiary (fictitious person).
# Keys: docs/SIMULATOR.md. NIR = 13 characters + 2-digit key (cards.md §2.5).
card = vitale2
# start of validity (tag 66/80), AAAAMMJJ
card.validity = 20200115

beneficiary.1.surname = DURAND-TEST
beneficiary.1.given = THOMAS
beneficiary.1.birth = 19850612
# man, born 06/1985 in Paris 15e (75 115), order 123
beneficiary.1.nir = 185067511512380
beneficiary.1.nationality = FR
beneficiary.1.rank = 1
# profile metadata for tests (not on the card in any public layout): 00 = assuré
beneficiary.1.quality = 00
